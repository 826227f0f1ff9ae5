//! ShellCheck findings (`SCxxxx`) for `berth lint`, from the real `shellcheck` program, as
//! hadolint reports them from the ShellCheck library it embeds.
//!
//! This module owns three things:
//! - which RUN text is a shell script and for which shell (`run_scripts`): shell-form RUNs
//!   (ONBUILD RUN triggers too, without the build's ARGs), and the heredoc bodies a POSIX shell reads (`shell::shell_body`), checked with the
//!   stage's shell (`/bin/sh`, or the `SHELL` instruction's when it is sh, bash, dash, ksh or
//!   ash; any other shell is skipped). Each script starts with a `#!` line for its shell and an
//!   `export NAME=1` line for every ARG and ENV name of the stage (and the proxy variables
//!   Docker predefines), as hadolint does, so ShellCheck neither calls them unassigned (SC2154)
//!   nor asks to quote them (SC2086). The script keeps the RUN's physical lines and columns
//!   (keyword and flags blanked, Dockerfile comment lines inside a continuation made bare
//!   continuations), so findings map back to exact Dockerfile positions;
//! - running ShellCheck once for many scripts (`check`): every script is written to a
//!   temporary file and one `shellcheck -f json1` process per thread of the pool reads them
//!   (one process for small runs), instead of one process per RUN;
//! - reading its JSON back into positioned findings (`Finding`), failing loudly on anything
//!   unexpected ([`crate::Error`]).
//!
//! Which findings are kept (ignore lists, pragmas, severity overrides) is the linter's job.
//!
//! One piece past 500 lines (a quarter of it tests) because the three parts share one
//! structure, the script's table from script lines back to Dockerfile lines and columns: the
//! writer fills it, the reader is its only user.

use crate::analyze::sizes::{Os, image_facts};
use crate::rule::Severity;
use crate::shell::{ShellBody, is_bare_heredoc, shell_body};
use berth_dockerfile::{CommandLine, Dockerfile, Instruction, InstructionKind};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// When `berth lint` runs ShellCheck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShellcheckMode {
    /// When the program is found; silently not otherwise.
    Auto,
    /// Always; a missing program is an error.
    On,
    /// Never (the library's default: [`crate::Linter::lint`] stays a pure function).
    #[default]
    Off,
}

/// The program looked up on `PATH` when no other is named.
pub const DEFAULT_PROGRAM: &str = "shellcheck";

/// Whether and with which program ShellCheck runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellcheckSettings {
    /// When to run it.
    pub mode: ShellcheckMode,
    /// The program: a path, or a name looked up on `PATH`.
    pub program: PathBuf,
    /// A directory where each script's findings are kept, by the script's text and the
    /// program's identity, so that a script seen before is not checked again; `None` (the
    /// library's default): no cache.
    pub cache: Option<PathBuf>,
}

impl Default for ShellcheckSettings {
    fn default() -> Self {
        Self {
            mode: ShellcheckMode::default(),
            program: PathBuf::from(DEFAULT_PROGRAM),
            cache: None,
        }
    }
}

/// Where `berth lint` keeps ShellCheck's findings unless told otherwise:
/// `$XDG_CACHE_HOME/berth/shellcheck`, else `$HOME/.cache/berth/shellcheck`.
#[must_use]
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("berth").join("shellcheck"))
}

impl ShellcheckSettings {
    /// The program to run, or `None` when ShellCheck is off or (in `auto`) not found.
    ///
    /// # Errors
    /// [`crate::Error::ShellcheckMissing`] in `on` mode when the program is not found.
    pub fn resolve(&self) -> Result<Option<PathBuf>, crate::Error> {
        if self.mode == ShellcheckMode::Off {
            return Ok(None);
        }
        match find_program(&self.program) {
            Some(path) => Ok(Some(path)),
            None if self.mode == ShellcheckMode::On => Err(crate::Error::ShellcheckMissing {
                program: self.program.clone(),
            }),
            None => Ok(None),
        }
    }
}

/// `program` itself when it names a path, else the first executable file of that name on
/// `PATH`.
fn find_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// ShellCheck codes never reported, as in hadolint: 1090 and 1091 (a sourced file ShellCheck
/// cannot or may not follow: a Dockerfile has no place for the directive that would say
/// where it is) and 2187 (ash is checked as dash, which is fine).
const EXCLUDED: &str = "1090,1091,2187";

/// Shells ShellCheck understands, by the base name of the SHELL instruction's first word.
const CHECKED_SHELLS: [&str; 5] = ["sh", "bash", "dash", "ksh", "ash"];

/// The shell RUN uses when no SHELL instruction says otherwise.
const DEFAULT_SHELL: &str = "sh";

/// Variables Docker defines in every build without an ARG (its predefined proxy ARGs), as
/// hadolint declares them.
const PREDEFINED_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Scripts one ShellCheck process gets at least before a second one is started: ShellCheck
/// spends a few milliseconds on each script and about ten on starting, so small runs use one
/// process and large ones one per thread of the pool (ShellCheck itself uses one core).
const MIN_SCRIPTS_PER_PROCESS: usize = 50;

/// The codes `SC1000`..`SC9999`, so a finding's code is a plain static string like a rule's
/// (ShellCheck's codes are four digits).
static CODES: [[u8; 6]; 9000] = {
    let mut table = [[0u8; 6]; 9000];
    let mut i = 0;
    while i < 9000 {
        let n = i + 1000;
        table[i] = [
            b'S',
            b'C',
            b'0' + (n / 1000) as u8,
            b'0' + (n / 100 % 10) as u8,
            b'0' + (n / 10 % 10) as u8,
            b'0' + (n % 10) as u8,
        ];
        i += 1;
    }
    table
};

/// `SC2086` for 2086; `None` outside ShellCheck's four-digit range.
#[must_use]
pub fn code_name(number: u64) -> Option<&'static str> {
    let index = usize::try_from(number.checked_sub(1000)?).ok()?;
    std::str::from_utf8(CODES.get(index)?).ok()
}

/// `code` is a ShellCheck code (`SC` and four digits).
#[must_use]
pub fn is_shellcheck_code(code: &str) -> bool {
    code.strip_prefix("SC")
        .is_some_and(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()) && n >= "1000")
}

/// ShellCheck's wiki page for `code`.
#[must_use]
pub fn help_uri(code: &str) -> String {
    format!("https://www.shellcheck.net/wiki/{code}")
}

/// One RUN's shell script as ShellCheck reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunScript {
    /// The text: `#!` line, `export` lines, then the RUN's lines.
    pub(crate) text: String,
    /// The Dockerfile line of each line of `text` (the header's lines: the RUN's line).
    lines: Vec<usize>,
    /// How many lines the header (`#!` and `export` lines) takes.
    header_len: usize,
    /// Columns of `text` are the Dockerfile's; false when the script had to be the joined
    /// line (a file whose escape character is not `\`): findings then point at the keyword.
    columns_kept: bool,
    /// The RUN's first line, where hadolint reports and where its pragmas point.
    pub(crate) instruction_line: usize,
    /// Columns of the RUN keyword and just after it.
    keyword_column: usize,
    keyword_end_column: usize,
}

/// A ShellCheck finding placed in the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// `SC2086`.
    pub(crate) code: &'static str,
    /// ShellCheck's level.
    pub(crate) severity: Severity,
    /// ShellCheck's message.
    pub(crate) message: String,
    /// Start line and column in the Dockerfile.
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// End line and column (exclusive) in the Dockerfile.
    pub(crate) end_line: usize,
    pub(crate) end_column: usize,
    /// The first line of the RUN that holds it.
    pub(crate) instruction_line: usize,
}

/// What one stage knows when a RUN runs: its shell (`None`: not one ShellCheck reads) and the
/// names ARG and ENV declared.
#[derive(Debug, Clone)]
struct StageShell {
    name: Option<String>,
    shell: Option<&'static str>,
    env: BTreeSet<String>,
    args: BTreeSet<String>,
}

impl StageShell {
    fn new(name: Option<String>) -> Self {
        Self {
            name,
            shell: Some(DEFAULT_SHELL),
            env: BTreeSet::new(),
            args: BTreeSet::new(),
        }
    }
}

/// The checked shell for the base name of a program (`/bin/bash` → `bash`).
fn checked_shell(program: &str) -> Option<&'static str> {
    let name = program.rsplit('/').next().unwrap_or(program);
    CHECKED_SHELLS.iter().copied().find(|s| *s == name)
}

/// The shell scripts of `file`'s RUN instructions (shell form), ONBUILD RUN triggers included.
/// `source` is the file's text.
pub(crate) fn run_scripts(file: &Dockerfile, source: &str) -> Vec<RunScript> {
    let lines: Vec<&str> = source.lines().collect();
    let mut stages: Vec<StageShell> = Vec::new();
    let mut scripts = Vec::new();
    for ins in &file.instructions {
        match &ins.kind {
            InstructionKind::From { image, name, .. } => {
                // A stage built on an earlier one keeps its shell and ENV (not its ARGs).
                let parent = stages
                    .iter()
                    .rev()
                    .find(|s| {
                        s.name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(&image.value))
                    })
                    .cloned();
                let mut stage = StageShell::new(name.as_ref().map(|n| n.value.clone()));
                if let Some(parent) = parent {
                    stage.shell = parent.shell;
                    stage.env = parent.env;
                } else if image_facts(&image.value).os == Os::Windows {
                    // A Windows image's RUN goes to `cmd /S /C` until a SHELL says otherwise.
                    stage.shell = None;
                }
                stages.push(stage);
            }
            _ => {
                let Some(stage) = stages.last_mut() else {
                    continue;
                };
                match &ins.kind {
                    InstructionKind::Arg { args } => {
                        stage.args.extend(args.iter().map(|a| a.name.clone()));
                    }
                    InstructionKind::Env { pairs } => {
                        stage.env.extend(pairs.iter().map(|p| p.key.value.clone()));
                    }
                    InstructionKind::Shell { shell } => {
                        stage.shell = shell.first().and_then(|s| checked_shell(s));
                    }
                    InstructionKind::Run {
                        command: CommandLine::Shell(text),
                        ..
                    } => {
                        if let Some(script) = run_script(ins, text, stage, &lines, file.escape()) {
                            scripts.push(script);
                        }
                    }
                    // A trigger runs in the child build: with this image's shell and ENV as far
                    // as the file can tell, but not its ARGs, which end with this build
                    // (hadolint checks triggers too).
                    InstructionKind::Onbuild {
                        trigger: Some(trigger),
                        ..
                    } => {
                        let child = StageShell {
                            args: BTreeSet::new(),
                            ..stage.clone()
                        };
                        if let InstructionKind::Run {
                            command: CommandLine::Shell(text),
                            ..
                        } = &trigger.kind
                            && let Some(script) =
                                run_script(trigger, text, &child, &lines, file.escape())
                        {
                            scripts.push(script);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    scripts
}

/// Builds one script's text and line table.
struct ScriptBuilder {
    text: String,
    lines: Vec<usize>,
}

impl ScriptBuilder {
    fn new(shell: &str, stage: &StageShell, run_line: usize) -> Self {
        let mut builder = Self {
            text: String::new(),
            lines: Vec::new(),
        };
        builder.push(&format!("#!/bin/{shell}"), run_line);
        let names: BTreeSet<&str> = PREDEFINED_VARIABLES
            .iter()
            .copied()
            .chain(stage.env.iter().map(String::as_str))
            .chain(stage.args.iter().map(String::as_str))
            .collect();
        for name in names {
            builder.push(&format!("export {name}=1"), run_line);
        }
        builder
    }

    fn push(&mut self, line: &str, file_line: usize) {
        self.text.push_str(line);
        self.text.push('\n');
        self.lines.push(file_line);
    }
}

/// The script of one shell-form RUN, or `None` when no shell ShellCheck reads runs it.
fn run_script(
    ins: &Instruction,
    text: &str,
    stage: &StageShell,
    lines: &[&str],
    escape: char,
) -> Option<RunScript> {
    let node = &ins.node;
    let run_line = node.start_line;
    let keyword_column = node.keyword_span.start.column;
    let command_span = node.args.first()?.span;
    let command_end = node.args.last().map_or(command_span.end, |a| a.span.end);
    let heredoc_start = command_end.line + 1;
    let body = shell_body(text, &node.heredocs);
    if body.is_none() && is_bare_heredoc(text) {
        // A script for another interpreter (`#!/usr/bin/env python3`).
        return None;
    }
    let shell = match &body {
        Some(ShellBody::Stdin(program)) => checked_shell(program),
        Some(ShellBody::Script(Some(program))) => checked_shell(program),
        Some(ShellBody::Script(None)) | None => stage.shell,
    }?;
    let mut script = ScriptBuilder::new(shell, stage, run_line);
    let header_len = script.lines.len();
    let columns_kept = escape == '\\' || body.is_some();
    if let Some(body) = body {
        // Only the body is the script: the line is `<<EOT` or one shell reading it.
        let content = &node.heredocs[0].content;
        for (offset, line) in content.lines().enumerate() {
            let is_shebang =
                offset == 0 && matches!(body, ShellBody::Script(_)) && line.starts_with("#!");
            script.push(if is_shebang { "" } else { line }, heredoc_start + offset);
        }
    } else if columns_kept {
        for number in command_span.start.line..=command_end.line {
            let raw = lines.get(number - 1).copied().unwrap_or_default();
            let line = if number == command_span.start.line {
                // The keyword and flags become spaces: columns stay the Dockerfile's.
                raw.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i + 1 < command_span.start.column {
                            ' '
                        } else {
                            c
                        }
                    })
                    .collect::<String>()
            } else if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
                // BuildKit drops comment and blank lines inside a continuation; a bare `\`
                // keeps the shell's command going and the line count the same.
                "\\".to_owned()
            } else {
                raw.to_owned()
            };
            // BuildKit continues a line on `\` followed by blanks; the shell only on `\`.
            let line = if number < command_end.line {
                let trimmed = line.trim_end();
                if trimmed.ends_with('\\') {
                    trimmed.to_owned()
                } else {
                    line
                }
            } else {
                line
            };
            script.push(&line, number);
        }
        // Heredocs read by something else (`cat <<EOT > file`): the shell sees them whole.
        for number in heredoc_start..=node.end_line {
            script.push(lines.get(number - 1).copied().unwrap_or_default(), number);
        }
    } else {
        // Another escape character: the joined line, with findings on the keyword.
        script.push(text, run_line);
        let mut number = heredoc_start;
        for heredoc in &node.heredocs {
            for line in heredoc.content.lines() {
                script.push(line, number);
                number += 1;
            }
            script.push(&heredoc.name, number);
            number += 1;
        }
    }
    Some(RunScript {
        text: script.text,
        lines: script.lines,
        header_len,
        columns_kept,
        instruction_line: run_line,
        keyword_column,
        keyword_end_column: keyword_column + node.keyword.chars().count(),
    })
}

/// Run ShellCheck (`program`) over `scripts` and return each script's findings, in order.
/// Scripts whose findings `cache` holds are not run again. The others are written to files of
/// a temporary directory and shared out evenly between as many processes as there are threads
/// in the pool, each getting at least [`MIN_SCRIPTS_PER_PROCESS`]; the processes work side by
/// side. Their findings are then kept in `cache`.
///
/// # Errors
/// The temporary files cannot be written, the program cannot be started, it exits with a code
/// other than 0 (clean) or 1 (findings), or its output is not the JSON expected.
pub(crate) fn check(
    program: &Path,
    scripts: &[&RunScript],
    cache: Option<&Path>,
) -> Result<Vec<Vec<Finding>>, crate::Error> {
    let cache = cache.map(|dir| Cache::new(dir, program));
    let mut comments: Vec<Option<Vec<RawComment>>> = scripts
        .iter()
        .map(|script| cache.as_ref().and_then(|c| c.get(&script.text)))
        .collect();
    let missing: Vec<usize> = (0..scripts.len())
        .filter(|&i| comments[i].is_none())
        .collect();
    if !missing.is_empty() {
        let fresh = run_scripts_through(
            program,
            &missing.iter().map(|&i| scripts[i]).collect::<Vec<_>>(),
        )?;
        for (&index, found) in missing.iter().zip(fresh) {
            if let Some(cache) = &cache {
                cache.put(&scripts[index].text, &found);
            }
            comments[index] = Some(found);
        }
    }
    scripts
        .iter()
        .zip(comments)
        .map(|(script, found)| {
            found
                .unwrap_or_default()
                .iter()
                .map(|comment| place(script, comment))
                .collect()
        })
        .collect()
}

/// ShellCheck's comments on each of `scripts`, in order, from fresh processes.
fn run_scripts_through(
    program: &Path,
    scripts: &[&RunScript],
) -> Result<Vec<Vec<RawComment>>, crate::Error> {
    if scripts.is_empty() {
        return Ok(Vec::new());
    }
    let dir = tempfile::Builder::new()
        .prefix("berth-shellcheck-")
        .tempdir()
        .map_err(crate::Error::ShellcheckInput)?;
    let mut paths = Vec::with_capacity(scripts.len());
    for (index, script) in scripts.iter().enumerate() {
        let path = dir.path().join(format!("{index}.sh"));
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(script.text.as_bytes()))
            .map_err(crate::Error::ShellcheckInput)?;
        paths.push(path);
    }
    let processes = paths
        .len()
        .div_ceil(MIN_SCRIPTS_PER_PROCESS)
        .clamp(1, rayon::current_num_threads().max(1));
    let chunks: Vec<&[PathBuf]> = paths.chunks(paths.len().div_ceil(processes)).collect();
    let outputs: Vec<Result<Vec<RawComment>, crate::Error>> = {
        use rayon::prelude::*;
        chunks
            .par_iter()
            .map(|chunk| run_program(program, chunk))
            .collect()
    };
    let mut comments: Vec<Vec<RawComment>> = (0..scripts.len()).map(|_| Vec::new()).collect();
    for output in outputs {
        for comment in output? {
            let index: usize = Path::new(&comment.file)
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse().ok())
                .filter(|i| *i < scripts.len())
                .ok_or_else(|| {
                    crate::Error::ShellcheckOutput(format!(
                        "a finding for an unknown file `{}`",
                        comment.file
                    ))
                })?;
            comments[index].push(comment);
        }
    }
    Ok(comments)
}

/// Findings kept on disk, one file per script, named by the SHA-256 of the program's identity
/// (its path, size and modification time: another ShellCheck gives other names), the excluded
/// codes and the script's text. The cache only ever saves work: an entry that cannot be read
/// or written is treated as missing and the script is checked again, so no finding depends
/// on it being there.
struct Cache {
    dir: PathBuf,
    program_identity: String,
}

impl Cache {
    fn new(dir: &Path, program: &Path) -> Self {
        let metadata = std::fs::metadata(program).ok();
        let modified = metadata
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Self {
            dir: dir.to_path_buf(),
            program_identity: format!(
                "{}\0{}\0{modified}",
                program.display(),
                metadata.map_or(0, |m| m.len())
            ),
        }
    }

    fn path(&self, text: &str) -> PathBuf {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [self.program_identity.as_str(), EXCLUDED, text] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let name: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    fn get(&self, text: &str) -> Option<Vec<RawComment>> {
        let bytes = std::fs::read(self.path(text)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Written to a temporary file and renamed, so a reader never sees half an entry.
    fn put(&self, text: &str, comments: &[RawComment]) {
        let Ok(json) = serde_json::to_vec(comments) else {
            return;
        };
        let _ = std::fs::create_dir_all(&self.dir).and_then(|()| {
            let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
            file.write_all(&json)?;
            file.persist(self.path(text)).map_err(|e| e.error)?;
            Ok(())
        });
    }
}

/// One entry of `shellcheck -f json1`'s `comments` (also the cache's format).
#[derive(Debug, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RawComment {
    file: String,
    line: usize,
    end_line: usize,
    column: usize,
    end_column: usize,
    level: String,
    code: u64,
    message: String,
}

#[derive(Debug, serde::Deserialize)]
struct RawOutput {
    comments: Vec<RawComment>,
}

fn run_program(program: &Path, files: &[PathBuf]) -> Result<Vec<RawComment>, crate::Error> {
    let output = Command::new(program)
        .args(["--norc", "--format=json1", "--exclude", EXCLUDED])
        .arg("--")
        .args(files)
        .output()
        .map_err(|source| crate::Error::ShellcheckStart {
            program: program.to_path_buf(),
            source,
        })?;
    // 0: nothing found, 1: findings; anything else (2: a file could not be read, 3/4: bad
    // options, a signal) means the findings are not all there.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return Err(crate::Error::ShellcheckFailed {
            program: program.to_path_buf(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    parse_output(&output.stdout)
}

fn parse_output(stdout: &[u8]) -> Result<Vec<RawComment>, crate::Error> {
    serde_json::from_slice::<RawOutput>(stdout)
        .map(|o| o.comments)
        .map_err(|e| crate::Error::ShellcheckOutput(e.to_string()))
}

/// Place a ShellCheck comment on `script` in the Dockerfile.
fn place(script: &RunScript, comment: &RawComment) -> Result<Finding, crate::Error> {
    let code = code_name(comment.code).ok_or_else(|| {
        crate::Error::ShellcheckOutput(format!("unexpected code {}", comment.code))
    })?;
    let severity = Severity::parse(&comment.level).ok_or_else(|| {
        crate::Error::ShellcheckOutput(format!("unexpected level `{}`", comment.level))
    })?;
    let file_line = |line: usize| {
        script
            .lines
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(script.instruction_line)
    };
    let (line, column, end_line, end_column) =
        if script.columns_kept && comment.line > script.header_len {
            let line = file_line(comment.line);
            let end_line = file_line(comment.end_line).max(line);
            let column = comment.column.max(1);
            let end_column = if end_line == line {
                comment.end_column.max(column + 1)
            } else {
                comment.end_column.max(1)
            };
            (line, column, end_line, end_column)
        } else {
            let line = script.instruction_line;
            (line, script.keyword_column, line, script.keyword_end_column)
        };
    Ok(Finding {
        code,
        severity,
        message: comment.message.clone(),
        line,
        column,
        end_line,
        end_column,
        instruction_line: script.instruction_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripts(source: &str) -> Vec<RunScript> {
        run_scripts(&berth_dockerfile::parse(source).unwrap(), source)
    }

    /// The script's lines after its header, with their Dockerfile lines.
    fn body(script: &RunScript) -> Vec<(usize, &str)> {
        script
            .lines
            .iter()
            .copied()
            .zip(script.text.lines())
            .skip(script.header_len)
            .collect()
    }

    #[test]
    fn codes_are_static_strings_of_four_digits() {
        assert_eq!(code_name(2086), Some("SC2086"));
        assert_eq!(code_name(1000), Some("SC1000"));
        assert_eq!(code_name(9999), Some("SC9999"));
        assert_eq!(code_name(999), None);
        assert_eq!(code_name(10_000), None);
        assert!(is_shellcheck_code("SC2086"));
        assert!(!is_shellcheck_code("SC208") && !is_shellcheck_code("DL3008"));
        assert!(!is_shellcheck_code("SC0999"));
    }

    #[test]
    fn continuation_lines_keep_their_lines_and_columns() {
        let source = "FROM debian:12\nRUN --mount=type=cache,target=/x echo $a \\  \n    # a comment\n\n    && cd /tmp\n";
        let [script] = scripts(source).try_into().unwrap();
        assert_eq!(
            body(&script),
            [
                (2, "                                 echo $a \\"),
                (3, "\\"),
                (4, "\\"),
                (5, "    && cd /tmp")
            ]
        );
        assert_eq!(script.instruction_line, 2);
        assert!(script.text.starts_with("#!/bin/sh\nexport FTP_PROXY=1\n"));
    }

    #[test]
    fn stage_variables_and_shell_are_declared() {
        let source = "ARG GLOBAL\nFROM debian:12 AS base\nARG VERSION\nENV HOME_DIR=/x\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN echo\nFROM base AS child\nRUN echo\nFROM debian:12\nRUN echo\n";
        let found = scripts(source);
        assert_eq!(found.len(), 3);
        assert!(found[0].text.starts_with("#!/bin/bash\n"));
        assert!(found[0].text.contains("export VERSION=1\n"));
        assert!(found[0].text.contains("export HOME_DIR=1\n"));
        assert!(!found[0].text.contains("GLOBAL"));
        // The child stage keeps its parent's shell and ENV, not its ARGs.
        assert!(found[1].text.starts_with("#!/bin/bash\n"));
        assert!(found[1].text.contains("export HOME_DIR=1\n"));
        assert!(!found[1].text.contains("VERSION"));
        assert!(found[2].text.starts_with("#!/bin/sh\n"));
        assert!(!found[2].text.contains("HOME_DIR"));
    }

    #[test]
    fn only_posix_shells_and_shell_form_are_checked() {
        let source = "FROM mcr.microsoft.com/windows:1\nSHELL [\"powershell\", \"-Command\"]\nRUN echo $x\nSHELL [\"cmd\", \"/S\", \"/C\"]\nRUN echo %x%\nSHELL [\"/bin/zsh\", \"-c\"]\nRUN echo $x\nSHELL [\"/bin/ash\", \"-c\"]\nRUN echo $x\nRUN [\"echo\", \"$x\"]\nONBUILD RUN echo $x\n";
        let found = scripts(source);
        assert_eq!(found.len(), 2);
        assert!(found[0].text.starts_with("#!/bin/ash\n"));
        assert_eq!(found[0].instruction_line, 9);
        // An ONBUILD RUN trigger is a script too, in the stage's shell.
        assert!(found[1].text.starts_with("#!/bin/ash\n"));
        assert_eq!(found[1].instruction_line, 11);
        assert_eq!(body(&found[1]).last(), Some(&(11, "            echo $x")));
    }

    #[test]
    fn a_windows_image_runs_cmd_until_a_shell_instruction_names_a_posix_shell() {
        let found = scripts(
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo %PATH%\nFROM python:3.12-windowsservercore-ltsc2022\nRUN pip install flask\nSHELL [\"bash\", \"-c\"]\nRUN echo $x\nFROM alpine:3\nRUN echo $y\n",
        );
        let lines: Vec<usize> = found.iter().map(|s| s.instruction_line).collect();
        assert_eq!(lines, [7, 9]);
    }

    #[test]
    fn an_onbuild_trigger_keeps_the_images_env_but_not_its_args() {
        let found = scripts(
            "FROM alpine:3\nARG BUILD_ONLY=1\nENV KEPT=2\nONBUILD RUN echo $BUILD_ONLY $KEPT\n",
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].text.contains("export KEPT=1\n"));
        assert!(!found[0].text.contains("BUILD_ONLY=1"));
    }

    #[test]
    fn heredoc_bodies_read_by_a_shell_are_the_script() {
        let source = "FROM debian:12\nRUN <<EOT\necho $a\nEOT\nRUN <<EOT bash -ex\n[[ -n $b ]]\nEOT\nRUN <<EOT\n#!/usr/bin/env dash\necho $c\nEOT\nRUN <<EOT\n#!/usr/bin/env python3\nprint(1)\nEOT\nRUN cat <<EOT > /x\n$d\nEOT\n";
        let found = scripts(source);
        assert_eq!(found.len(), 4);
        assert_eq!(body(&found[0]), [(3, "echo $a")]);
        assert!(found[0].text.starts_with("#!/bin/sh\n"));
        assert_eq!(body(&found[1]), [(6, "[[ -n $b ]]")]);
        assert!(found[1].text.starts_with("#!/bin/bash\n"));
        // The body's own `#!` line is replaced by the header's.
        assert_eq!(body(&found[2]), [(9, ""), (10, "echo $c")]);
        assert!(found[2].text.starts_with("#!/bin/dash\n"));
        // `cat` reads this body: the shell sees the line and the heredoc whole.
        assert_eq!(
            body(&found[3]),
            [(16, "    cat <<EOT > /x"), (17, "$d"), (18, "EOT")]
        );
    }

    #[test]
    fn findings_map_back_to_the_dockerfile() {
        let source = "FROM debian:12\nRUN echo ok \\\n    && echo $a\n# escape comment\nRUN <<EOT\ncd /x\nEOT\n";
        let found = scripts(source);
        let header = found[0].header_len;
        let comment = |line, column, end_column| RawComment {
            file: "0.sh".to_owned(),
            line,
            end_line: line,
            column,
            end_column,
            level: "info".to_owned(),
            code: 2086,
            message: "Double quote".to_owned(),
        };
        let finding = place(&found[0], &comment(header + 2, 16, 18)).unwrap();
        assert_eq!(
            (
                finding.line,
                finding.column,
                finding.end_line,
                finding.end_column
            ),
            (3, 16, 3, 18)
        );
        assert_eq!(finding.instruction_line, 2);
        assert_eq!(finding.code, "SC2086");
        let header = found[1].header_len;
        let finding = place(&found[1], &comment(header + 1, 1, 6)).unwrap();
        assert_eq!((finding.line, finding.column), (6, 1));
        assert_eq!(finding.instruction_line, 5);
        // A finding on the header points at the RUN keyword.
        let finding = place(&found[1], &comment(1, 1, 2)).unwrap();
        assert_eq!((finding.line, finding.column), (5, 1));
    }

    #[test]
    fn another_escape_character_puts_findings_on_the_keyword() {
        let source = "# escape=`\nFROM debian:12\nRUN echo $a `\n    && echo b\n";
        let [script] = scripts(source).try_into().unwrap();
        assert_eq!(body(&script), [(3, "echo $a     && echo b")]);
        let comment = RawComment {
            file: "0.sh".to_owned(),
            line: script.header_len + 1,
            end_line: script.header_len + 1,
            column: 6,
            end_column: 8,
            level: "info".to_owned(),
            code: 2086,
            message: String::new(),
        };
        let finding = place(&script, &comment).unwrap();
        assert_eq!(
            (finding.line, finding.column, finding.end_column),
            (3, 1, 4)
        );
    }

    #[test]
    fn unexpected_output_is_an_error() {
        assert!(parse_output(b"not json").is_err());
        assert!(parse_output(b"{\"comments\":[]}").unwrap().is_empty());
        let source = "FROM debian:12\nRUN echo $a\n";
        let found = scripts(source);
        let bad_level = RawComment {
            file: "0.sh".to_owned(),
            line: 1,
            end_line: 1,
            column: 1,
            end_column: 2,
            level: "fatal".to_owned(),
            code: 2086,
            message: String::new(),
        };
        assert!(place(&found[0], &bad_level).is_err());
        let bad_code = RawComment {
            code: 42,
            level: "info".to_owned(),
            ..bad_level
        };
        assert!(place(&found[0], &bad_code).is_err());
    }

    #[test]
    fn a_cached_script_is_not_checked_again_and_a_new_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let program = Path::new("/nonexistent/shellcheck");
        let found = scripts("FROM alpine:3\nRUN echo $a\nRUN echo $b\n");
        let cached = RawComment {
            file: "0.sh".to_owned(),
            line: found[0].header_len + 1,
            end_line: found[0].header_len + 1,
            column: 10,
            end_column: 12,
            level: "info".to_owned(),
            code: 2086,
            message: "Double quote".to_owned(),
        };
        Cache::new(dir.path(), program).put(&found[0].text, &[cached]);
        // The first script is answered from the cache, without the (missing) program.
        let placed = check(program, &[&found[0]], Some(dir.path())).unwrap();
        assert_eq!(placed[0].len(), 1);
        assert_eq!((placed[0][0].code, placed[0][0].line), ("SC2086", 2));
        // The second is not cached: the program must run, and here it cannot.
        assert!(matches!(
            check(program, &[&found[0], &found[1]], Some(dir.path())),
            Err(crate::Error::ShellcheckStart { .. })
        ));
        // Another program (or another build of it) does not read this program's entries.
        assert!(
            Cache::new(dir.path(), Path::new("/other/shellcheck"))
                .get(&found[0].text)
                .is_none()
        );
    }

    #[test]
    fn auto_mode_without_the_program_runs_nothing_and_on_mode_refuses() {
        let missing = PathBuf::from("/nonexistent/shellcheck");
        let auto = ShellcheckSettings {
            mode: ShellcheckMode::Auto,
            program: missing.clone(),
            cache: None,
        };
        assert!(auto.resolve().unwrap().is_none());
        let on = ShellcheckSettings {
            mode: ShellcheckMode::On,
            program: missing,
            cache: None,
        };
        let error = on.resolve().unwrap_err().to_string();
        assert!(error.contains("/nonexistent/shellcheck"), "{error}");
        assert!(ShellcheckSettings::default().resolve().unwrap().is_none());
    }
}
