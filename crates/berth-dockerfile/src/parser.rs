//! BuildKit's parser stage (`parser.Parse`): directives, comments, line continuations, heredocs,
//! the split of each logical line into keyword, flags and arguments, and the per-instruction
//! argument shapes (JSON or shell form, words, key/value pairs). No validation of instruction
//! names, flags or argument counts happens here; see [`crate::instruction`] for that.

use crate::ast::{Arg, Ast, Node, RawFlag};
use crate::directive::{Directive, DirectiveScanner};
use crate::error::{Error, Result};
use crate::heredoc::heredocs_in_line;
use crate::source::{
    LogicalLine, PhysicalLine, is_separator, is_space, physical_lines, trim_newline,
};
use crate::span::{Position, Span};

/// The longest physical line BuildKit's scanner accepts, in bytes without the line ending.
pub const MAX_LINE_BYTES: usize = 65_535;

/// Deepest `ONBUILD ONBUILD ...` chain parsed as nested nodes; deeper ones are left flat. BuildKit
/// rejects any chain in its next stage anyway, so this only bounds recursion.
const MAX_ONBUILD_NESTING: usize = 16;

/// Parse `source` with BuildKit's parser-stage rules.
///
/// # Errors
/// Invalid directives, non-string JSON arrays, ENV/LABEL syntax, unterminated heredocs, lines over
/// [`MAX_LINE_BYTES`], and files with no instruction.
pub fn parse_ast(source: &str) -> Result<Ast> {
    if source.is_empty() {
        return Err(Error::Empty);
    }
    let all_lines = physical_lines(source);
    // BuildKit's scanner stops at a too-long line; everything before it is still parsed.
    let too_long = all_lines
        .iter()
        .find(|l| l.raw.strip_suffix('\n').unwrap_or(l.raw).len() > MAX_LINE_BYTES)
        .map(|l| (l.number, l.raw.strip_suffix('\n').unwrap_or(l.raw).len()));
    let usable = too_long.map_or(all_lines.len(), |(n, _)| n - 1);
    let lines = &all_lines[..usable];

    let mut parser = Parser {
        lines,
        escape: '\\',
        directives: DirectiveScanner::default(),
        found_directives: Vec::new(),
        nodes: Vec::new(),
    };
    parser.run()?;
    if let Some((line, length)) = too_long {
        return Err(Error::LineTooLong { line, length });
    }
    if parser.nodes.is_empty() {
        return Err(Error::NoInstructions {
            lines: all_lines.len(),
        });
    }
    Ok(Ast {
        directives: parser.found_directives,
        escape: parser.escape,
        nodes: parser.nodes,
    })
}

struct Parser<'a> {
    lines: &'a [PhysicalLine<'a>],
    escape: char,
    directives: DirectiveScanner,
    found_directives: Vec<Directive>,
    nodes: Vec<Node>,
}

fn syntax(message: impl Into<String>, start_line: usize, end_line: usize) -> Error {
    Error::Syntax {
        message: message.into(),
        span: Span::new(
            Position::new(start_line, 1),
            Position::new(end_line.max(start_line), 1),
        ),
    }
}

/// BuildKit's `isComment`: first non-blank character is `#`.
fn is_comment(line: &str) -> bool {
    line.trim_start_matches(is_space).starts_with('#')
}

impl Parser<'_> {
    #[allow(clippy::too_many_lines)] // mirrors BuildKit's single Parse loop, easier to audit whole
    fn run(&mut self) -> Result<()> {
        let mut comments: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.lines.len() {
            let line = self.lines[i];
            let mut content = line.raw;
            if i == 0 {
                content = content.strip_prefix('\u{feff}').unwrap_or(content);
            }
            let bom_bytes = line.raw.len() - content.len();
            if is_comment(content) {
                // BuildKit takes the bytes after the line's first byte, then trims.
                let after_first: &str = content
                    .char_indices()
                    .nth(1)
                    .map_or("", |(idx, _)| &content[idx..]);
                let text = after_first.trim_matches(is_space);
                if text.is_empty() {
                    comments.clear();
                } else {
                    comments.push(text.to_owned());
                }
            }
            let trimmed = trim_newline(content);
            let stripped = trimmed.trim_start_matches(is_space);
            let lead = bom_bytes + trimmed.len() - stripped.len();
            match self.directives.scan(stripped, line.number) {
                Err(message) => return Err(syntax(message, line.number, line.number)),
                Ok(Some(directive)) => {
                    if directive.name == "escape" {
                        let mut chars = directive.value.chars();
                        match (chars.next(), chars.next()) {
                            (Some(c @ ('\\' | '`')), None) => self.escape = c,
                            _ => {
                                return Err(syntax(
                                    format!(
                                        "invalid escape token '{}' does not match ` or \\",
                                        directive.value
                                    ),
                                    line.number,
                                    line.number,
                                ));
                            }
                        }
                    }
                    comments.pop();
                    self.found_directives.push(directive);
                }
                Ok(None) => {}
            }
            let first = if is_comment(stripped) { "" } else { stripped };
            i += 1;
            let start_line = line.number;
            let (kept, mut at_end) = self.trim_continuation(first);
            if at_end && kept.is_empty() {
                continue;
            }
            let mut logical = LogicalLine::default();
            logical.push(kept, line.number, lead);
            let mut empty_continuation = false;
            while !at_end && i < self.lines.len() {
                let next = self.lines[i];
                i += 1;
                if is_comment(next.raw) {
                    continue;
                }
                let text = trim_newline(next.raw);
                if text.trim_start_matches(is_space).is_empty() {
                    empty_continuation = true;
                    continue;
                }
                let (kept, end) = self.trim_continuation(text);
                at_end = end;
                logical.push(kept, next.number, 0);
            }
            let mut end_line = self
                .lines
                .get(i.wrapping_sub(1))
                .map_or(start_line, |l| l.number);

            let builder = NodeBuilder {
                logical: &logical,
                lines: self.lines,
                escape: self.escape,
            };
            let mut node = builder
                .node_from_line(0, &logical.text, 0)
                .map_err(|message| syntax(message, start_line, end_line))?;
            node.comments = std::mem::take(&mut comments);
            node.empty_continuation = empty_continuation;

            if can_contain_heredoc(&node) && logical.text.contains("<<") {
                let found =
                    heredocs_in_line(&logical.text).map_err(|m| syntax(m, start_line, end_line))?;
                let mut bodies = Vec::with_capacity(found.len());
                for mut heredoc in found {
                    let mut terminated = false;
                    let mut content = String::new();
                    while i < self.lines.len() {
                        let body_line = self.lines[i];
                        i += 1;
                        end_line = body_line.number;
                        let mut candidate = trim_newline(body_line.raw);
                        if heredoc.chomp {
                            candidate = candidate.trim_start_matches('\t');
                        }
                        if candidate == heredoc.name {
                            terminated = true;
                            break;
                        }
                        content.push_str(body_line.raw);
                    }
                    if !terminated {
                        return Err(syntax("unterminated heredoc", start_line, end_line));
                    }
                    heredoc.content = content;
                    bodies.push(heredoc);
                }
                node.heredocs = bodies;
            }
            node.start_line = start_line;
            node.end_line = end_line;
            if let Some(trigger) = node.trigger.as_deref_mut() {
                trigger.start_line = start_line;
                trigger.end_line = end_line;
            }
            self.nodes.push(node);
        }
        Ok(())
    }

    /// BuildKit's line-continuation regexp `([^E])E[ \t]*$|^E[ \t]*$`: returns the text with the
    /// escape and trailing blanks removed, and whether the instruction ends on this line.
    fn trim_continuation<'s>(&self, line: &'s str) -> (&'s str, bool) {
        let without_blanks = line.trim_end_matches([' ', '\t']);
        let Some(before_escape) = without_blanks.strip_suffix(self.escape) else {
            return (line, true);
        };
        if before_escape.ends_with(self.escape) {
            // `EE` (and `EEE`) at the end: the regexp cannot match, so no continuation.
            return (line, true);
        }
        (before_escape, false)
    }
}

/// RUN, COPY and ADD (also wrapped by ONBUILD), in shell form, may carry heredocs.
fn can_contain_heredoc(node: &Node) -> bool {
    let target = match &node.trigger {
        Some(child) if node.keyword.eq_ignore_ascii_case("onbuild") => child.as_ref(),
        _ => node,
    };
    let keyword = target.keyword.to_ascii_lowercase();
    matches!(keyword.as_str(), "run" | "copy" | "add") && !target.json
}

/// Builds nodes from (parts of) one logical line, turning byte offsets into spans.
struct NodeBuilder<'a> {
    logical: &'a LogicalLine,
    lines: &'a [PhysicalLine<'a>],
    escape: char,
}

/// A piece of the logical line: absolute byte range plus its text.
#[derive(Debug, Clone, Copy)]
struct Piece<'t> {
    start: usize,
    text: &'t str,
}

impl<'t> Piece<'t> {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }
    fn slice(&self, from: usize, to: usize) -> Piece<'t> {
        Piece {
            start: self.start + from,
            text: &self.text[from..to],
        }
    }
    fn trim(&self) -> Piece<'t> {
        let left = self.text.len() - self.text.trim_start_matches(is_space).len();
        let right = self.text.trim_end_matches(is_space).len().max(left);
        self.slice(left, right)
    }
}

impl NodeBuilder<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        self.logical.span(start, end, self.lines)
    }

    fn arg(&self, value: impl Into<String>, start: usize, end: usize) -> Arg {
        Arg {
            value: value.into(),
            span: self.span(start, end),
        }
    }

    /// `newNodeFromLine`: split, dispatch on the keyword, build the node.
    fn node_from_line(&self, base: usize, line: &str, depth: usize) -> Result<Node, String> {
        let whole = Piece {
            start: base,
            text: line,
        }
        .trim();
        let keyword_len = whole.text.find(is_separator).unwrap_or(whole.text.len());
        let keyword = whole.slice(0, keyword_len);
        let after = whole.slice(keyword_len, whole.text.len());
        let sep = after.text.len() - after.text.trim_start_matches(is_separator).len();
        let rest_raw = after.slice(sep, after.text.len());
        let (flags, rest) = if keyword_len < whole.text.len() {
            self.extract_flags(rest_raw)
        } else {
            (Vec::new(), rest_raw)
        };
        let rest = rest.trim();
        let lower = keyword.text.to_ascii_lowercase();
        let mut node = Node {
            keyword: keyword.text.to_owned(),
            keyword_span: self.span(keyword.start, keyword.end()),
            flags,
            args: Vec::new(),
            json: false,
            trigger: None,
            heredocs: Vec::new(),
            original: line.to_owned(),
            start_line: 0,
            end_line: 0,
            comments: Vec::new(),
            empty_continuation: false,
        };
        match lower.as_str() {
            "add" | "copy" | "volume" => self.maybe_json_to_list(&mut node, rest)?,
            "run" | "cmd" | "entrypoint" | "shell" => self.maybe_json(&mut node, rest)?,
            "from" | "expose" => node.args = self.whitespace_words(rest),
            "arg" => {
                node.args = self
                    .quoted_words(rest)
                    .into_iter()
                    .map(|w| self.arg(w.text, w.start, w.end()))
                    .collect();
            }
            "env" => node.args = self.name_values(rest, "ENV")?,
            "label" => node.args = self.name_values(rest, "LABEL")?,
            "maintainer" | "user" | "workdir" | "stopsignal" => {
                if !rest.text.is_empty() {
                    node.args = vec![self.arg(rest.text, rest.start, rest.end())];
                }
            }
            "healthcheck" => self.health_config(&mut node, rest)?,
            "onbuild" => {
                if !rest.text.is_empty() {
                    let child = if depth >= MAX_ONBUILD_NESTING {
                        self.flat_node(rest)
                    } else {
                        self.node_from_line(rest.start, rest.text, depth + 1)?
                    };
                    node.json = child.json;
                    node.trigger = Some(Box::new(child));
                }
            }
            _ => node.args = vec![self.arg("", rest.start, rest.start)],
        }
        Ok(node)
    }

    /// Too deep an ONBUILD chain: keep the keyword, leave the rest unparsed.
    fn flat_node(&self, rest: Piece<'_>) -> Node {
        let keyword_len = rest.text.find(is_separator).unwrap_or(rest.text.len());
        Node {
            keyword: rest.text[..keyword_len].to_owned(),
            keyword_span: self.span(rest.start, rest.start + keyword_len),
            flags: Vec::new(),
            args: vec![self.arg("", rest.end(), rest.end())],
            json: false,
            trigger: None,
            heredocs: Vec::new(),
            original: rest.text.to_owned(),
            start_line: 0,
            end_line: 0,
            comments: Vec::new(),
            empty_continuation: false,
        }
    }

    /// `extractBuilderFlags`: leading `--words`, quote-aware; returns the flags and the rest.
    fn extract_flags<'t>(&self, line: Piece<'t>) -> (Vec<RawFlag>, Piece<'t>) {
        #[derive(PartialEq)]
        enum Phase {
            Spaces,
            Word,
            Quote(char),
        }
        let text = line.text;
        let mut flags = Vec::new();
        let mut phase = Phase::Spaces;
        let mut word = String::new();
        let mut word_start = 0;
        let mut blank_ok = false;
        let mut chars = text.char_indices().peekable();
        loop {
            let Some((pos, c)) = chars.next() else {
                if phase != Phase::Spaces && word != "--" && (blank_ok || !word.is_empty()) {
                    flags.push(RawFlag {
                        text: word,
                        span: self.span(line.start + word_start, line.end()),
                    });
                }
                return (flags, line.slice(text.len(), text.len()));
            };
            if phase == Phase::Spaces {
                if is_space(c) {
                    continue;
                }
                if c != '-' || text.as_bytes().get(pos + 1) != Some(&b'-') {
                    return (flags, line.slice(pos, text.len()));
                }
                phase = Phase::Word;
                word_start = pos;
            }
            match phase {
                Phase::Word => {
                    if is_space(c) {
                        phase = Phase::Spaces;
                        if word == "--" {
                            return (flags, line.slice(pos, text.len()));
                        }
                        if blank_ok || !word.is_empty() {
                            flags.push(RawFlag {
                                text: std::mem::take(&mut word),
                                span: self.span(line.start + word_start, line.start + pos),
                            });
                        }
                        word.clear();
                        blank_ok = false;
                        continue;
                    }
                    if c == '\'' || c == '"' {
                        phase = Phase::Quote(c);
                        blank_ok = true;
                        continue;
                    }
                    if c == self.escape {
                        match chars.next() {
                            Some((_, escaped)) => word.push(escaped),
                            None => continue,
                        }
                        continue;
                    }
                    word.push(c);
                }
                Phase::Quote(quote) => {
                    if c == quote {
                        phase = Phase::Word;
                        continue;
                    }
                    if c == self.escape {
                        match chars.next() {
                            Some((_, escaped)) => word.push(escaped),
                            None => phase = Phase::Word,
                        }
                        continue;
                    }
                    word.push(c);
                }
                Phase::Spaces => {}
            }
        }
    }

    /// `parseStringsWhitespaceDelimited`.
    fn whitespace_words(&self, rest: Piece<'_>) -> Vec<Arg> {
        let mut args = Vec::new();
        let mut start = None;
        for (i, c) in rest.text.char_indices() {
            if is_separator(c) {
                if let Some(s) = start.take() {
                    args.push(self.arg(&rest.text[s..i], rest.start + s, rest.start + i));
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            args.push(self.arg(&rest.text[s..], rest.start + s, rest.end()));
        }
        args
    }

    /// `parseJSON`: the whole rest must be one JSON array; non-string elements are an error.
    fn json_array(&self, rest: Piece<'_>) -> Option<Result<Vec<Arg>, String>> {
        let left = rest.text.len() - rest.text.trim_start_matches(is_space).len();
        let body = rest.slice(left, rest.text.len());
        if !body.text.starts_with('[') {
            return None;
        }
        let value: serde_json::Value = serde_json::from_str(body.text).ok()?;
        let items = value.as_array()?;
        if items.iter().any(|v| !v.is_string()) {
            return Some(Err(
                "when using JSON array syntax, arrays must be comprised of strings only".to_owned(),
            ));
        }
        let spans = json_string_ranges(body.text);
        Some(Ok(items
            .iter()
            .enumerate()
            .map(|(index, v)| {
                let (s, e) = spans.get(index).copied().unwrap_or((0, body.text.len()));
                self.arg(
                    v.as_str().unwrap_or_default(),
                    body.start + s,
                    body.start + e,
                )
            })
            .collect()))
    }

    /// `parseMaybeJSON` (RUN, CMD, ENTRYPOINT, SHELL).
    fn maybe_json(&self, node: &mut Node, rest: Piece<'_>) -> Result<(), String> {
        if rest.text.is_empty() {
            return Ok(());
        }
        match self.json_array(rest) {
            Some(Ok(args)) => {
                node.args = args;
                node.json = true;
            }
            Some(Err(message)) => return Err(message),
            None => node.args = vec![self.arg(rest.text, rest.start, rest.end())],
        }
        Ok(())
    }

    /// `parseMaybeJSONToList` (ADD, COPY, VOLUME).
    fn maybe_json_to_list(&self, node: &mut Node, rest: Piece<'_>) -> Result<(), String> {
        match self.json_array(rest) {
            Some(Ok(args)) => {
                node.args = args;
                node.json = true;
            }
            Some(Err(message)) => return Err(message),
            None => node.args = self.whitespace_words(rest),
        }
        Ok(())
    }

    /// `parseHealthConfig`: type word, then the command like RUN.
    fn health_config(&self, node: &mut Node, rest: Piece<'_>) -> Result<(), String> {
        let sep = rest.text.find(is_space).unwrap_or(rest.text.len());
        if sep == 0 {
            return Ok(());
        }
        let after = &rest.text[sep..];
        let next = sep + (after.len() - after.trim_start_matches(is_space).len());
        let mut inner = Node {
            args: Vec::new(),
            json: false,
            ..node.clone()
        };
        self.maybe_json(&mut inner, rest.slice(next, rest.text.len()))?;
        node.args = vec![self.arg(&rest.text[..sep], rest.start, rest.start + sep)];
        node.args.extend(inner.args);
        node.json = inner.json;
        Ok(())
    }

    /// `parseWords`: split on unquoted blanks, keeping quotes and escapes in the words. An
    /// escape character that ends the text (outside single quotes) is dropped, as BuildKit does.
    fn quoted_words<'t>(&self, rest: Piece<'t>) -> Vec<Piece<'t>> {
        let text = rest.text;
        let mut words = Vec::new();
        let mut start: Option<usize> = None;
        let mut quote: Option<char> = None;
        let mut drop_trailing_escape = false;
        let mut chars = text.char_indices().peekable();
        while let Some((pos, c)) = chars.next() {
            let in_word = start.is_some();
            if !in_word {
                if is_space(c) {
                    continue;
                }
                start = Some(pos);
            }
            match quote {
                None => {
                    if in_word && is_space(c) {
                        if let Some(s) = start.take() {
                            words.push(rest.slice(s, pos));
                        }
                    } else if c == '\'' || c == '"' {
                        quote = Some(c);
                    } else if c == self.escape && chars.next().is_none() {
                        drop_trailing_escape = true;
                    }
                }
                Some(q) => {
                    if c == q {
                        quote = None;
                    } else if c == self.escape && q != '\'' && chars.next().is_none() {
                        drop_trailing_escape = true;
                    }
                }
            }
        }
        if let Some(s) = start {
            let end = if drop_trailing_escape {
                text.len() - self.escape.len_utf8()
            } else {
                text.len()
            };
            words.push(rest.slice(s, end.max(s)));
        }
        words.into_iter().filter(|w| !w.text.is_empty()).collect()
    }

    /// `parseNameVal` for ENV and LABEL: key/value/separator triples.
    fn name_values(&self, rest: Piece<'_>, keyword: &str) -> Result<Vec<Arg>, String> {
        let words = self.quoted_words(rest);
        let Some(first) = words.first() else {
            return Ok(Vec::new());
        };
        if !first.text.contains('=') {
            let key_len = rest.text.find(is_separator).unwrap_or(rest.text.len());
            if key_len == rest.text.len() {
                return Err(format!("{keyword} must have two arguments"));
            }
            let after = &rest.text[key_len..];
            let value_start =
                key_len + (after.len() - after.trim_start_matches(is_separator).len());
            return Ok(vec![
                self.arg(&rest.text[..key_len], rest.start, rest.start + key_len),
                self.arg(
                    &rest.text[value_start..],
                    rest.start + value_start,
                    rest.end(),
                ),
                self.arg("", rest.end(), rest.end()),
            ]);
        }
        let mut args = Vec::with_capacity(words.len() * 3);
        for word in words {
            let Some(eq) = word.text.find('=') else {
                return Err(format!(
                    "Syntax error - can't find = in \"{}\". Must be of the form: name=value",
                    go_quote_body(word.text)
                ));
            };
            args.push(self.arg(&word.text[..eq], word.start, word.start + eq));
            args.push(self.arg(&word.text[eq + 1..], word.start + eq + 1, word.end()));
            args.push(self.arg("=", word.start + eq, word.start + eq + 1));
        }
        Ok(args)
    }
}

/// Go's `%q` body: backslashes and double quotes escaped.
fn go_quote_body(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Byte ranges of the string literals of a top-level JSON array of strings.
fn json_string_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'"' if depth == 1 => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                ranges.push((start, (i + 1).min(bytes.len())));
            }
            _ => {}
        }
        i += 1;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(src: &str) -> Vec<Node> {
        parse_ast(src).unwrap().nodes
    }

    fn values(node: &Node) -> Vec<&str> {
        node.arg_values()
    }

    #[test]
    fn continuation_joins_without_separator() {
        let n = nodes("FROM a\nRUN echo a\\\nb\n");
        assert_eq!(values(&n[1]), ["echo ab"]);
        assert_eq!((n[1].start_line, n[1].end_line), (2, 3));
    }

    #[test]
    fn comment_inside_continuation_is_dropped() {
        let n = nodes("RUN a \\\n   # c\n b\n");
        assert_eq!(values(&n[0]), ["a  b"]);
    }

    #[test]
    fn empty_continuation_line_is_flagged() {
        let n = nodes("RUN a \\\n\n b\n");
        assert_eq!(values(&n[0]), ["a  b"]);
        assert!(n[0].empty_continuation);
    }

    #[test]
    fn double_escape_is_not_continuation() {
        let n = nodes("RUN echo \\\\\nRUN x\n");
        assert_eq!(n.len(), 2);
        assert_eq!(values(&n[0]), ["echo \\\\"]);
    }

    #[test]
    fn escape_directive_switches_continuation() {
        let n = nodes("# escape=`\nFROM a\nRUN x `\n y\nRUN echo \\\n");
        assert_eq!(values(&n[1]), ["x  y"]);
        assert_eq!(values(&n[2]), ["echo \\"]);
    }

    #[test]
    fn flags_are_extracted_with_quotes_removed() {
        let n = nodes("COPY --from=\"x y\" --chown=a:b -- --weird dst\n");
        let flags: Vec<_> = n[0].flags.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(flags, ["--from=x y", "--chown=a:b"]);
        assert_eq!(values(&n[0]), ["--weird", "dst"]);
    }

    #[test]
    fn json_form_and_fallbacks() {
        let n = nodes("CMD [\"a\", \"b\"]\nCMD ['a']\nCMD [\"a\"] x\n");
        assert!(n[0].json);
        assert_eq!(values(&n[0]), ["a", "b"]);
        assert!(!n[1].json && !n[2].json);
        let err = parse_ast("RUN [\"a\", 1]\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("arrays must be comprised of strings only")
        );
    }

    #[test]
    fn env_pairs_and_legacy_form() {
        let n = nodes("ENV A=1 B=\"x y\"\nENV C d e\n");
        assert_eq!(values(&n[0]), ["A", "1", "=", "B", "\"x y\"", "="]);
        assert_eq!(values(&n[1]), ["C", "d e", ""]);
        assert!(parse_ast("ENV A\n").is_err());
        assert!(
            parse_ast("ENV A=1 B\n")
                .unwrap_err()
                .to_string()
                .contains("can't find = in \"B\"")
        );
    }

    #[test]
    fn positions_of_flags_and_args() {
        let n = nodes("FROM a\n  COPY --link src \\\n    dst\n");
        let copy = &n[1];
        assert_eq!(copy.keyword_span.start, Position::new(2, 3));
        assert_eq!(copy.flags[0].span.start, Position::new(2, 8));
        assert_eq!(copy.args[0].span.start, Position::new(2, 15));
        assert_eq!(copy.args[1].span.start, Position::new(3, 5));
    }

    #[test]
    fn heredocs_are_read_in_order() {
        let n = nodes("RUN 3<<EOF 4<<-EOT cat\nx\nEOF\n\ty\n\tEOT\nRUN z\n");
        assert_eq!(n[0].heredocs.len(), 2);
        assert_eq!(n[0].heredocs[0].content, "x\n");
        assert_eq!(n[0].heredocs[1].content, "\ty\n");
        assert_eq!(n[0].heredocs[1].file_descriptor, 4);
        assert_eq!(n[0].end_line, 5);
        assert_eq!(n[1].start_line, 6);
    }

    #[test]
    fn unterminated_heredoc_is_an_error() {
        let err = parse_ast("RUN <<EOF\nx\nEOF \n").unwrap_err();
        assert!(err.to_string().contains("unterminated heredoc"));
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(parse_ast("").unwrap_err(), Error::Empty);
        assert!(matches!(
            parse_ast("# only\n\n").unwrap_err(),
            Error::NoInstructions { .. }
        ));
    }

    #[test]
    fn long_line_is_reported() {
        let long = format!("RUN {}\n", "a".repeat(70_000));
        assert!(matches!(
            parse_ast(&long).unwrap_err(),
            Error::LineTooLong { line: 1, .. }
        ));
    }

    #[test]
    fn bom_and_crlf() {
        let n = nodes("\u{feff}FROM a\r\nRUN b\r\n");
        assert_eq!(values(&n[0]), ["a"]);
        assert_eq!(values(&n[1]), ["b"]);
    }
}
