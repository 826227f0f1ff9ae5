//! The parser-stage tree, shaped like BuildKit's `parser.Node`: one node per instruction with the
//! keyword as written, raw flags, the argument chain, heredocs, the joined line and line range,
//! plus positions for the keyword, each flag and each argument.

use crate::directive::Directive;
use crate::span::Span;
use serde::Serialize;

/// One string of the argument chain with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arg {
    /// The text, unexpanded, quotes kept (as BuildKit's AST holds it).
    pub value: String,
    /// Where it is. Synthetic strings (the `=` separator of ENV pairs) get the instruction's span.
    pub span: Span,
}

/// A raw flag word (`--from=build`), quotes removed and escapes applied like BuildKit does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawFlag {
    /// The whole word, starting with `--`.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

impl RawFlag {
    /// Name without the leading `--` and without the value.
    #[must_use]
    pub fn name(&self) -> &str {
        let body = self.text.strip_prefix("--").unwrap_or(&self.text);
        body.split_once('=').map_or(body, |(name, _)| name)
    }

    /// Value after the first `=`, if any.
    #[must_use]
    pub fn value(&self) -> Option<&str> {
        self.text.split_once('=').map(|(_, value)| value)
    }
}

/// A here-document attached to RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// Delimiter word with quotes removed.
    pub name: String,
    /// File descriptor given before `<<` (0 when none).
    pub file_descriptor: u32,
    /// False when the delimiter was quoted: the body is then not variable-expanded.
    pub expand: bool,
    /// True for `<<-`: leading tabs of every line are removed later.
    pub chomp: bool,
    /// The raw body, line endings included, without the terminator line.
    pub content: String,
}

/// One instruction as BuildKit's parser sees it, before any validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// The keyword as written (`run`, `RUN`, `Run`...).
    pub keyword: String,
    /// Where the keyword is.
    pub keyword_span: Span,
    /// Leading `--flag` words.
    pub flags: Vec<RawFlag>,
    /// The argument chain (for ENV and LABEL: key, value, separator triples).
    pub args: Vec<Arg>,
    /// True when the arguments were written as a JSON array (exec form).
    pub json: bool,
    /// The instruction wrapped by ONBUILD.
    pub trigger: Option<Box<Node>>,
    /// Here-documents, in the order they appear.
    pub heredocs: Vec<Heredoc>,
    /// The joined logical line (continuations removed, comment lines dropped).
    pub original: String,
    /// First physical line.
    pub start_line: usize,
    /// Last physical line, including continuation and heredoc lines.
    pub end_line: usize,
    /// Comments directly above, text after `#` trimmed (a bare `#` line clears them).
    pub comments: Vec<String>,
    /// Whitespace-only lines were found inside the continuation (BuildKit warns).
    pub empty_continuation: bool,
}

impl Node {
    /// Lower-cased keyword.
    #[must_use]
    pub fn keyword_lower(&self) -> String {
        self.keyword.to_ascii_lowercase()
    }

    /// The whole instruction's extent.
    #[must_use]
    pub fn span(&self) -> Span {
        let mut end = self.keyword_span.end;
        for arg in &self.args {
            end = end.max(arg.span.end);
        }
        if self.end_line > end.line {
            end = crate::span::Position::new(self.end_line, 1);
        }
        Span::new(self.keyword_span.start, end)
    }

    /// Argument strings only.
    #[must_use]
    pub fn arg_values(&self) -> Vec<&str> {
        self.args.iter().map(|a| a.value.as_str()).collect()
    }
}

/// The result of the parser stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ast {
    /// Parser directives at the top of the file.
    pub directives: Vec<Directive>,
    /// The escape character in force (`\` or `` ` ``).
    pub escape: char,
    /// The instructions in file order.
    pub nodes: Vec<Node>,
}
