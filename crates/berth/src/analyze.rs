//! `berth analyze [FILE]`: read a Dockerfile (and the `Dockerfile.*` / `*.Dockerfile` beside it,
//! which may build its base images), build its stage graph and print the analysis report (text
//! or JSON). Exit 0 with a report, 2 when the file cannot be read or parsed.

use anyhow::Context as _;
use berth_lint::analyze::LocalImages;
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
    /// A build argument, `NAME=VALUE`, as given to `docker build` (repeatable). It sets a global
    /// ARG over its default, so it can decide a base image; a base that needs an ARG with no
    /// value is reported as unknown.
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub(crate) build_args: Vec<(String, String)>,
    /// A directory whose `Dockerfile.<name>` / `<name>.Dockerfile` files build base images this
    /// file uses (repeatable). The file's own directory is always read; an image whose last path
    /// part is `<name>` or ends with `-<name>` is judged by that Dockerfile.
    #[arg(long = "base-dir", value_name = "DIR")]
    pub(crate) base_dirs: Vec<PathBuf>,
}

/// `NAME=VALUE` of `--build-arg` (the value may contain `=` and may be empty).
pub(crate) fn parse_build_arg(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
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
    let mut local_images = LocalImages::beside(&args.file);
    for dir in &args.base_dirs {
        local_images
            .add_directory(dir, Some(&args.file))
            .with_context(|| format!("cannot read --base-dir {}", dir.display()))?;
    }
    let options = AnalyzeOptions {
        path: display.clone(),
        image: args.tag.clone(),
        target: args.target.clone(),
        build_args: args.build_args.iter().cloned().collect(),
        local_images,
    };
    let analysis = analyze(&file, &options).with_context(|| display.to_string())?;
    Ok(match args.format {
        Format::Text => render_text(&analysis),
        Format::Json => serde_json::to_string_pretty(&analysis)? + "\n",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_args_are_name_equals_value() {
        assert_eq!(
            parse_build_arg("BASE=python:3.12-slim"),
            Ok(("BASE".to_owned(), "python:3.12-slim".to_owned()))
        );
        assert_eq!(
            parse_build_arg("OPTS=a=b"),
            Ok(("OPTS".to_owned(), "a=b".to_owned()))
        );
        assert_eq!(
            parse_build_arg("EMPTY="),
            Ok(("EMPTY".to_owned(), String::new()))
        );
        assert!(parse_build_arg("BASE").is_err());
        assert!(parse_build_arg("=x").is_err());
    }
}
