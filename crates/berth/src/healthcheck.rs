//! `berth healthcheck`: one GET of the local server's `/ping`, for container health checks.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct HealthcheckArgs {
    /// The URL to probe.
    #[arg(
        long,
        env = "BERTH_HEALTHCHECK_URL",
        default_value = "http://127.0.0.1:8080/ping"
    )]
    url: String,
    /// Give up after this long (e.g. `2s`).
    #[arg(long, default_value = "3s", value_parser = berth_serve::parse_duration)]
    timeout: Duration,
}

pub(crate) fn run(args: &HealthcheckArgs) -> ExitCode {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(args.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    match agent.get(&args.url).call() {
        Ok(response) if response.status() == 200 => ExitCode::SUCCESS,
        Ok(response) => {
            eprintln!("unhealthy: {} answered {}", args.url, response.status());
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("unhealthy: {}: {error}", args.url);
            ExitCode::FAILURE
        }
    }
}
