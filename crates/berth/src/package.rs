//! `berth package`: check the model with ONNX Runtime, then hand the model's files, the base and
//! the options to `berth-oci`, and print what was made.
//!
//! The check runs in a child process (this binary's hidden `package-check` subcommand) while the
//! parent reads the base and writes the model layer, and nothing is written to the output until
//! it has passed. A child, because ONNX Runtime holds the whole model while it checks it: that
//! memory goes back to the system when the child exits, before a push of a large model starts,
//! and a crash inside ONNX Runtime on a hostile model is reported as such instead of ending
//! berth without a word.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use berth_engine::library::LibraryLocator;
use berth_engine::{Runtime, WarmUp};
use berth_oci::registry::{CredentialSource, RegistryOptions};
use berth_oci::{LayerCompression, LayerFile, Location, PackageOptions, Platform};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

/// The base when `--base` is not given: the runner image of this berth version. A build may
/// name another with `BERTH_RUNNER_IMAGE` (a mirror, a private registry).
const DEFAULT_BASE: &str = match option_env!("BERTH_RUNNER_IMAGE") {
    Some(image) => image,
    None => concat!("ghcr.io/berth-dev/berth-runner:", env!("CARGO_PKG_VERSION")),
};

#[derive(Debug, Args)]
pub(crate) struct PackageArgs {
    /// The ONNX model file (its external-data files, if any, are found and packaged with it),
    /// or a directory holding exactly one `.onnx` file.
    #[arg(value_name = "MODEL")]
    model: PathBuf,

    /// The image's name: REGISTRY/REPOSITORY[:TAG]. It is pushed there unless --output says
    /// otherwise.
    #[arg(short = 't', long = "tag", value_name = "REF")]
    tag: String,

    /// The berth runner image to build on: a registry reference (a digest pins it) or
    /// oci:DIR[:NAME].
    #[arg(long, env = "BERTH_BASE_IMAGE", value_name = "REF", default_value = DEFAULT_BASE)]
    base: String,

    /// Only this platform of a multi-platform base (OS/ARCH[/VARIANT]); without it every
    /// platform gets the model, in an index.
    #[arg(long, value_name = "OS/ARCH")]
    platform: Option<String>,

    /// Write the image to oci:DIR[:NAME] (an OCI layout) or docker-archive:FILE (for `docker
    /// load`) instead of pushing it.
    #[arg(long, value_name = "DEST")]
    output: Option<String>,

    /// Also write the image's digest to this file.
    #[arg(long, value_name = "FILE")]
    digest_file: Option<PathBuf>,

    /// A label for the image's config, KEY=VALUE (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,

    /// An environment variable for the server, KEY=VALUE (repeatable), such as
    /// MISSING_VALUES=nan.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,

    /// The model's name in the image (the file becomes NAME.onnx; KServe's v2 protocol serves it
    /// as NAME). Default: the model file's name.
    #[arg(long, value_name = "NAME")]
    model_name: Option<String>,

    /// How the model layer is stored. auto: uncompressed, as the image's format allows it (a
    /// plain tar in an OCI image; gzip of stored blocks in a docker-format image, whose spec
    /// names only gzip layers): float weights shrink by a few percent with gzip, which costs
    /// more at push and at every pull than it saves. none: a plain tar. store: gzip of stored
    /// blocks. gzip: gzip level 1.
    #[arg(long, value_enum, default_value_t = Compression::Auto)]
    compression: Compression,

    /// Talk plain HTTP to a registry that is not on the loopback interface.
    #[arg(long)]
    insecure: bool,
}

/// `berth package-check MODEL`: the model check of `berth package`, run in a child process.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The ONNX model file.
    #[arg(value_name = "MODEL")]
    model: PathBuf,
}

/// What the check found, from the child to the parent (one JSON line on stdout).
#[derive(Debug, Serialize, Deserialize)]
struct CheckReport {
    onnxruntime: String,
    inputs: usize,
    outputs: usize,
    /// The warm-up's error when the model refused it as a client error (served anyway).
    warm_up_refused: Option<String>,
    /// The check process's peak resident memory, when the system tells.
    peak_memory_bytes: Option<u64>,
}

/// Loads the model with ONNX Runtime and runs the warm-up inference, as `berth serve` does.
pub(crate) fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let runtime = Runtime::load(&LibraryLocator::from_env())?;
    let checked = berth_engine::check_model(&runtime, &args.model)?;
    let report = CheckReport {
        onnxruntime: runtime.version().to_owned(),
        inputs: checked.signature.inputs.len(),
        outputs: checked.signature.outputs.len(),
        warm_up_refused: match checked.warm_up {
            WarmUp::Ran => None,
            WarmUp::Refused(error) => Some(error.to_string()),
        },
        peak_memory_bytes: peak_memory(),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}

/// This process's peak resident memory (Linux's `VmHWM`), in bytes.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// Starts the check of `model` in a child process.
fn spawn_check(model: &Path) -> anyhow::Result<std::process::Child> {
    let exe = std::env::current_exe().context("finding berth's own executable")?;
    std::process::Command::new(exe)
        .arg("package-check")
        .arg(model)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("starting the model check")
}

/// The check's verdict: its report, or why berth does not package the model.
fn finish_check(child: std::process::Child, model: &Path) -> anyhow::Result<CheckReport> {
    use std::os::unix::process::ExitStatusExt as _;
    let output = child
        .wait_with_output()
        .context("waiting for the model check")?;
    let refusal = |why: String| {
        anyhow::anyhow!(
            "berth cannot serve {}, so it does not package it: {why}",
            model.display()
        )
    };
    if let Some(signal) = output.status.signal() {
        return Err(refusal(format!(
            "ONNX Runtime crashed while loading or running it (signal {signal})"
        )));
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim().trim_start_matches("error: ");
        return Err(refusal(message.to_owned()));
    }
    serde_json::from_slice(&output.stdout).context("reading the model check's report")
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Compression {
    Auto,
    None,
    Store,
    Gzip,
}

pub(crate) fn run(args: &PackageArgs) -> anyhow::Result<ExitCode> {
    // Everything the user typed is checked before the model is loaded.
    let tag = berth_oci::parse_reference(&args.tag)?;
    let output = match &args.output {
        None => Location::Registry(tag.clone()),
        Some(text) => match Location::parse(text)? {
            Location::Registry(_) => bail!(
                "invalid --output {text:?}: expected oci:DIR[:NAME] or docker-archive:FILE (to \
                 push, leave --output out and name the registry in -t)"
            ),
            other => other,
        },
    };
    let base = Location::parse(&args.base).context("invalid --base")?;
    let platform = args
        .platform
        .as_deref()
        .map(str::parse::<Platform>)
        .transpose()?;
    let labels = key_values("--label", &args.labels, |_| true)?;
    let env = key_values("--env", &args.env, |key| {
        key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !key.starts_with(|c: char| c.is_ascii_digit())
    })?;
    let model_path = find_model(&args.model)?;
    let model_name = match &args.model_name {
        Some(name) => check_model_name(name)?,
        None => model_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".to_owned()),
    };
    let created = source_date_epoch()?;

    let files = berth_engine::model_files(&model_path)?;
    let check = spawn_check(&model_path)?;

    let model_file = format!("{model_name}.onnx");
    let mut layer_files = vec![LayerFile {
        source: model_path.clone(),
        name: model_file.clone(),
    }];
    for relative in &files.external_data {
        layer_files.push(LayerFile {
            source: files.directory().join(relative),
            name: relative.to_string_lossy().into_owned(),
        });
    }
    let mut all_labels = vec![(
        "dev.berth.version".to_owned(),
        env!("CARGO_PKG_VERSION").to_owned(),
    )];
    all_labels.extend(labels);
    let mut all_env = vec![("MODEL_FILENAME".to_owned(), model_file.clone())];
    all_env.extend(env);
    let options = PackageOptions {
        files: layer_files,
        model_file: model_file.clone(),
        base,
        tag: tag.clone(),
        output: output.clone(),
        platform,
        labels: all_labels,
        env: all_env,
        created,
        compression: match args.compression {
            Compression::Auto => None,
            Compression::None => Some(LayerCompression::None),
            Compression::Store => Some(LayerCompression::Store),
            Compression::Gzip => Some(LayerCompression::Gzip),
        },
        registry: RegistryOptions {
            insecure: args.insecure,
            chunk_size: None,
            credentials: CredentialSource::Environment,
        },
        created_by: format!("berth package {model_file}"),
    };
    // The base is read and the layer written while the child checks the model; the model's
    // verdict comes first, and nothing reaches the output before it.
    let prepared = berth_oci::prepare(&options);
    let checked = finish_check(check, &model_path)?;
    eprintln!(
        "model: {} checked with ONNX Runtime {} ({} input(s), {} output(s), one inference{})",
        model_path.display(),
        checked.onnxruntime,
        checked.inputs,
        checked.outputs,
        checked
            .warm_up_refused
            .map_or_else(String::new, |why| format!(
                " of zeros, refused as a client error: {why}"
            )),
    );
    let report = prepared?.write()?;

    eprint!("{}", describe(&report));
    if let (Some(packaging), Some(check)) = (peak_memory(), checked.peak_memory_bytes) {
        eprintln!(
            "peak memory: {} packaging, {} in the ONNX Runtime check (its own process)",
            megabytes(packaging),
            megabytes(check)
        );
    }
    let shown = match &output {
        Location::Registry(reference) => format!(
            "{}/{}@{}",
            reference.registry(),
            reference.repository(),
            report.digest
        ),
        _ => report.digest.clone(),
    };
    println!("{shown}");
    if let Some(file) = &args.digest_file {
        std::fs::write(file, format!("{}\n", report.digest))
            .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The size of every layer of every image, and what a push sent.
fn describe(report: &berth_oci::PackageReport) -> String {
    let mut text = String::new();
    for image in &report.images {
        let platform = image
            .platform
            .as_ref()
            .map_or_else(|| "image".to_owned(), ToString::to_string);
        let total: u64 = image.layers.iter().map(|(_, size, _)| size).sum();
        let _ = writeln!(
            text,
            "{platform} {} ({} in {} layers)",
            image.digest,
            megabytes(total),
            image.layers.len()
        );
        let last = image.layers.len().saturating_sub(1);
        for (position, (digest, size, media_type)) in image.layers.iter().enumerate() {
            let what = if position == last { "model" } else { "base" };
            let _ = writeln!(
                text,
                "  {what:5} {:>10}  {digest}  {media_type}",
                megabytes(*size)
            );
        }
    }
    if let Some(push) = &report.push {
        let _ = writeln!(
            text,
            "pushed: {} blob(s) uploaded ({}), {} already there, {} mounted",
            push.blobs_uploaded,
            megabytes(push.bytes_uploaded),
            push.blobs_present,
            push.blobs_mounted
        );
    }
    text
}

/// A size in decimal units, as registries and `docker images` show them.
fn megabytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let bytes = bytes as f64;
    if bytes < 1e6 {
        format!("{:.1} kB", bytes / 1e3)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    }
}

/// The model file: MODEL itself, or the one `.onnx` of a directory.
fn find_model(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_dir() {
        // The same reading of a directory as `berth serve`'s.
        let names = crate::model_dir::entries(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let onnx = crate::model_dir::onnx_files(path, &names);
        return match onnx.as_slice() {
            [only] => Ok(path.join(only)),
            [] => bail!("{} holds no .onnx file", path.display()),
            _ => bail!(
                "{} holds {} .onnx files ({}); name the one to package",
                path.display(),
                onnx.len(),
                crate::model_dir::listing(&onnx)
            ),
        };
    }
    if !path.is_file() {
        bail!("no model at {}", path.display());
    }
    Ok(path.to_path_buf())
}

/// A model name: letters, digits, `-`, `_` and `.`, not starting with `.` (it becomes a file
/// name and a URL path segment).
fn check_model_name(name: &str) -> anyhow::Result<String> {
    let name = name.strip_suffix(".onnx").unwrap_or(name);
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        bail!(
            "invalid --model-name {name:?}: expected letters, digits, '-', '_' and '.', not \
             starting with '.'"
        );
    }
    Ok(name.to_owned())
}

/// KEY=VALUE pairs, each key checked.
fn key_values(
    flag: &str,
    pairs: &[String],
    valid_key: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() && valid_key(key) => {
                Ok((key.to_owned(), value.to_owned()))
            }
            _ => bail!("invalid {flag} {pair:?}: expected KEY=VALUE"),
        })
        .collect()
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org), else 0: the image's times never come from
/// the clock, so two runs give one digest.
fn source_date_epoch() -> anyhow::Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) if !value.trim().is_empty() => value.trim().parse().with_context(|| {
            format!("invalid SOURCE_DATE_EPOCH={value:?}: expected seconds since 1970")
        }),
        _ => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_and_key_values_are_checked() {
        assert_eq!(check_model_name("iris-v2").unwrap(), "iris-v2");
        assert_eq!(check_model_name("iris.onnx").unwrap(), "iris");
        for bad in ["", ".hidden", "a/b", "a b", "é"] {
            assert!(check_model_name(bad).is_err(), "{bad}");
        }
        let ok = key_values("--env", &["A_1=x=y".into()], |_| true).unwrap();
        assert_eq!(ok, [("A_1".to_owned(), "x=y".to_owned())]);
        assert!(key_values("--env", &["=x".into()], |_| true).is_err());
        assert!(key_values("--env", &["novalue".into()], |_| true).is_err());
    }

    #[test]
    fn the_default_base_is_this_versions_runner() {
        assert!(
            DEFAULT_BASE.ends_with(env!("CARGO_PKG_VERSION"))
                || option_env!("BERTH_RUNNER_IMAGE").is_some()
        );
        berth_oci::parse_reference(DEFAULT_BASE).unwrap();
    }
}
