//! BuildKit's instructions stage (`instructions.Parse`): every node becomes a typed instruction
//! or an error with BuildKit's message: unknown instructions, flag checking (`bflag.go`),
//! argument counts, stage names, ONBUILD restrictions, heredoc destinations, HEALTHCHECK options,
//! `RUN --mount` and `--network`.

use crate::ast::{Arg, Heredoc, Node};
use crate::error::{Error, Result};
use crate::heredoc::parse_heredoc;
use crate::span::Span;
use serde::Serialize;

/// The 18 instruction keywords.
pub const INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// A validated flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// Name without `--`.
    pub name: String,
    /// Value (`"true"` for a bare boolean flag).
    pub value: String,
    /// Where it is.
    pub span: Span,
}

/// Exec form (JSON array) or shell form of RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "form", content = "value", rename_all = "snake_case")]
pub enum CommandLine {
    /// `["executable", "arg"]`.
    Exec(Vec<String>),
    /// Text handed to the shell verbatim.
    Shell(String),
}

impl CommandLine {
    fn from_node(args: &[Arg], json: bool) -> Self {
        if json {
            Self::Exec(args.iter().map(|a| a.value.clone()).collect())
        } else {
            Self::Shell(
                args.iter()
                    .map(|a| a.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        }
    }

    /// The command as one string (exec arguments joined by spaces).
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Exec(args) => args.join(" "),
            Self::Shell(text) => text.clone(),
        }
    }
}

/// One `RUN --mount=` option set, parsed from its CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// `bind` (default), `cache`, `tmpfs`, `secret`, `ssh` (unvalidated until build time).
    pub kind: String,
    /// `from=` (stage name or image), literal.
    pub from: Option<String>,
    /// `source=`/`src=`.
    pub source: Option<String>,
    /// `target=`/`dst=`/`destination=`.
    pub target: Option<String>,
    /// Every `key[=value]` field in order, key lower-cased.
    pub fields: Vec<(String, Option<String>)>,
}

/// Sources and destination of COPY/ADD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopySpec {
    /// Source paths (not heredocs), unexpanded.
    pub sources: Vec<Arg>,
    /// Heredoc sources: inline files named after their delimiter.
    pub inline_sources: Vec<Heredoc>,
    /// Destination, unexpanded.
    pub dest: Arg,
    /// `--from=`.
    pub from: Option<String>,
    /// `--chown=`.
    pub chown: Option<String>,
    /// `--chmod=`.
    pub chmod: Option<String>,
    /// `--link`.
    pub link: bool,
}

/// HEALTHCHECK contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Health {
    /// `HEALTHCHECK NONE`.
    None,
    /// `HEALTHCHECK [opts] CMD ...`.
    Cmd {
        /// The test command.
        command: CommandLine,
    },
}

/// One key/value of ENV or LABEL (raw: quotes kept, unexpanded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    /// Key.
    pub key: Arg,
    /// Value.
    pub value: Arg,
    /// Written in the legacy `ENV key value` form.
    pub legacy: bool,
}

/// One ARG declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArgDecl {
    /// Name.
    pub name: String,
    /// Default, raw.
    pub default: Option<String>,
    /// Where it is.
    pub span: Span,
}

/// The typed content of an instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)] // variants are the instruction names; fields are documented on their types
pub enum InstructionKind {
    From {
        image: Arg,
        name: Option<Arg>,
        platform: Option<String>,
    },
    Run {
        command: CommandLine,
        mounts: Vec<Mount>,
        network: Option<String>,
        security: Option<String>,
    },
    Cmd {
        command: CommandLine,
    },
    Entrypoint {
        command: CommandLine,
    },
    Shell {
        shell: Vec<String>,
    },
    Copy(CopySpec),
    Add(CopySpec),
    Env {
        pairs: Vec<KeyValue>,
    },
    Label {
        pairs: Vec<KeyValue>,
    },
    Arg {
        args: Vec<ArgDecl>,
    },
    Expose {
        ports: Vec<Arg>,
    },
    Volume {
        paths: Vec<Arg>,
    },
    User {
        user: Arg,
    },
    Workdir {
        path: Arg,
    },
    StopSignal {
        signal: Arg,
    },
    Maintainer {
        name: Arg,
    },
    Healthcheck {
        health: Health,
    },
    Onbuild {
        expression: String,
        trigger: Option<Box<Instruction>>,
    },
}

/// A validated instruction: its parser node, its flags and its typed content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    /// Upper-cased keyword (`RUN`).
    pub keyword: String,
    /// The parser-stage node.
    pub node: Node,
    /// Validated flags.
    pub flags: Vec<Flag>,
    /// Typed content.
    pub kind: InstructionKind,
}

impl Instruction {
    /// The instruction's extent in the file.
    #[must_use]
    pub fn span(&self) -> Span {
        self.node.span()
    }

    /// First physical line.
    #[must_use]
    pub fn line(&self) -> usize {
        self.node.start_line
    }

    /// Value of flag `name`, if given (last one for repeatable flags).
    #[must_use]
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum FlagType {
    Bool,
    String,
    Strings,
}

fn err(node: &Node, message: impl Into<String>) -> Error {
    Error::Instruction {
        message: message.into(),
        span: node.span(),
    }
}

/// BuildKit's `BFlags.Parse` against the flags `allowed` for this instruction.
fn parse_flags(node: &Node, allowed: &[(&str, FlagType)]) -> Result<Vec<Flag>> {
    let mut parsed: Vec<Flag> = Vec::new();
    for raw in &node.flags {
        if raw.text == "--" {
            break;
        }
        let Some(body) = raw.text.strip_prefix("--") else {
            return Err(err(
                node,
                format!("arg should start with -- : {}", raw.text),
            ));
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let flag_name = format!("--{name}");
        let Some((_, kind)) = allowed.iter().find(|(n, _)| *n == name) else {
            let mut message = format!("unknown flag: {flag_name}");
            if let Some(suggestion) = suggest(name, allowed.iter().map(|(n, _)| *n)) {
                message.push_str(&format!(" (did you mean {suggestion}?)"));
            }
            return Err(err(node, message));
        };
        if *kind != FlagType::Strings && parsed.iter().any(|f| f.name == name) {
            return Err(err(node, format!("duplicate flag specified: {flag_name}")));
        }
        let value = match (kind, value) {
            (FlagType::Bool, Some("")) | (FlagType::String | FlagType::Strings, None) => {
                return Err(err(node, format!("missing a value on flag: {flag_name}")));
            }
            (FlagType::Bool, None) => "true".to_owned(),
            (FlagType::Bool, Some(v)) => match v.to_ascii_lowercase().as_str() {
                "true" => "true".to_owned(),
                "false" => "false".to_owned(),
                _ => {
                    return Err(err(
                        node,
                        format!("expecting boolean value for flag {flag_name}, not: {v}"),
                    ));
                }
            },
            (_, Some(v)) => v.to_owned(),
        };
        parsed.push(Flag {
            name: name.to_owned(),
            value,
            span: raw.span,
        });
    }
    Ok(parsed)
}

/// A close name from `candidates` (edit distance ≤ 2), for "did you mean" hints.
fn suggest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<String> {
    let word = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= 2 && *d < word.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

const COPY_FLAGS: [(&str, FlagType); 6] = [
    ("chown", FlagType::String),
    ("from", FlagType::String),
    ("chmod", FlagType::String),
    ("link", FlagType::Bool),
    ("exclude", FlagType::Strings),
    ("parents", FlagType::Bool),
];
const ADD_FLAGS: [(&str, FlagType); 7] = [
    ("chown", FlagType::String),
    ("chmod", FlagType::String),
    ("link", FlagType::Bool),
    ("keep-git-dir", FlagType::Bool),
    ("checksum", FlagType::String),
    ("unpack", FlagType::Bool),
    ("exclude", FlagType::Strings),
];
const RUN_FLAGS: [(&str, FlagType); 4] = [
    ("mount", FlagType::Strings),
    ("network", FlagType::String),
    ("security", FlagType::String),
    ("device", FlagType::Strings),
];
const HEALTHCHECK_FLAGS: [(&str, FlagType); 5] = [
    ("interval", FlagType::String),
    ("timeout", FlagType::String),
    ("start-period", FlagType::String),
    ("start-interval", FlagType::String),
    ("retries", FlagType::String),
];

/// Turn one parser node into a typed instruction.
///
/// # Errors
/// BuildKit's instructions-stage errors, with the node's position.
#[allow(clippy::too_many_lines)] // one arm per instruction, in BuildKit's order
pub fn parse_instruction(node: &Node) -> Result<Instruction> {
    let keyword = node.keyword.to_ascii_uppercase();
    let args = &node.args;
    let exactly_one = |name: &str| {
        if args.len() == 1 {
            Ok(args[0].clone())
        } else {
            Err(err(node, format!("{name} requires exactly one argument")))
        }
    };
    let at_least_one = |name: &str| {
        if args.is_empty() {
            Err(err(node, format!("{name} requires at least one argument")))
        } else {
            Ok(())
        }
    };
    let (flags, kind) = match keyword.as_str() {
        "ENV" | "LABEL" => {
            let flags = parse_flags(node, &[])?;
            at_least_one(&keyword)?;
            let pairs = key_values(node, &keyword)?;
            let kind = if keyword == "ENV" {
                InstructionKind::Env { pairs }
            } else {
                InstructionKind::Label { pairs }
            };
            (flags, kind)
        }
        "MAINTAINER" => {
            let name = exactly_one("MAINTAINER")?;
            (
                parse_flags(node, &[])?,
                InstructionKind::Maintainer { name },
            )
        }
        "ADD" | "COPY" => {
            if args.len() < 2 {
                return Err(err(
                    node,
                    format!(
                        "{keyword} requires at least two arguments, but only one was provided. Destination could not be determined"
                    ),
                ));
            }
            let flags = if keyword == "ADD" {
                parse_flags(node, &ADD_FLAGS)?
            } else {
                parse_flags(node, &COPY_FLAGS)?
            };
            let spec = copy_spec(node, &keyword, &flags)?;
            let kind = if keyword == "ADD" {
                InstructionKind::Add(spec)
            } else {
                InstructionKind::Copy(spec)
            };
            (flags, kind)
        }
        "FROM" => {
            let name = stage_name(node)?;
            let flags = parse_flags(node, &[("platform", FlagType::String)])?;
            let platform = flags
                .iter()
                .find(|f| f.name == "platform")
                .map(|f| f.value.clone());
            let image = args[0].clone();
            (
                flags,
                InstructionKind::From {
                    image,
                    name,
                    platform,
                },
            )
        }
        "ONBUILD" => {
            let Some(trigger) = node.trigger.as_deref() else {
                return Err(err(node, "ONBUILD requires at least one argument"));
            };
            let flags = parse_flags(node, &[])?;
            let trigger_keyword = trigger.keyword.trim().to_ascii_uppercase();
            match trigger_keyword.as_str() {
                "ONBUILD" => {
                    return Err(err(
                        node,
                        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                    ));
                }
                "MAINTAINER" | "FROM" => {
                    return Err(err(
                        node,
                        format!("{trigger_keyword} isn't allowed as an ONBUILD trigger"),
                    ));
                }
                _ => {}
            }
            let original = node.original.trim_start();
            let expression = original
                .get(7..)
                .filter(|_| original.len() >= 7 && original[..7].eq_ignore_ascii_case("onbuild"))
                .map_or(original, str::trim_start);
            let mut expression = expression.to_owned();
            for heredoc in &node.heredocs {
                expression.push('\n');
                expression.push_str(&heredoc.content);
                expression.push_str(&heredoc.name);
            }
            // Triggers are validated only when an image uses this one as a base.
            let mut trigger_node = trigger.clone();
            trigger_node.heredocs.clone_from(&node.heredocs);
            let trigger = parse_instruction(&trigger_node).ok().map(Box::new);
            (
                flags,
                InstructionKind::Onbuild {
                    expression,
                    trigger,
                },
            )
        }
        "WORKDIR" => {
            let path = exactly_one("WORKDIR")?;
            (parse_flags(node, &[])?, InstructionKind::Workdir { path })
        }
        "RUN" => {
            let flags = parse_flags(node, &RUN_FLAGS)?;
            let mut mounts = Vec::new();
            for flag in flags.iter().filter(|f| f.name == "mount") {
                mounts.push(parse_mount(&flag.value).map_err(|m| err(node, m))?);
            }
            let network = flags
                .iter()
                .find(|f| f.name == "network")
                .map(|f| f.value.clone());
            if let Some(mode) = &network
                && !matches!(mode.as_str(), "default" | "none" | "host")
            {
                return Err(err(node, format!("invalid network mode \"{mode}\"")));
            }
            let security = flags
                .iter()
                .find(|f| f.name == "security")
                .map(|f| f.value.clone());
            if let Some(mode) = &security
                && !matches!(mode.as_str(), "sandbox" | "insecure")
            {
                return Err(err(node, format!("security \"{mode}\" is not valid")));
            }
            let command = CommandLine::from_node(args, node.json);
            (
                flags,
                InstructionKind::Run {
                    command,
                    mounts,
                    network,
                    security,
                },
            )
        }
        "CMD" => {
            let flags = parse_flags(node, &[])?;
            (
                flags,
                InstructionKind::Cmd {
                    command: CommandLine::from_node(args, node.json),
                },
            )
        }
        "ENTRYPOINT" => {
            let flags = parse_flags(node, &[])?;
            (
                flags,
                InstructionKind::Entrypoint {
                    command: CommandLine::from_node(args, node.json),
                },
            )
        }
        "HEALTHCHECK" => {
            at_least_one("HEALTHCHECK")?;
            let kind = args[0].value.to_ascii_uppercase();
            let rest = &args[1..];
            if kind == "NONE" {
                if !rest.is_empty() {
                    return Err(err(node, "HEALTHCHECK NONE takes no arguments"));
                }
                (
                    Vec::new(),
                    InstructionKind::Healthcheck {
                        health: Health::None,
                    },
                )
            } else {
                let flags = parse_flags(node, &HEALTHCHECK_FLAGS)?;
                if kind != "CMD" {
                    return Err(err(
                        node,
                        format!("Unknown type \"{kind}\" in HEALTHCHECK (try CMD)"),
                    ));
                }
                if rest.is_empty() || (!node.json && rest.iter().all(|a| a.value.is_empty())) {
                    return Err(err(node, "Missing command after HEALTHCHECK CMD"));
                }
                for flag in &flags {
                    if flag.name == "retries" {
                        let retries: i64 = flag.value.parse().map_err(|_| {
                            err(
                                node,
                                format!(
                                    "strconv.ParseInt: parsing \"{}\": invalid syntax",
                                    flag.value
                                ),
                            )
                        })?;
                        if retries < 0 {
                            return Err(err(
                                node,
                                format!("--retries cannot be negative ({retries})"),
                            ));
                        }
                    } else {
                        check_duration(&flag.name, &flag.value).map_err(|m| err(node, m))?;
                    }
                }
                let command = CommandLine::from_node(rest, node.json);
                (
                    flags,
                    InstructionKind::Healthcheck {
                        health: Health::Cmd { command },
                    },
                )
            }
        }
        "EXPOSE" => {
            at_least_one("EXPOSE")?;
            (
                parse_flags(node, &[])?,
                InstructionKind::Expose {
                    ports: args.clone(),
                },
            )
        }
        "USER" => {
            let user = exactly_one("USER")?;
            (parse_flags(node, &[])?, InstructionKind::User { user })
        }
        "VOLUME" => {
            at_least_one("VOLUME")?;
            let flags = parse_flags(node, &[])?;
            if args.iter().any(|a| a.value.trim().is_empty()) {
                return Err(err(node, "VOLUME specified can not be an empty string"));
            }
            (
                flags,
                InstructionKind::Volume {
                    paths: args.clone(),
                },
            )
        }
        "STOPSIGNAL" => {
            // BuildKit never parses STOPSIGNAL's flags.
            let signal = exactly_one("STOPSIGNAL")?;
            (Vec::new(), InstructionKind::StopSignal { signal })
        }
        "ARG" => {
            at_least_one("ARG")?;
            let mut decls = Vec::new();
            for arg in args {
                let (name, default) = match arg.value.split_once('=') {
                    Some((n, d)) => (n, Some(d.to_owned())),
                    None => (arg.value.as_str(), None),
                };
                if name.is_empty() && default.is_some() {
                    return Err(err(node, "ARG names can not be blank"));
                }
                decls.push(ArgDecl {
                    name: name.to_owned(),
                    default,
                    span: arg.span,
                });
            }
            (
                parse_flags(node, &[])?,
                InstructionKind::Arg { args: decls },
            )
        }
        "SHELL" => {
            let flags = parse_flags(node, &[])?;
            if args.is_empty() {
                return Err(err(node, "SHELL requires at least one argument"));
            }
            if !node.json {
                return Err(err(node, "SHELL requires the arguments to be in JSON form"));
            }
            (
                flags,
                InstructionKind::Shell {
                    shell: args.iter().map(|a| a.value.clone()).collect(),
                },
            )
        }
        _ => {
            let mut message = format!("unknown instruction: {}", node.keyword);
            if let Some(suggestion) = suggest(&node.keyword, INSTRUCTIONS.iter().copied()) {
                message.push_str(&format!(" (did you mean {suggestion}?)"));
            }
            return Err(err(node, message));
        }
    };
    Ok(Instruction {
        keyword,
        node: node.clone(),
        flags,
        kind,
    })
}

fn key_values(node: &Node, keyword: &str) -> Result<Vec<KeyValue>> {
    let mut pairs = Vec::new();
    for triple in node.args.chunks(3) {
        let [key, value, sep] = triple else {
            return Err(err(
                node,
                format!("Bad input to {keyword}, too many arguments"),
            ));
        };
        if key.value.is_empty() {
            return Err(err(node, format!("{keyword} names can not be blank")));
        }
        pairs.push(KeyValue {
            key: key.clone(),
            value: value.clone(),
            legacy: sep.value.is_empty(),
        });
    }
    Ok(pairs)
}

fn stage_name(node: &Node) -> Result<Option<Arg>> {
    let args = &node.args;
    if args.len() == 3 && args[1].value.eq_ignore_ascii_case("as") {
        let lowered = args[2].value.to_ascii_lowercase();
        let mut chars = lowered.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            });
        if !valid {
            return Err(err(
                node,
                format!(
                    "invalid name for build stage: \"{}\", name can't start with a number or contain symbols",
                    args[2].value
                ),
            ));
        }
        return Ok(Some(Arg {
            value: lowered,
            span: args[2].span,
        }));
    }
    if args.len() != 1 {
        return Err(err(node, "FROM requires either one or three arguments"));
    }
    Ok(None)
}

fn copy_spec(node: &Node, keyword: &str, flags: &[Flag]) -> Result<CopySpec> {
    let (sources, dest) = node.args.split_at(node.args.len() - 1);
    let dest = dest[0].clone();
    if node.json {
        // Heredocs never come with the JSON form.
    } else if matches!(parse_heredoc(&dest.value), Ok(Some(_))) {
        return Err(err(
            node,
            format!("{keyword} cannot accept a heredoc as a destination"),
        ));
    }
    let mut paths = Vec::new();
    let mut inline = Vec::new();
    for source in sources {
        match parse_heredoc(&source.value) {
            Ok(Some(found)) if !node.json => {
                let mut heredoc = node
                    .heredocs
                    .iter()
                    .find(|h| h.name == found.name)
                    .cloned()
                    .unwrap_or(found.clone());
                heredoc.expand = found.expand;
                heredoc.chomp = found.chomp;
                inline.push(heredoc);
            }
            _ => paths.push(source.clone()),
        }
    }
    let get = |name: &str| {
        flags
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
    };
    Ok(CopySpec {
        sources: paths,
        inline_sources: inline,
        dest,
        from: get("from"),
        chown: get("chown"),
        chmod: get("chmod"),
        link: get("link").as_deref() == Some("true"),
    })
}

/// Parse one `--mount=` CSV value. Only `from` is checked here, as in BuildKit; the rest is
/// evaluated after variable expansion at build time.
fn parse_mount(value: &str) -> Result<Mount, String> {
    let mut mount = Mount {
        kind: "bind".to_owned(),
        from: None,
        source: None,
        target: None,
        fields: Vec::new(),
    };
    for field in split_csv(value) {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_owned())),
            None => (field.to_ascii_lowercase(), None),
        };
        if let Some(v) = &val {
            match key.as_str() {
                "type" => mount.kind = v.to_ascii_lowercase(),
                "from" => {
                    if let Some(idx) = v.find('$')
                        && idx != v.len() - 1
                    {
                        return Err(format!(
                            "'{key}' doesn't support variable expansion, define alias stage instead"
                        ));
                    }
                    mount.from = Some(v.clone());
                }
                "source" | "src" => mount.source = Some(v.clone()),
                "target" | "dst" | "destination" => mount.target = Some(v.clone()),
                _ => {}
            }
        }
        mount.fields.push((key, val));
    }
    Ok(mount)
}

/// Go `encoding/csv` for one record: commas separate fields, double quotes group.
fn split_csv(value: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    fields.push(current);
    fields
}

/// Go `time.ParseDuration` acceptance plus BuildKit's 1ms minimum.
fn check_duration(name: &str, value: &str) -> Result<(), String> {
    let invalid = || format!("time: invalid duration \"{value}\"");
    let body = value.strip_prefix(['+', '-']).unwrap_or(value);
    if body == "0" {
        return Ok(());
    }
    if body.is_empty() {
        return Err(invalid());
    }
    let mut total_ns: f64 = 0.0;
    let mut rest = body;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration \"{value}\"")),
            other => {
                return Err(format!(
                    "time: unknown unit \"{other}\" in duration \"{value}\""
                ));
            }
        };
        total_ns += number * scale;
        rest = &rest[unit_len..];
    }
    if total_ns != 0.0 && total_ns.abs() < 1e6 {
        return Err(format!("Interval \"{name}\" cannot be less than 1ms"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_ast;

    fn first(src: &str) -> Result<Instruction> {
        let ast = parse_ast(src)?;
        parse_instruction(&ast.nodes[0])
    }

    fn message(src: &str) -> String {
        first(src).unwrap_err().message()
    }

    #[test]
    fn flag_errors_use_buildkit_wording() {
        assert_eq!(
            message("COPY --chown a b\n"),
            "missing a value on flag: --chown"
        );
        assert_eq!(
            message("COPY --link=yes a b\n"),
            "expecting boolean value for flag --link, not: yes"
        );
        assert_eq!(
            message("COPY --link= a b\n"),
            "missing a value on flag: --link"
        );
        assert_eq!(
            message("COPY --chown=a --chown=b a b\n"),
            "duplicate flag specified: --chown"
        );
        assert!(message("COPY --form=x a b\n").starts_with("unknown flag: --form"));
        assert_eq!(message("ADD --parents a b\n"), "unknown flag: --parents");
        assert!(first("STOPSIGNAL --x=1 SIGTERM\n").is_ok());
        assert!(first("RUN --mount=type=cache,target=/x --mount=type=bind,from=b x\n").is_ok());
    }

    #[test]
    fn argument_counts() {
        assert_eq!(
            message("FROM a b\n"),
            "FROM requires either one or three arguments"
        );
        assert!(message("FROM a AS 1x\n").starts_with("invalid name for build stage: \"1x\""));
        assert!(message("COPY a\n").starts_with("COPY requires at least two arguments"));
        assert_eq!(
            message("SHELL /bin/sh\n"),
            "SHELL requires the arguments to be in JSON form"
        );
        assert_eq!(
            message("HEALTHCHECK NONE x\n"),
            "HEALTHCHECK NONE takes no arguments"
        );
        assert_eq!(
            message("HEALTHCHECK FOO x\n"),
            "Unknown type \"FOO\" in HEALTHCHECK (try CMD)"
        );
        assert_eq!(
            message("HEALTHCHECK --retries=-1 CMD x\n"),
            "--retries cannot be negative (-1)"
        );
        assert_eq!(
            message("HEALTHCHECK --interval=1us CMD x\n"),
            "Interval \"interval\" cannot be less than 1ms"
        );
        assert_eq!(
            message("ONBUILD ONBUILD RUN x\n"),
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        );
        assert_eq!(
            message("ONBUILD from a\n"),
            "FROM isn't allowed as an ONBUILD trigger"
        );
        assert_eq!(
            message("COPY x <<EOF\nhi\nEOF\n"),
            "COPY cannot accept a heredoc as a destination"
        );
        assert_eq!(
            message("RUN --network=bogus x\n"),
            "invalid network mode \"bogus\""
        );
        assert_eq!(message("ENV =x\n"), "ENV names can not be blank");
    }

    #[test]
    fn unknown_instruction_suggests() {
        assert_eq!(
            message("FORM a\n"),
            "unknown instruction: FORM (did you mean FROM?)"
        );
    }

    #[test]
    fn mount_from_rejects_variables() {
        assert_eq!(
            message("RUN --mount=from=$X,target=/x y\n"),
            "'from' doesn't support variable expansion, define alias stage instead"
        );
    }
}
