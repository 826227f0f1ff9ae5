//! `berth healthcheck`: one GET of the local server's `/ping`, for container health checks.
//!
//! The URL follows the server's own settings (`PORT`, `SAGEMAKER_BIND_TO_PORT`, `HOST`), which the
//! image's `HEALTHCHECK` runs with: a container started with `-e PORT=9000` is checked on 9000.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct HealthcheckArgs {
    /// The URL to probe [default: /ping on HOST (127.0.0.1 when HOST is a wildcard or unset)
    /// and the port `berth serve` listens on: PORT, else SAGEMAKER_BIND_TO_PORT, else 8080].
    #[arg(long, env = "BERTH_HEALTHCHECK_URL")]
    url: Option<String>,
    /// Give up after this long (e.g. `2s`).
    #[arg(long, default_value = "3s", value_parser = berth_serve::parse_duration)]
    timeout: Duration,
}

pub(crate) fn run(args: &HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let url = match &args.url {
        Some(url) => url.clone(),
        None => local_url(
            var("HOST").as_deref(),
            var("PORT").as_deref(),
            var(crate::serve::SAGEMAKER_PORT).as_deref(),
        )?,
    };
    Ok(probe(&url, args.timeout))
}

/// The `/ping` URL of a server started with these settings.
fn local_url(
    host: Option<&str>,
    port: Option<&str>,
    sagemaker: Option<&str>,
) -> anyhow::Result<String> {
    let port = match port {
        Some(port) => Some(port.trim().parse::<u16>().map_err(|_| {
            anyhow::anyhow!("invalid PORT={port:?}: expected a port number from 1 to 65535")
        })?),
        None => None,
    };
    let port = crate::serve::resolve_port(port, sagemaker)?;
    let host = match host.map(str::trim) {
        None | Some("0.0.0.0" | "::" | "[::]") => "127.0.0.1".to_owned(),
        Some(host) if host.contains(':') && !host.starts_with('[') => format!("[{host}]"),
        Some(host) => host.to_owned(),
    };
    Ok(format!("http://{host}:{port}/ping"))
}

fn probe(url: &str, timeout: Duration) -> ExitCode {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    match agent.get(url).call() {
        Ok(response) if response.status() == 200 => ExitCode::SUCCESS,
        Ok(response) => {
            eprintln!("unhealthy: {url} answered {}", response.status());
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("unhealthy: {url}: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_url;

    #[test]
    fn the_url_follows_the_servers_port_and_host_settings() {
        let url = |h, p, s| local_url(h, p, s).unwrap();
        assert_eq!(url(None, None, None), "http://127.0.0.1:8080/ping");
        assert_eq!(
            url(Some("0.0.0.0"), Some("9000"), Some("7000")),
            "http://127.0.0.1:9000/ping"
        );
        assert_eq!(url(None, None, Some("7000")), "http://127.0.0.1:7000/ping");
        assert_eq!(
            url(Some("10.1.2.3"), None, None),
            "http://10.1.2.3:8080/ping"
        );
        assert_eq!(url(Some("::1"), None, None), "http://[::1]:8080/ping");
        assert!(local_url(None, Some("eighty"), None).is_err());
    }
}
