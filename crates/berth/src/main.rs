//! The `berth` command: wires the subcommands to the libraries. No business logic lives here.
//!
//! Exit codes: 0 success; 1 a server that could not start or stopped on an error (a shutdown
//! whose SHUTDOWN_TIMEOUT ran out with requests unanswered included), or an unhealthy
//! `healthcheck`; 2 `analyze` could not read or parse its file.

#[cfg(feature = "dockerfile-tools")]
mod analyze;
mod healthcheck;
#[cfg(feature = "dockerfile-tools")]
mod lint;
mod logging;
mod model_dir;
#[cfg(feature = "package")]
mod package;
#[cfg(test)]
mod readme_settings;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// berth: serve ONNX models over HTTP, ship them as small images, check the Dockerfiles.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve an ONNX model over the SageMaker-style HTTP contract.
    ///
    /// The model is MODEL when given, else the one .onnx file of $SM_MODEL_DIR (/opt/ml/model),
    /// or $MODEL_FILENAME in it when set; a directory given as MODEL is read the same way. With no
    /// model there (or several .onnx files and no MODEL_FILENAME), berth refuses to start and
    /// says what it found; the embedded Iris demo model is served only when asked for with
    /// --demo. KServe's arguments (--model_name, --model_dir, --http_port) are accepted.
    Serve(Box<serve::ServeArgs>),
    /// Exit 0 when the local server answers GET /ping with 200, 1 otherwise.
    ///
    /// Made for container health checks: no shell or curl needed.
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Analyze a Dockerfile: stages, best practices, size estimate, build commands.
    ///
    /// Exits 0 with a report, 2 when the file cannot be read or parsed.
    #[cfg(feature = "dockerfile-tools")]
    Analyze(analyze::AnalyzeArgs),
    /// Lint Dockerfiles: hadolint's rules, Docker's build checks and berth's own.
    ///
    /// Exits 0 when nothing reaches the failure threshold, 1 when something does, 2 on usage,
    /// configuration or I/O errors.
    #[cfg(feature = "dockerfile-tools")]
    Lint(lint::LintArgs),
    /// Package an ONNX model into a runnable image and push it, with no daemon.
    ///
    /// The model is checked with ONNX Runtime first (one inference); a model berth cannot serve
    /// is never packaged. The image is the berth runner (--base) plus one layer holding the
    /// model under /opt/ml/model; the same model, base and options give the same digest. The
    /// digest is printed on stdout, the layers' sizes on stderr.
    #[cfg(feature = "package")]
    Package(Box<package::PackageArgs>),
    /// The model check of `berth package`, run by it in a child process.
    #[cfg(feature = "package")]
    #[command(hide = true)]
    PackageCheck(package::CheckArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::Healthcheck(args) => healthcheck::run(&args),
        #[cfg(feature = "dockerfile-tools")]
        Command::Analyze(args) => analyze::run(&args),
        #[cfg(feature = "dockerfile-tools")]
        Command::Lint(args) => lint::run(&args),
        #[cfg(feature = "package")]
        Command::Package(args) => package::run(&args),
        #[cfg(feature = "package")]
        Command::PackageCheck(args) => package::check(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            logging::close();
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
