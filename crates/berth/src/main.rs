//! The `berth` command: wires the subcommands to the libraries. No business logic lives here.

mod healthcheck;
mod logging;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// berth: serve ONNX models over HTTP, fast, and never fall over on bad input.
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
    /// The model is MODEL when given; else $SM_MODEL_DIR/$MODEL_FILENAME
    /// (/opt/ml/model/model.onnx) when that file exists; else the embedded Iris demo model.
    Serve(Box<serve::ServeArgs>),
    /// Exit 0 when the local server answers GET /ping with 200, 1 otherwise.
    ///
    /// Made for container health checks: no shell or curl needed.
    Healthcheck(healthcheck::HealthcheckArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::Healthcheck(args) => Ok(healthcheck::run(&args)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
