//! `berth lint [PATH...]`: lint Dockerfiles for CI with hadolint's DL rules, Docker's build
//! checks and berth's own, in parallel, and report as text, JSON, SARIF, Checkstyle or GitHub
//! annotations.
//!
//! Configuration, later wins: `.hadolint.yaml`/`.hadolint.yml` in the current directory (or
//! `--hadolint-config`), `berth.toml` (`[lint]` table; or `--config`), then flags.
//!
//! ShellCheck (`--shellcheck`, default `auto`: when the program is found) checks the RUN
//! scripts and adds its `SCxxxx` findings, which the same ignore lists, overrides and pragmas
//! govern.
//!
//! Exit codes: 0 no finding at or above the failure threshold (or `--no-fail`); 1 at least one
//! such finding (a file that does not parse counts as an error finding, `DL1000`); 2 usage,
//! configuration or I/O error (no Dockerfile found, unreadable file, invalid config, unknown
//! rule for `--explain`).

use anyhow::Context as _;
use berth_lint::files::{discover, lint_files};
use berth_lint::registry;
use berth_lint::report::{Format as ReportFormat, render};
use berth_lint::shellcheck::{
    DEFAULT_PROGRAM as DEFAULT_SHELLCHECK, ShellcheckMode, ShellcheckSettings, default_cache_dir,
    is_shellcheck_code,
};
use berth_lint::{LintConfig, Linter, Threshold};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// `file:line:col code severity message`.
    Text,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// Checkstyle XML.
    Checkstyle,
    /// GitHub Actions annotations.
    Github,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Color {
    /// When stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// When to run ShellCheck on RUN scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Shellcheck {
    /// When the program is found (silently not otherwise).
    Auto,
    /// Always; exit 2 when the program is missing.
    On,
    /// Never.
    Off,
}

/// Arguments of `berth lint`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 clean (nothing at or above the failure threshold), \
1 findings at or above the threshold, 2 usage, configuration or I/O error."
)]
pub(crate) struct LintArgs {
    /// Dockerfiles, or directories to search for Dockerfile, *.Dockerfile, Dockerfile.*,
    /// Containerfile.
    #[arg(default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    /// Report format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Fail (exit 1) on findings of this severity or worse: error, warning, info, style, none.
    /// Default: info, or the configuration's.
    #[arg(short = 't', long, value_parser = parse_threshold)]
    pub(crate) failure_threshold: Option<Threshold>,
    /// Always exit 0 when linting worked, whatever is found.
    #[arg(long)]
    pub(crate) no_fail: bool,
    /// Rule codes to ignore (repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// Run only these rule codes (repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    pub(crate) select: Vec<String>,
    /// Turn on rules that are off by default (`all` for every rule).
    #[arg(long, value_delimiter = ',')]
    pub(crate) enable: Vec<String>,
    /// Registries allowed in FROM (enables DL3026), e.g. `docker.io`, `*.gcr.io`.
    #[arg(long = "trusted-registry")]
    pub(crate) trusted_registries: Vec<String>,
    /// Do not honour `# hadolint ignore=` / `# berth ignore=` comments.
    #[arg(long)]
    pub(crate) disable_ignore_pragma: bool,
    /// A build argument, `NAME=VALUE`, as given to `docker build` (repeatable). The rules that
    /// need the stage graph (berth's BRT checks, `UndefinedVar`) skip a file whose base image
    /// needs an ARG with no value; this gives it one.
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = crate::analyze::parse_build_arg)]
    pub(crate) build_args: Vec<(String, String)>,
    /// berth configuration file (default: ./berth.toml when present).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// hadolint configuration file (default: ./.hadolint.yaml or .yml when present).
    #[arg(long, value_name = "FILE")]
    pub(crate) hadolint_config: Option<PathBuf>,
    /// Check RUN scripts with ShellCheck and report its SCxxxx findings: auto (when the program
    /// is found), on (required), off.
    #[arg(long, value_enum, env = "BERTH_LINT_SHELLCHECK", default_value_t = Shellcheck::Auto)]
    pub(crate) shellcheck: Shellcheck,
    /// The ShellCheck program: a path, or a name looked up on PATH.
    #[arg(long, value_name = "PROGRAM", env = "BERTH_LINT_SHELLCHECK_PATH", default_value = DEFAULT_SHELLCHECK)]
    pub(crate) shellcheck_path: PathBuf,
    /// Where ShellCheck's findings are kept by script, so that unchanged RUN scripts are not
    /// checked again: a directory, or `off` [default: $XDG_CACHE_HOME/berth/shellcheck, else
    /// ~/.cache/berth/shellcheck].
    #[arg(long, value_name = "DIR|off", env = "BERTH_LINT_SHELLCHECK_CACHE")]
    pub(crate) shellcheck_cache: Option<PathBuf>,
    /// Colour text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub(crate) color: Color,
    /// List every rule (code, severity, origin, default, name, summary) and exit.
    #[arg(long)]
    pub(crate) list_rules: bool,
    /// Print a rule's documentation and exit.
    #[arg(long, value_name = "CODE")]
    pub(crate) explain: Option<String>,
}

fn parse_threshold(text: &str) -> Result<Threshold, String> {
    Threshold::parse(text)
        .ok_or_else(|| format!("unknown threshold `{text}` (error, warning, info, style or none)"))
}

/// Run the subcommand.
pub(crate) fn run(args: &LintArgs) -> anyhow::Result<ExitCode> {
    match lint(args) {
        Ok(code) => Ok(code),
        Err(error) => {
            #[allow(clippy::print_stderr)] // the binary reports errors on stderr
            {
                eprintln!("berth lint: {error:#}");
            }
            Ok(ExitCode::from(2))
        }
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// What `--list-rules` and `--explain` say about ShellCheck's codes, which are not rules of
/// berth's catalogue.
const SHELLCHECK_NOTE: &str = "SCxxxx codes are ShellCheck's: with --shellcheck=auto (the default, when the \
`shellcheck` program is found) or on, RUN scripts are checked by ShellCheck and its findings \
reported with its codes, levels and messages. They follow --ignore, --select, the severity \
overrides and `# hadolint ignore=SCxxxx` pragmas like rule codes.";

fn list_rules() -> String {
    let mut out =
        String::from("CODE                            SEVERITY ORIGIN   DEFAULT NAME / SUMMARY\n");
    for entry in registry::ALL {
        let m = entry.meta;
        out.push_str(&format!(
            "{:<31} {:<8} {:<8} {:<7} {}: {}\n",
            m.code,
            m.severity.as_str(),
            m.origin.as_str(),
            if m.default_enabled { "on" } else { "off" },
            m.name,
            m.summary
        ));
    }
    out.push_str(&format!("\n{SHELLCHECK_NOTE}\n"));
    out
}

fn explain(code: &str) -> anyhow::Result<String> {
    if is_shellcheck_code(code) {
        return Ok(format!(
            "{code} (ShellCheck)\n\n{SHELLCHECK_NOTE}\n\n## References\n{}\n",
            berth_lint::shellcheck::help_uri(code)
        ));
    }
    let meta = registry::find(code).with_context(|| format!("no rule `{code}`"))?;
    let mut out = format!(
        "{} ({})\norigin: {}, severity: {}, {} by default{}\n\n{}\n\n{}",
        meta.code,
        meta.name,
        meta.origin.as_str(),
        meta.severity.as_str(),
        if meta.default_enabled { "on" } else { "off" },
        if meta.onbuild {
            ", also checks ONBUILD triggers"
        } else {
            ""
        },
        meta.summary,
        meta.docs
    );
    if let Some(uri) = meta.help_uri() {
        out.push_str(&format!("\n## References\n{uri}\n"));
    }
    Ok(out)
}

fn load_config(args: &LintArgs) -> anyhow::Result<LintConfig> {
    let mut config = LintConfig::default();
    let hadolint = args.hadolint_config.clone().or_else(|| {
        [".hadolint.yaml", ".hadolint.yml"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    if let Some(path) = hadolint {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        config
            .apply_hadolint_yaml(&text)
            .with_context(|| path.display().to_string())?;
    }
    let berth = args
        .config
        .clone()
        .or_else(|| Some(PathBuf::from("berth.toml")).filter(|p| p.is_file()));
    if let Some(path) = berth {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let digests = config
            .apply_berth_toml(&text)
            .with_context(|| path.display().to_string())?;
        if let Some(file) = digests {
            let base = path.parent().unwrap_or(Path::new("."));
            let digests_path = base.join(file);
            let text = std::fs::read_to_string(&digests_path)
                .with_context(|| format!("cannot read digests file {}", digests_path.display()))?;
            config.apply_digests(&text);
        }
    }
    config.ignore.extend(args.ignore.iter().cloned());
    config.enable.extend(args.enable.iter().cloned());
    if !args.select.is_empty() {
        config.only = Some(args.select.iter().cloned().collect());
    }
    config
        .settings
        .trusted_registries
        .extend(args.trusted_registries.iter().cloned());
    if let Some(threshold) = args.failure_threshold {
        config.failure_threshold = threshold;
    }
    config.no_fail |= args.no_fail;
    config.disable_ignore_pragma |= args.disable_ignore_pragma;
    config.build_args.extend(args.build_args.iter().cloned());
    for code in config
        .ignore
        .iter()
        .chain(&config.enable)
        .chain(config.severity.keys())
    {
        if code != "all" && registry::find(code).is_none() && !is_shellcheck_code(code) {
            anyhow::bail!("unknown rule code `{code}` (see `berth lint --list-rules`)");
        }
    }
    if let Some(code) = config.enable.iter().find(|c| is_shellcheck_code(c)) {
        anyhow::bail!(
            "`{code}` is a ShellCheck code: ShellCheck's findings are on whenever ShellCheck runs (--shellcheck)"
        );
    }
    config.shellcheck = ShellcheckSettings {
        mode: match args.shellcheck {
            Shellcheck::Auto => ShellcheckMode::Auto,
            Shellcheck::On => ShellcheckMode::On,
            Shellcheck::Off => ShellcheckMode::Off,
        },
        program: args.shellcheck_path.clone(),
        cache: match &args.shellcheck_cache {
            Some(dir) if dir.as_os_str() == "off" => None,
            Some(dir) => Some(dir.clone()),
            None => default_cache_dir(),
        },
    };
    Ok(config)
}

fn lint(args: &LintArgs) -> anyhow::Result<ExitCode> {
    if args.list_rules {
        write_stdout(&list_rules())?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(code) = &args.explain {
        write_stdout(&explain(code)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = load_config(args)?;
    let files = discover(&args.paths)?;
    if files.is_empty() {
        anyhow::bail!("no Dockerfile found under {}", display_paths(&args.paths));
    }
    let linter = Linter::new(config);
    let mut reports = Vec::with_capacity(files.len());
    for result in lint_files(&linter, &files)? {
        match result {
            Ok(report) => reports.push(report),
            Err((path, error)) => anyhow::bail!("cannot read {}: {error}", path.display()),
        }
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match args.format {
        Format::Text => ReportFormat::Text,
        Format::Json => ReportFormat::Json,
        Format::Sarif => ReportFormat::Sarif,
        Format::Checkstyle => ReportFormat::Checkstyle,
        Format::Github => ReportFormat::Github,
    };
    write_stdout(&render(format, &reports, color))?;
    let config = linter.config();
    let failed = !config.no_fail
        && reports
            .iter()
            .flat_map(|r| &r.diagnostics)
            .any(|d| config.failure_threshold.fails(d.severity));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
