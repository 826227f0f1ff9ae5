//! The `berth` binary. This branch wires only `analyze`; the serve subcommands live on main.

mod analyze;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Serve ONNX models, ship them as small images, check the Dockerfiles.
#[derive(Debug, Parser)]
#[command(name = "berth", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyze a Dockerfile: stages, best practices, size estimate, build commands.
    Analyze(analyze::AnalyzeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Analyze(args) => analyze::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("berth: {error:#}");
            }
            ExitCode::from(2)
        }
    }
}
