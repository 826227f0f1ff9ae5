//! `berth analyze [FILE]`: read a Dockerfile, build its stage graph and print the analysis
//! report (text or JSON). Exit 0 with a report, 2 when the file cannot be read or parsed.

use anyhow::Context as _;
use berth_lint::{AnalyzeOptions, analyze, render_text};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// The human-readable report.
    Text,
    /// The same content as JSON (schema: docs/analyze-json.md).
    Json,
}

/// Arguments of `berth analyze`.
#[derive(Debug, clap::Args)]
pub(crate) struct AnalyzeArgs {
    /// The Dockerfile to analyze.
    #[arg(default_value = "Dockerfile")]
    pub(crate) file: PathBuf,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Image name used in the suggested docker commands.
    #[arg(long, default_value = "app:latest")]
    pub(crate) tag: String,
    /// Stage to analyze as the final one (default: the last stage).
    #[arg(long)]
    pub(crate) target: Option<String>,
}

/// Run the subcommand. Errors reading or parsing print to stderr and give exit code 2.
pub(crate) fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    match report(args) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            #[allow(clippy::print_stderr)] // the binary reports errors on stderr
            {
                eprintln!("berth analyze: {error:#}");
            }
            Ok(ExitCode::from(2))
        }
    }
}

fn report(args: &AnalyzeArgs) -> anyhow::Result<String> {
    let display = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {display}"))?;
    let file = berth_dockerfile::parse_bytes(&bytes).with_context(|| display.to_string())?;
    let options = AnalyzeOptions {
        path: display.clone(),
        image: args.tag.clone(),
        target: args.target.clone(),
    };
    let analysis = analyze(&file, &options).with_context(|| display.to_string())?;
    Ok(match args.format {
        Format::Text => render_text(&analysis),
        Format::Json => serde_json::to_string_pretty(&analysis)? + "\n",
    })
}
