//! The stage graph (BuildKit's `dockerfile2llb` view): stages with their base image or parent
//! stage and platform; edges for `FROM <stage>`, `COPY --from` and `RUN --mount=from=`; the
//! target stage and which stages it reaches. Builder-side variable expansion with BuildKit's
//! ARG/ENV scoping happens here too, because base names and `--from` values depend on it.

use crate::Dockerfile;
use crate::error::{Error, Result};
use crate::instruction::{Instruction, InstructionKind};
use crate::shell::{LexOptions, expand, uses_variable_plainly};
use crate::span::Span;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Inputs of a build that change the graph: `--target`, `--build-arg`, `--platform`.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `--target` (case-insensitive stage name); the last stage when absent.
    pub target: Option<String>,
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// Target and build platform, `os/arch[/variant]`; `linux/amd64` when absent.
    pub platform: Option<String>,
    /// Read a FROM whose base names a global ARG that has no value (no default, no build-arg)
    /// as [`Base::Unresolved`] instead of failing as BuildKit does (`base name ... should not
    /// be blank`): for tools that read a file without the build arguments it is built with.
    pub allow_unresolved_bases: bool,
}

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Base {
    /// An image reference (after global ARG expansion).
    Image(String),
    /// An earlier stage, by index.
    Stage(usize),
    /// `scratch`: the empty image.
    Scratch,
    /// Unknown without build arguments: the base names these global ARGs, which have no value
    /// (only with [`BuildOptions::allow_unresolved_bases`]).
    Unresolved(Vec<String>),
}

/// Where an edge comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Source {
    /// Another stage, by index.
    Stage(usize),
    /// An external image (or named build context).
    Image(String),
}

/// How a stage uses its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// `FROM <source>`.
    From,
    /// `COPY --from=<source>`.
    CopyFrom,
    /// `RUN --mount=from=<source>`.
    MountFrom,
}

/// One dependency of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// What is used.
    pub source: Source,
    /// The stage that uses it.
    pub to: usize,
    /// How.
    pub kind: EdgeKind,
    /// The `--from` / `from=` / FROM value as written.
    pub reference: String,
    /// Line of the instruction.
    pub line: usize,
}

/// One builder-side variable problem (BuildKit's `UndefinedVar` check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndefinedVar {
    /// Variable name.
    pub name: String,
    /// Instruction span.
    pub span: Span,
}

/// One build stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// 0-based position among FROMs.
    pub index: usize,
    /// `AS` name, lower-cased.
    pub name: Option<String>,
    /// The base as written (before expansion).
    pub base_written: String,
    /// The resolved base.
    pub base: Base,
    /// `--platform` after expansion.
    pub platform: Option<String>,
    /// Index of the FROM in [`Dockerfile::instructions`].
    pub from_instruction: usize,
    /// Indices of the stage's other instructions in [`Dockerfile::instructions`].
    pub instructions: Vec<usize>,
    /// Builder-expanded words per instruction of [`Stage::instructions`] (same order): COPY/ADD
    /// sources then destination, USER, WORKDIR, EXPOSE ports, VOLUME paths, ENV/LABEL values.
    pub expanded: Vec<Vec<String>>,
}

impl Stage {
    /// `name` or `stage-N`, as BuildKit calls unnamed stages.
    #[must_use]
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }
}

/// Stages, edges, the target and what it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageGraph {
    /// Stages in file order.
    pub stages: Vec<Stage>,
    /// Dependencies, in file order.
    pub edges: Vec<Edge>,
    /// The stage that is built.
    pub target: usize,
    /// `reachable[i]`: the target needs stage `i`.
    pub reachable: Vec<bool>,
    /// Global ARGs (before the first FROM) and their values.
    pub global_args: BTreeMap<String, Option<String>>,
    /// Builder-expanded words using variables never declared.
    pub undefined_vars: Vec<UndefinedVar>,
}

fn build_error(instruction: &Instruction, message: impl Into<String>) -> Error {
    Error::Build {
        message: message.into(),
        span: instruction.span(),
    }
}

/// Variables in scope at one point of a stage.
#[derive(Debug, Clone, Default)]
struct Scope {
    values: HashMap<String, String>,
    /// Declared with no value (`ARG X` without default or build-arg): defined, but unset.
    declared: BTreeSet<String>,
}

/// The platform ARGs BuildKit defines automatically.
fn platform_args(platform: &str) -> Vec<(String, String)> {
    let mut parts = platform.split('/');
    let os = parts.next().unwrap_or("linux").to_owned();
    let arch = parts.next().unwrap_or("amd64").to_owned();
    let variant = parts.next().unwrap_or("").to_owned();
    let mut out = Vec::new();
    for prefix in ["TARGET", "BUILD"] {
        out.push((format!("{prefix}PLATFORM"), platform.to_owned()));
        out.push((format!("{prefix}OS"), os.clone()));
        out.push((format!("{prefix}ARCH"), arch.clone()));
        out.push((format!("{prefix}VARIANT"), variant.clone()));
    }
    out
}

impl StageGraph {
    /// Build the graph of `dockerfile` for a build with `options`.
    ///
    /// # Errors
    /// BuildKit's convert-stage errors: blank base names, expansion errors, bad `--from` stage
    /// indexes, forward references, variables in `--from`, unknown target.
    #[allow(clippy::too_many_lines)] // a single pass in file order, as BuildKit dispatches stages
    pub fn build(dockerfile: &Dockerfile, options: &BuildOptions) -> Result<Self> {
        let lex = LexOptions::new(dockerfile.escape());
        let platform = options
            .platform
            .clone()
            .unwrap_or_else(|| "linux/amd64".to_owned());
        let instructions = &dockerfile.instructions;

        // Stage boundaries and names first: lookups by name need every stage.
        let mut stage_starts = Vec::new();
        for (i, ins) in instructions.iter().enumerate() {
            if matches!(ins.kind, InstructionKind::From { .. }) {
                stage_starts.push(i);
            }
        }
        let names: Vec<Option<String>> = stage_starts
            .iter()
            .map(|&i| match &instructions[i].kind {
                InstructionKind::From { name, .. } => name.as_ref().map(|n| n.value.clone()),
                _ => None,
            })
            .collect();
        let target = match &options.target {
            None => stage_starts.len().saturating_sub(1),
            Some(wanted) => names
                .iter()
                .rposition(|n| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(wanted)))
                .ok_or_else(|| Error::Build {
                    message: format!("target stage \"{wanted}\" could not be found"),
                    span: Span::default(),
                })?,
        };
        let target_name = names
            .get(target)
            .cloned()
            .flatten()
            .unwrap_or_else(|| "default".to_owned());

        // Global scope: automatic platform ARGs, then ARGs before the first FROM.
        let mut global = Scope::default();
        for (k, v) in platform_args(&platform) {
            global.values.insert(k, v);
        }
        global.values.insert("TARGETSTAGE".to_owned(), target_name);
        let mut global_args = BTreeMap::new();
        let first_from = stage_starts.first().copied().unwrap_or(instructions.len());
        let mut undefined_vars = Vec::new();
        for ins in &instructions[..first_from] {
            if let InstructionKind::Arg { args } = &ins.kind {
                for decl in args {
                    let value = match (options.build_args.get(&decl.name), &decl.default) {
                        (Some(v), _) => Some(v.clone()),
                        (None, Some(d)) => Some(
                            expand(d, &global.values, lex)
                                .map_err(|m| build_error(ins, m))?
                                .word,
                        ),
                        (None, None) => None,
                    };
                    match &value {
                        Some(v) => {
                            global.values.insert(decl.name.clone(), v.clone());
                        }
                        None => {
                            global.values.remove(&decl.name);
                            global.declared.insert(decl.name.clone());
                        }
                    }
                    global_args.insert(decl.name.clone(), value);
                }
            }
        }

        let mut stages: Vec<Stage> = Vec::new();
        let mut scopes: Vec<Scope> = Vec::new();
        let mut edges = Vec::new();
        for (index, &from_index) in stage_starts.iter().enumerate() {
            let from = &instructions[from_index];
            let InstructionKind::From {
                image,
                platform: stage_platform,
                ..
            } = &from.kind
            else {
                continue;
            };
            let expanded =
                expand(&image.value, &global.values, lex).map_err(|m| build_error(from, m))?;
            note_undefined(&expanded.unmatched, &global, from, &mut undefined_vars);
            let base_name = expanded.word;
            let unresolved: Vec<String> = expanded
                .unmatched
                .iter()
                .filter(|name| global.declared.contains(*name))
                .filter(|name| base_name.is_empty() || uses_variable_plainly(&image.value, name))
                .cloned()
                .collect();
            let unresolved =
                (options.allow_unresolved_bases && !unresolved.is_empty()).then_some(unresolved);
            if base_name.is_empty() && unresolved.is_none() {
                return Err(build_error(
                    from,
                    format!("base name ({}) should not be blank", image.value),
                ));
            }
            let platform = match stage_platform {
                Some(p) => {
                    let e = expand(p, &global.values, lex).map_err(|m| build_error(from, m))?;
                    if e.word.is_empty() {
                        return Err(build_error(
                            from,
                            format!("empty platform value from expression {p}"),
                        ));
                    }
                    Some(e.word)
                }
                None => None,
            };
            // A stage is only found by exact, earlier name.
            let parent = names[..index]
                .iter()
                .rposition(|n| n.as_deref() == Some(base_name.as_str()));
            let (base, mut scope) = match parent {
                _ if let Some(args) = unresolved => (Base::Unresolved(args), Scope::default()),
                Some(p) => {
                    edges.push(Edge {
                        source: Source::Stage(p),
                        to: index,
                        kind: EdgeKind::From,
                        reference: base_name.clone(),
                        line: from.line(),
                    });
                    (Base::Stage(p), scopes[p].clone())
                }
                None if base_name.eq_ignore_ascii_case("scratch") => {
                    (Base::Scratch, Scope::default())
                }
                None => (Base::Image(base_name.clone()), Scope::default()),
            };
            let end = stage_starts
                .get(index + 1)
                .copied()
                .unwrap_or(instructions.len());
            let mut stage_instructions = Vec::new();
            let mut expanded_words = Vec::new();
            for (offset, ins) in instructions[from_index + 1..end].iter().enumerate() {
                let position = from_index + 1 + offset;
                let stage_label = names[index]
                    .clone()
                    .unwrap_or_else(|| format!("stage-{index}"));
                let words = dispatch(ins, &mut scope, &global, options, lex, &mut undefined_vars)?;
                match &ins.kind {
                    InstructionKind::Copy(spec) => {
                        if let Some(reference) = &spec.from {
                            if reference.contains('$') {
                                let probe = expand(reference, &scope.values, lex).map(|e| e.word);
                                if probe.as_deref() != Ok(reference.as_str()) {
                                    return Err(build_error(
                                        ins,
                                        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                                    ));
                                }
                            }
                            let source =
                                resolve_copy_source(reference, &names, index, &stage_label, ins)?;
                            edges.push(Edge {
                                source,
                                to: index,
                                kind: EdgeKind::CopyFrom,
                                reference: reference.clone(),
                                line: ins.line(),
                            });
                        }
                    }
                    InstructionKind::Run { mounts, .. } => {
                        for mount in mounts {
                            let Some(reference) = &mount.from else {
                                continue;
                            };
                            let found = names.iter().rposition(|n| {
                                n.as_deref()
                                    .is_some_and(|n| n.eq_ignore_ascii_case(reference))
                            });
                            let source = match found {
                                Some(s) if s >= index => {
                                    return Err(build_error(
                                        ins,
                                        format!(
                                            "cannot mount from stage \"{reference}\" to \"{}\", stage needs to be defined before current command",
                                            mount.target.clone().unwrap_or_default()
                                        ),
                                    ));
                                }
                                Some(s) => Source::Stage(s),
                                None => Source::Image(reference.clone()),
                            };
                            edges.push(Edge {
                                source,
                                to: index,
                                kind: EdgeKind::MountFrom,
                                reference: reference.clone(),
                                line: ins.line(),
                            });
                        }
                    }
                    _ => {}
                }
                stage_instructions.push(position);
                expanded_words.push(words);
            }
            stages.push(Stage {
                index,
                name: names[index].clone(),
                base_written: image.value.clone(),
                base,
                platform,
                from_instruction: from_index,
                instructions: stage_instructions,
                expanded: expanded_words,
            });
            scopes.push(scope);
        }

        let mut reachable = vec![false; stages.len()];
        let mut queue = VecDeque::from([target]);
        while let Some(stage) = queue.pop_front() {
            if stage >= reachable.len() || reachable[stage] {
                continue;
            }
            reachable[stage] = true;
            for edge in edges.iter().filter(|e| e.to == stage) {
                if let Source::Stage(s) = edge.source {
                    queue.push_back(s);
                }
            }
        }
        Ok(Self {
            stages,
            edges,
            target,
            reachable,
            global_args,
            undefined_vars,
        })
    }

    /// Edges into `stage`.
    pub fn edges_into(&self, stage: usize) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.to == stage)
    }

    /// The external image at the root of `stage`'s FROM chain (None for scratch or an
    /// unresolved base).
    #[must_use]
    pub fn root_image(&self, stage: usize) -> Option<&str> {
        match self.root_base(stage)? {
            Base::Image(image) => Some(image),
            _ => None,
        }
    }

    /// What `stage`'s FROM chain starts from: an image, scratch or an unresolved base (never
    /// [`Base::Stage`]).
    #[must_use]
    pub fn root_base(&self, stage: usize) -> Option<&Base> {
        let mut current = self.stages.get(stage)?;
        for _ in 0..=self.stages.len() {
            match &current.base {
                Base::Stage(parent) => current = self.stages.get(*parent)?,
                root => return Some(root),
            }
        }
        None
    }

    /// `stage` followed by its FROM ancestors, nearest first.
    #[must_use]
    pub fn lineage(&self, stage: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut current = Some(stage);
        while let Some(index) = current {
            if chain.contains(&index) || index >= self.stages.len() {
                break;
            }
            chain.push(index);
            current = match self.stages[index].base {
                Base::Stage(parent) => Some(parent),
                _ => None,
            };
        }
        chain
    }
}

fn note_undefined(
    unmatched: &BTreeSet<String>,
    scope: &Scope,
    ins: &Instruction,
    out: &mut Vec<UndefinedVar>,
) {
    for name in unmatched {
        if !scope.declared.contains(name) {
            out.push(UndefinedVar {
                name: name.clone(),
                span: ins.span(),
            });
        }
    }
}

fn resolve_copy_source(
    reference: &str,
    names: &[Option<String>],
    current: usize,
    current_label: &str,
    ins: &Instruction,
) -> Result<Source> {
    if let Some(index) = go_atoi(reference) {
        let Ok(index) = usize::try_from(index) else {
            return Err(build_error(ins, format!("invalid stage index {index}")));
        };
        if index >= names.len() {
            return Err(build_error(ins, format!("invalid stage index {index}")));
        }
        if index >= current {
            return Err(build_error(
                ins,
                format!(
                    "cannot copy from stage \"{index}\", it needs to be defined before current stage \"{current_label}\""
                ),
            ));
        }
        return Ok(Source::Stage(index));
    }
    let found = names.iter().rposition(|n| {
        n.as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(reference))
    });
    match found {
        Some(s) if s >= current => Err(build_error(
            ins,
            format!(
                "cannot copy from stage \"{reference}\", it needs to be defined before current stage \"{current_label}\""
            ),
        )),
        Some(s) => Ok(Source::Stage(s)),
        None => Ok(Source::Image(reference.to_owned())),
    }
}

/// Go's `strconv.Atoi`: optional sign, ASCII digits, fits in 64 bits.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Apply one instruction to the stage scope; return its builder-expanded words.
fn dispatch(
    ins: &Instruction,
    scope: &mut Scope,
    global: &Scope,
    options: &BuildOptions,
    lex: LexOptions,
    undefined: &mut Vec<UndefinedVar>,
) -> Result<Vec<String>> {
    let mut expand_word = |word: &str, scope: &Scope| -> Result<String> {
        let e = expand(word, &scope.values, lex).map_err(|m| build_error(ins, m))?;
        note_undefined(&e.unmatched, scope, ins, undefined);
        Ok(e.word)
    };
    let mut words = Vec::new();
    match &ins.kind {
        InstructionKind::Arg { args } => {
            for decl in args {
                let value = match (options.build_args.get(&decl.name), &decl.default) {
                    (Some(v), _) => Some(v.clone()),
                    (None, Some(d)) => Some(expand_word(d, scope)?),
                    (None, None) => global.values.get(&decl.name).cloned(),
                };
                if let Some(v) = value {
                    words.push(v.clone());
                    scope.declared.remove(&decl.name);
                    // ENV wins over ARG of the same name.
                    scope.values.entry(decl.name.clone()).or_insert(v);
                } else if !scope.values.contains_key(&decl.name) {
                    scope.declared.insert(decl.name.clone());
                }
            }
        }
        InstructionKind::Env { pairs } => {
            let before = scope.clone();
            for pair in pairs {
                let key = expand_word(&pair.key.value, &before)?;
                let value = expand_word(&pair.value.value, &before)?;
                words.push(value.clone());
                scope.declared.remove(&key);
                scope.values.insert(key, value);
            }
        }
        InstructionKind::Label { pairs } => {
            for pair in pairs {
                words.push(expand_word(&pair.value.value, scope)?);
            }
        }
        InstructionKind::Copy(spec) | InstructionKind::Add(spec) => {
            for source in &spec.sources {
                words.push(expand_word(&source.value, scope)?);
            }
            words.push(expand_word(&spec.dest.value, scope)?);
            if let Some(chown) = &spec.chown {
                expand_word(chown, scope)?;
            }
            if let Some(chmod) = &spec.chmod {
                let mode = expand_word(chmod, scope)?;
                if !mode.is_empty() && mode.bytes().all(|b| b.is_ascii_digit()) {
                    let valid = u32::from_str_radix(&mode, 8).is_ok_and(|m| m <= 0o7777);
                    if !valid {
                        return Err(build_error(
                            ins,
                            format!(
                                "invalid chmod parameter: '{mode}'. it should be octal string and between 0 and 07777"
                            ),
                        ));
                    }
                }
            }
        }
        InstructionKind::User { user: arg }
        | InstructionKind::Workdir { path: arg }
        | InstructionKind::StopSignal { signal: arg } => {
            words.push(expand_word(&arg.value, scope)?);
        }
        InstructionKind::Expose { ports } => {
            // BuildKit expands EXPOSE without looking for undefined names (`UndefinedVar`
            // does not flag `EXPOSE $PORT`), so neither does this.
            for port in ports {
                let value = expand(&port.value, &scope.values, lex)
                    .map_err(|m| build_error(ins, m))?
                    .word;
                words.extend(value.split_whitespace().map(str::to_owned));
            }
        }
        InstructionKind::Run { mounts, .. } => {
            // Every `--mount` field is expanded (`target=$CACHE_DIR`); the values are not
            // words of the stage, but an undefined name in one is.
            let values = mounts.iter().flat_map(|m| &m.fields);
            for value in values.filter_map(|(_, v)| v.as_deref()) {
                expand_word(value, scope)?;
            }
        }
        InstructionKind::Volume { paths } => {
            for path in paths {
                words.push(expand_word(&path.value, scope)?);
            }
        }
        _ => {}
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(source: &str, options: &BuildOptions) -> Result<StageGraph> {
        crate::parse(source)?.stage_graph(options)
    }

    fn lenient() -> BuildOptions {
        BuildOptions {
            allow_unresolved_bases: true,
            ..BuildOptions::default()
        }
    }

    const FROM_ARG: &str = "ARG BASE\nARG TAG=3.12\nFROM python:${TAG}-slim AS tools\nFROM $BASE AS app\nCOPY --from=tools /t /t\nFROM app\n";

    #[test]
    fn a_base_from_an_arg_without_value_fails_like_buildkit() {
        let error = graph(FROM_ARG, &BuildOptions::default()).unwrap_err();
        assert_eq!(error.message(), "base name ($BASE) should not be blank");
        assert_eq!(error.span().map(|s| s.start.line), Some(4));
    }

    #[test]
    fn build_args_resolve_the_base() {
        let mut options = BuildOptions::default();
        options
            .build_args
            .insert("BASE".to_owned(), "debian:12".to_owned());
        options
            .build_args
            .insert("TAG".to_owned(), "3.13".to_owned());
        let graph = graph(FROM_ARG, &options).unwrap();
        assert_eq!(graph.stages[1].base, Base::Image("debian:12".to_owned()));
        assert_eq!(
            graph.stages[0].base,
            Base::Image("python:3.13-slim".to_owned())
        );
    }

    #[test]
    fn unresolved_bases_are_read_when_allowed() {
        let graph = graph(FROM_ARG, &lenient()).unwrap();
        assert_eq!(
            graph.stages[1].base,
            Base::Unresolved(vec!["BASE".to_owned()])
        );
        assert_eq!(graph.stages[1].base_written, "$BASE");
        assert_eq!(graph.root_image(1), None);
        assert_eq!(graph.root_image(2), None, "a child of an unresolved stage");
        assert_eq!(graph.root_base(2), Some(&graph.stages[1].base));
        // The rest of the file is read as usual.
        assert_eq!(
            graph.stages[0].base,
            Base::Image("python:3.12-slim".to_owned())
        );
        assert_eq!(graph.stages[1].instructions.len(), 1);
        assert!(graph.reachable.iter().all(|r| *r));
        assert!(graph.edges.iter().any(|e| e.kind == EdgeKind::CopyFrom));
    }

    #[test]
    fn only_plain_uses_of_an_unset_arg_make_a_base_unresolved() {
        let source = "ARG PY\nARG REG\nFROM python:$PY\nFROM ${REG:-docker.io}/library/debian:12\n";
        let graph = graph(source, &lenient()).unwrap();
        assert_eq!(
            graph.stages[0].base,
            Base::Unresolved(vec!["PY".to_owned()])
        );
        assert_eq!(
            graph.stages[1].base,
            Base::Image("docker.io/library/debian:12".to_owned())
        );
        // An ARG declared later in a stage is not a global ARG: BuildKit's error stands.
        let late = "FROM alpine AS a\nARG X\nFROM $X\n";
        let error = self::graph(late, &lenient()).unwrap_err();
        assert!(error.message().contains("should not be blank"));
    }
}
