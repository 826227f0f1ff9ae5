//! A Dockerfile parser that reads files the way Docker's BuildKit does, in BuildKit's three
//! stages:
//!
//! 1. [`parse_ast`] (BuildKit's `parser.Parse`): parser directives, comments, line continuations,
//!    heredocs, JSON (exec) and shell forms, flags, argument shapes, with a line and column for
//!    every instruction, flag and argument;
//! 2. [`instruction::parse_instruction`] (`instructions.Parse`): typed instructions, flag and
//!    argument validation with BuildKit's messages;
//! 3. [`graph::StageGraph::build`] (`dockerfile2llb`): variable expansion with BuildKit's ARG/ENV
//!    scoping, stages, the edges between them and what the target stage reaches.
//!
//! The crate reads text only: no file system, no network, no printing. Any input either parses
//! or returns an [`Error`] with a position; nothing panics (checked by property tests).
//!
//! ```
//! let file = berth_dockerfile::parse("FROM alpine AS build\nRUN make\nFROM scratch\nCOPY --from=build /out /\n")?;
//! let graph = file.stage_graph(&Default::default())?;
//! assert_eq!(graph.stages.len(), 2);
//! assert_eq!(graph.edges.len(), 1);
//! # Ok::<(), berth_dockerfile::Error>(())
//! ```

pub mod ast;
pub mod directive;
pub mod error;
pub mod graph;
mod heredoc;
pub mod instruction;
pub mod parser;
pub mod shell;
mod source;
pub mod span;

pub use ast::{Arg, Ast, Heredoc, Node, RawFlag};
pub use directive::Directive;
pub use error::{Error, Result};
pub use graph::{Base, BuildOptions, Edge, EdgeKind, Source, Stage, StageGraph};
pub use instruction::{CommandLine, Health, Instruction, InstructionKind};
pub use parser::parse_ast;
pub use span::{Position, Span};

use serde::Serialize;

/// A Dockerfile that passed BuildKit's parser and instructions stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    /// Parser directives.
    pub directives: Vec<Directive>,
    /// Every instruction in file order (global ARGs first, then each FROM and its instructions).
    pub instructions: Vec<Instruction>,
    escape: char,
}

impl Dockerfile {
    /// The escape character in force.
    #[must_use]
    pub fn escape(&self) -> char {
        self.escape
    }

    /// The stage graph for a build with `options`.
    ///
    /// # Errors
    /// BuildKit's convert-stage errors (see [`StageGraph::build`]).
    pub fn stage_graph(&self, options: &BuildOptions) -> Result<StageGraph> {
        StageGraph::build(self, options)
    }
}

/// Parse raw bytes: refuse non-UTF-8 with the position of the first bad byte, then [`parse`].
///
/// # Errors
/// See [`parse`]; plus [`Error::NotUtf8`].
pub fn parse_bytes(bytes: &[u8]) -> Result<Dockerfile> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            Err(Error::NotUtf8 {
                position: Position::new(line, valid.len() - line_start + 1),
            })
        }
    }
}

/// Parse a Dockerfile through BuildKit's parser and instructions stages.
///
/// # Errors
/// Parser-stage errors ([`Error::Syntax`], [`Error::LineTooLong`], [`Error::Empty`],
/// [`Error::NoInstructions`]), instructions-stage errors ([`Error::Instruction`]), and
/// `dockerfile contains no stages to build` ([`Error::Build`]).
pub fn parse(source: &str) -> Result<Dockerfile> {
    let ast = parse_ast(source)?;
    let mut instructions = Vec::with_capacity(ast.nodes.len());
    let mut seen_from = false;
    for node in &ast.nodes {
        let instruction = instruction::parse_instruction(node)?;
        match instruction.kind {
            InstructionKind::From { .. } => seen_from = true,
            InstructionKind::Arg { .. } => {}
            _ if !seen_from => {
                return Err(Error::Instruction {
                    message: "no build stage in current context".to_owned(),
                    span: node.span(),
                });
            }
            _ => {}
        }
        instructions.push(instruction);
    }
    if !seen_from {
        let span = ast.nodes.first().map(Node::span).unwrap_or_default();
        return Err(Error::Build {
            message: "dockerfile contains no stages to build".to_owned(),
            span,
        });
    }
    Ok(Dockerfile {
        directives: ast.directives,
        instructions,
        escape: ast.escape,
    })
}
