//! The shell words of a `RUN` command, for the shell-aware rules.
//!
//! [`Script::parse`] reads POSIX shell text the way the rules need it: a list of simple commands
//! (split on `&&`, `||`, `;`, `|`, `&`, newlines, subshells and `$(...)`), each a command name and
//! its argument words with quotes removed, escapes applied, redirections and leading `VAR=value`
//! assignments dropped, and reserved words (`if`, `then`, `do`, ...) skipped; plus whether the
//! script has a pipe. It is not a shell interpreter: it never expands variables (`$X` stays
//! `$X`), treats `for` headers as no command and `case` patterns (`a|b)`) as no command and no
//! pipe. The flag helpers follow hadolint's reading of command lines (`-abc` is three flags,
//! `--name=value` is flag `name`), so rules agree with it on the same text.
//!
//! [`run_shell_text`] decides which text of a shell-form `RUN` is shell at all: the command line,
//! plus a heredoc body only when a POSIX shell reads it (`RUN <<EOT`, `RUN <<EOT bash -ex`);
//! a body handed to `python3`, `node` or `cat` is data, not shell.

/// One simple command: `apt-get install -y curl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The command word as written (`apt-get`, `/usr/bin/pip`).
    pub(crate) name: String,
    /// The words after the name.
    pub(crate) args: Vec<String>,
    /// The command reads the output of the one before it through `|`.
    pub(crate) piped: bool,
}

/// The parsed shell text of one `RUN`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Script {
    /// The text as given.
    pub(crate) original: String,
    /// Simple commands in order of appearance.
    pub(crate) commands: Vec<Command>,
    /// A `|` pipe joins two commands somewhere.
    pub(crate) has_pipe: bool,
}

/// Words that open or close compound commands; skipped where a command name is expected.
const RESERVED: [&str; 14] = [
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
    "esac",
];

/// Interpreters whose script is POSIX shell, so that a heredoc they read is read by the shell
/// rules like a RUN line.
const POSIX_SHELLS: [&str; 4] = ["sh", "bash", "dash", "ash"];

/// Who reads the one heredoc body of a shell-form `RUN`, when a POSIX shell does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ShellBody {
    /// A bare `RUN <<EOT`: BuildKit runs the body as the script, by the shell its `#!` line
    /// names (the base name, `bash`), else by the stage's shell (`None`).
    Script(Option<String>),
    /// The line is one POSIX shell given only options (`RUN <<EOT bash -ex`,
    /// `RUN /bin/bash -euo pipefail <<EOT`): that shell (its base name) reads the body.
    Stdin(String),
}

/// Whether, and by which shell, the heredoc body of a shell-form `RUN` is read as shell:
/// `line` is the text after `RUN` and its flags. A body handed to `python3`, `node` or `cat`,
/// or a RUN with several heredocs, gives `None`.
pub(crate) fn shell_body(line: &str, heredocs: &[berth_dockerfile::Heredoc]) -> Option<ShellBody> {
    let [heredoc] = heredocs else {
        return None;
    };
    if is_bare_heredoc(line) {
        // BuildKit runs a RUN that is one heredoc as its script (by its `#!` line, if any).
        return match shebang_interpreter(&heredoc.content) {
            None => Some(ShellBody::Script(None)),
            Some(program) if is_posix_shell(program) => {
                Some(ShellBody::Script(Some(base_name(program).to_owned())))
            }
            Some(_) => None,
        };
    }
    // Otherwise the body is the standard input of the line's command.
    let head = Script::parse(line);
    match head.commands.as_slice() {
        [command] if heredoc.file_descriptor == 0 && command.is_shell_reading_stdin() => {
            Some(ShellBody::Stdin(base_name(&command.name).to_owned()))
        }
        _ => None,
    }
}

/// The line of a shell-form `RUN` is one heredoc and nothing else (`RUN <<EOT`): BuildKit runs
/// the body as the script.
pub(crate) fn is_bare_heredoc(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.starts_with("<<") && !trimmed.contains(char::is_whitespace)
}

/// The shell text a shell-form `RUN` runs: `line` (the text after `RUN` and its flags), followed
/// by the body of its one heredoc when a POSIX shell reads that body ([`shell_body`]). Keeping
/// the line in front counts the interpreter as a command of its own, as hadolint does for
/// DL3059.
pub(crate) fn run_shell_text(line: &str, heredocs: &[berth_dockerfile::Heredoc]) -> String {
    match (shell_body(line, heredocs), heredocs) {
        (Some(_), [heredoc]) => format!("{line}\n{}", heredoc.content),
        _ => line.to_owned(),
    }
}

/// The interpreter a `#!` first line names (`#!/usr/bin/env python3` → `python3`).
fn shebang_interpreter(body: &str) -> Option<&str> {
    let mut words = body.lines().next()?.strip_prefix("#!")?.split_whitespace();
    let program = words.next()?;
    if base_name(program) == "env" {
        words.find(|w| !w.starts_with('-')).map(base_name)
    } else {
        Some(base_name(program))
    }
}

fn is_posix_shell(program: &str) -> bool {
    POSIX_SHELLS.contains(&base_name(program))
}

/// The last path component of a command word (`/bin/bash` → `bash`).
pub(crate) fn base_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Where the reader is inside one `case` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaseState {
    /// After `case`: the subject word, up to `in`.
    Header,
    /// Patterns up to `)`: `a|b` there is alternation, not a pipe.
    Patterns,
    /// The commands of one branch, up to `;;` or `esac`.
    Branch,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    /// `&&`, `||`, `;`, `&`, newline.
    Separator,
    /// `(`: a subshell, or the optional opening of a `case` pattern.
    Open,
    /// `)`: the end of a subshell or of a `case` pattern list.
    Close,
    /// `;;`, `;&` or `;;&`: the end of one `case` branch.
    CaseBreak,
    Pipe,
    /// `>`, `>>`, `<`, `2>`, `&>`, `>&`, `<<<`, ...: the next word is its target.
    Redirect,
    /// A `$(...)` or backquoted command substitution, parsed on its own.
    Substitution(Box<Script>),
}

struct Lexer<'s> {
    chars: Vec<char>,
    pos: usize,
    text: &'s str,
}

impl Lexer<'_> {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    /// Read until the `)` closing a `$(` (nesting and quotes respected), returning the inside.
    fn take_parenthesised(&mut self) -> String {
        let mut depth = 1;
        let mut inner = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some('"'), '\\') => {
                    inner.push(c);
                    if let Some(n) = self.peek(0) {
                        inner.push(n);
                        self.pos += 1;
                    }
                    continue;
                }
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '\\') => {
                    inner.push(c);
                    if let Some(n) = self.peek(0) {
                        inner.push(n);
                        self.pos += 1;
                    }
                    continue;
                }
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            inner.push(c);
        }
        inner
    }

    #[allow(clippy::too_many_lines, unused_assignments)] // one arm per token kind; the macro resets state
    fn tokens(&mut self) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        macro_rules! flush {
            () => {
                if in_word {
                    tokens.push(Token::Word(std::mem::take(&mut word)));
                    in_word = false;
                }
            };
        }
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\'' => {
                    in_word = true;
                    while let Some(q) = self.peek(0) {
                        self.pos += 1;
                        if q == '\'' {
                            break;
                        }
                        word.push(q);
                    }
                }
                '"' => {
                    in_word = true;
                    while let Some(q) = self.peek(0) {
                        self.pos += 1;
                        match q {
                            '"' => break,
                            '\\' => {
                                if let Some(n) = self.peek(0) {
                                    self.pos += 1;
                                    if !matches!(n, '"' | '\\' | '$' | '`' | '\n') {
                                        word.push('\\');
                                    }
                                    if n != '\n' {
                                        word.push(n);
                                    }
                                }
                            }
                            '$' if self.peek(0) == Some('(') => {
                                self.pos += 1;
                                let inner = self.take_parenthesised();
                                tokens.push(Token::Substitution(Box::new(Script::parse(&inner))));
                                word.push_str("${VAR}");
                            }
                            _ => word.push(q),
                        }
                    }
                }
                '\\' => {
                    if let Some(n) = self.peek(0) {
                        self.pos += 1;
                        if n != '\n' {
                            in_word = true;
                            word.push(n);
                        }
                    }
                }
                '$' if self.peek(0) == Some('(') => {
                    self.pos += 1;
                    in_word = true;
                    if self.peek(0) == Some('(') {
                        // Arithmetic `$((...))`: no commands inside.
                        self.pos += 1;
                        let _ = self.take_parenthesised();
                        if self.peek(0) == Some(')') {
                            self.pos += 1;
                        }
                    } else {
                        let inner = self.take_parenthesised();
                        tokens.push(Token::Substitution(Box::new(Script::parse(&inner))));
                    }
                    word.push_str("${VAR}");
                }
                '`' => {
                    in_word = true;
                    let mut inner = String::new();
                    while let Some(q) = self.peek(0) {
                        self.pos += 1;
                        if q == '`' {
                            break;
                        }
                        inner.push(q);
                    }
                    tokens.push(Token::Substitution(Box::new(Script::parse(&inner))));
                    word.push_str("${VAR}");
                }
                '|' => {
                    flush!();
                    if self.peek(0) == Some('|') {
                        self.pos += 1;
                        tokens.push(Token::Separator);
                    } else {
                        if self.peek(0) == Some('&') {
                            self.pos += 1;
                        }
                        tokens.push(Token::Pipe);
                    }
                }
                '&' => {
                    flush!();
                    if self.peek(0) == Some('>') {
                        self.pos += 1;
                        if self.peek(0) == Some('>') {
                            self.pos += 1;
                        }
                        tokens.push(Token::Redirect);
                    } else {
                        if self.peek(0) == Some('&') {
                            self.pos += 1;
                        }
                        tokens.push(Token::Separator);
                    }
                }
                ';' => {
                    flush!();
                    if self.peek(0) == Some(';') {
                        self.pos += 1;
                        if self.peek(0) == Some('&') {
                            self.pos += 1;
                        }
                        tokens.push(Token::CaseBreak);
                    } else if self.peek(0) == Some('&') {
                        self.pos += 1;
                        tokens.push(Token::CaseBreak);
                    } else {
                        tokens.push(Token::Separator);
                    }
                }
                '\n' => {
                    flush!();
                    tokens.push(Token::Separator);
                }
                '(' => {
                    flush!();
                    tokens.push(Token::Open);
                }
                ')' => {
                    flush!();
                    tokens.push(Token::Close);
                }
                '>' | '<' => {
                    // A word made only of digits just before is the file descriptor.
                    if in_word && word.chars().all(|d| d.is_ascii_digit()) {
                        word.clear();
                        in_word = false;
                    } else {
                        flush!();
                    }
                    while matches!(self.peek(0), Some('>' | '<' | '&' | '|')) {
                        self.pos += 1;
                    }
                    // `2>&1`: the target is glued to the operator.
                    if c == '>' && self.chars.get(self.pos - 1) == Some(&'&') {
                        while matches!(self.peek(0), Some(d) if d.is_ascii_digit() || d == '-') {
                            self.pos += 1;
                        }
                        continue;
                    }
                    tokens.push(Token::Redirect);
                }
                '#' if !in_word => {
                    while let Some(q) = self.peek(0) {
                        if q == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                c if c.is_whitespace() => flush!(),
                _ => {
                    in_word = true;
                    word.push(c);
                }
            }
        }
        flush!();
        let _ = self.text;
        tokens
    }
}

impl Script {
    /// Read `text` as shell.
    pub(crate) fn parse(text: &str) -> Self {
        let mut lexer = Lexer {
            chars: text.chars().collect(),
            pos: 0,
            text,
        };
        let tokens = lexer.tokens();
        let mut script = Self {
            original: text.to_owned(),
            ..Self::default()
        };
        let mut words: Vec<String> = Vec::new();
        let mut nested: Vec<Command> = Vec::new();
        let mut skip_next_word = false;
        let mut pending_pipe = false;
        let mut piped = false;
        let finish = |words: &mut Vec<String>,
                      script: &mut Self,
                      nested: &mut Vec<Command>,
                      piped: &mut bool| {
            let taken = std::mem::take(words);
            if let Some(mut command) = Command::from_words(taken) {
                command.piped = *piped;
                script.commands.push(command);
            }
            *piped = false;
            script.commands.append(nested);
        };
        // Open `case` commands, innermost last: their patterns are neither commands nor pipes.
        let mut cases: Vec<CaseState> = Vec::new();
        for token in tokens {
            let case_state = cases.last().copied();
            match (case_state, token) {
                (Some(CaseState::Header), Token::Word(w)) => {
                    if w == "in" {
                        cases.pop();
                        cases.push(CaseState::Patterns);
                    }
                }
                (Some(CaseState::Header | CaseState::Patterns), Token::Substitution(inner)) => {
                    script.has_pipe |= inner.has_pipe;
                    nested.extend(inner.commands);
                }
                (Some(CaseState::Patterns), Token::Word(w)) => {
                    if w == "esac" {
                        cases.pop();
                    }
                }
                (Some(CaseState::Patterns), Token::Close) => {
                    cases.pop();
                    cases.push(CaseState::Branch);
                }
                (Some(CaseState::Header | CaseState::Patterns), _) => {}
                (_, Token::Word(w)) => {
                    let at_command_start = !skip_next_word
                        && words.iter().all(|word| RESERVED.contains(&word.as_str()));
                    if at_command_start && w == "case" {
                        finish(&mut words, &mut script, &mut nested, &mut piped);
                        cases.push(CaseState::Header);
                    } else if at_command_start && w == "esac" && case_state.is_some() {
                        finish(&mut words, &mut script, &mut nested, &mut piped);
                        cases.pop();
                    } else if skip_next_word {
                        skip_next_word = false;
                    } else {
                        words.push(w);
                    }
                }
                (_, Token::Redirect) => skip_next_word = true,
                (_, Token::Substitution(inner)) => {
                    script.has_pipe |= inner.has_pipe;
                    nested.extend(inner.commands);
                }
                (_, Token::CaseBreak) if case_state == Some(CaseState::Branch) => {
                    skip_next_word = false;
                    finish(&mut words, &mut script, &mut nested, &mut piped);
                    cases.pop();
                    cases.push(CaseState::Patterns);
                }
                (_, Token::Separator | Token::Open | Token::Close | Token::CaseBreak) => {
                    skip_next_word = false;
                    finish(&mut words, &mut script, &mut nested, &mut piped);
                }
                (_, Token::Pipe) => {
                    skip_next_word = false;
                    if !words.is_empty() {
                        pending_pipe = true;
                    }
                    finish(&mut words, &mut script, &mut nested, &mut piped);
                    piped = true;
                }
            }
            if pending_pipe && !words.is_empty() {
                script.has_pipe = true;
                pending_pipe = false;
            }
        }
        finish(&mut words, &mut script, &mut nested, &mut piped);
        script
    }

    /// Names of all commands, in order.
    pub(crate) fn command_names(&self) -> impl Iterator<Item = &str> {
        self.commands.iter().map(|c| c.name.as_str())
    }

    /// A command called `name` runs somewhere in the script.
    pub(crate) fn uses(&self, name: &str) -> bool {
        self.command_names().any(|n| n == name)
    }

    /// Index of the first command matching `predicate`.
    pub(crate) fn position(&self, predicate: impl Fn(&Command) -> bool) -> Option<usize> {
        self.commands.iter().position(predicate)
    }

    /// A command matching `first` runs, and no command matching `then` runs after it.
    pub(crate) fn missing_after(
        &self,
        first: impl Fn(&Command) -> bool,
        then: impl Fn(&Command) -> bool,
    ) -> bool {
        match (self.position(first), self.position(then)) {
            (None, _) => false,
            (Some(a), Some(b)) => a >= b,
            (Some(_), None) => true,
        }
    }
}

impl Command {
    fn from_words(mut words: Vec<String>) -> Option<Self> {
        loop {
            let first = words.first()?;
            if matches!(first.as_str(), "for" | "case" | "select" | "function") {
                return None;
            }
            let is_assignment = first.split_once('=').is_some_and(|(name, _)| is_name(name));
            if RESERVED.contains(&first.as_str()) || is_assignment {
                words.remove(0);
            } else {
                break;
            }
        }
        let name = words.remove(0);
        Some(Self {
            name,
            args: words,
            piped: false,
        })
    }

    /// A POSIX shell given only options (`bash -euo pipefail`), so it reads its script from
    /// standard input; `-c` or a script file operand make it read something else.
    fn is_shell_reading_stdin(&self) -> bool {
        is_posix_shell(&self.name) && !self.has_flag("c") && self.operands(&["o"]).is_empty()
    }

    /// The command is `name` and one of `args` appears among its words.
    pub(crate) fn is(&self, name: &str, args: &[&str]) -> bool {
        self.name == name && self.args.iter().any(|a| args.contains(&a.as_str()))
    }

    /// The command is one of `names` and one of `args` appears among its words.
    pub(crate) fn is_any(&self, names: &[&str], args: &[&str]) -> bool {
        names.contains(&self.name.as_str()) && self.args.iter().any(|a| args.contains(&a.as_str()))
    }

    /// Flag names carried by argument `index` (`-abc` → a, b, c; `--x=1` → x).
    fn flags_of(arg: &str) -> Vec<&str> {
        if arg == "--" || arg == "-" {
            Vec::new()
        } else if let Some(long) = arg.strip_prefix("--") {
            vec![long.split('=').next().unwrap_or(long)]
        } else if let Some(short) = arg.strip_prefix('-') {
            short
                .char_indices()
                .map(|(i, c)| &short[i..i + c.len_utf8()])
                .collect()
        } else {
            Vec::new()
        }
    }

    /// All flags, in order.
    pub(crate) fn flags(&self) -> impl Iterator<Item = &str> {
        self.args.iter().flat_map(|a| Self::flags_of(a))
    }

    /// Flag `flag` is given.
    pub(crate) fn has_flag(&self, flag: &str) -> bool {
        self.flags().any(|f| f == flag)
    }

    /// One of `flags` is given.
    pub(crate) fn has_any_flag(&self, flags: &[&str]) -> bool {
        self.flags().any(|f| flags.contains(&f))
    }

    /// How many times `flag` is given.
    pub(crate) fn count_flag(&self, flag: &str) -> usize {
        self.flags().filter(|f| *f == flag).count()
    }

    /// `arg` is one of the words.
    pub(crate) fn has_arg(&self, arg: &str) -> bool {
        self.args.iter().any(|a| a == arg)
    }

    fn is_flag_word(arg: &str) -> bool {
        arg.starts_with('-') && arg != "-" && arg != "--"
    }

    /// Words that are not flags, after dropping the value word of each flag in `with_values`
    /// written without `=` (`-t stretch` drops `stretch`).
    pub(crate) fn operands(&self, with_values: &[&str]) -> Vec<&str> {
        let mut out = Vec::new();
        let mut skip = false;
        for arg in &self.args {
            if skip {
                skip = false;
                if !Self::is_flag_word(arg) {
                    continue;
                }
            }
            if Self::is_flag_word(arg) {
                skip = !arg.contains('=')
                    && Self::flags_of(arg).iter().any(|f| with_values.contains(f));
                continue;
            }
            out.push(arg.as_str());
        }
        out
    }

    /// Values given to flag `flag` as the next word (`-u 1000` → `1000`).
    pub(crate) fn flag_values(&self, flag: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for (i, arg) in self.args.iter().enumerate() {
            if Self::is_flag_word(arg)
                && !arg.contains('=')
                && Self::flags_of(arg).contains(&flag)
                && let Some(next) = self.args.get(i + 1)
                && !Self::is_flag_word(next)
            {
                out.push(next.as_str());
            }
        }
        out
    }

    /// Operands after the subcommand word `sub` (`apt-get install a b` → `a`, `b`).
    pub(crate) fn operands_after(&self, subs: &[&str], with_values: &[&str]) -> Vec<&str> {
        let operands = self.operands(with_values);
        match operands.iter().position(|o| subs.contains(o)) {
            Some(i) => operands[i + 1..].to_vec(),
            None => Vec::new(),
        }
    }
}

/// A shell variable name.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        Script::parse(text)
            .commands
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn splits_on_operators_and_removes_quotes() {
        let script = Script::parse(
            "apt-get update && apt-get install -y 'a b' \\\n c; pip install \"x\" || true",
        );
        assert_eq!(script.commands.len(), 4);
        assert_eq!(script.commands[1].args, ["install", "-y", "a b", "c"]);
        assert!(!script.has_pipe);
    }

    #[test]
    fn pipes_redirections_and_substitutions() {
        let script = Script::parse("curl -s x 2>/dev/null | sh > out.txt");
        assert!(script.has_pipe);
        assert_eq!(script.commands[0].args, ["-s", "x"]);
        assert_eq!(script.commands[1].args, Vec::<String>::new());
        assert_eq!(
            names("echo $(sudo id) `whoami`"),
            ["echo", "sudo", "whoami"]
        );
        assert!(!Script::parse("a || b").has_pipe);
        assert!(!Script::parse("echo 'a | b'").has_pipe);
    }

    #[test]
    fn skips_reserved_words_and_assignments() {
        assert_eq!(
            names("if true; then A=1 apt-get install x; fi"),
            ["true", "apt-get"]
        );
        assert_eq!(names("for x in a b; do cd $x; done"), ["cd"]);
        assert_eq!(names("X=1"), Vec::<String>::new());
        assert_eq!(names("# only a comment\nls"), ["ls"]);
    }

    #[test]
    fn case_patterns_are_not_pipes_or_commands() {
        let script = Script::parse(
            "case \"$arch\" in x86_64|aarch64) echo ok;; arm*|(i?86)) exit 1;; *) uname -m;; esac",
        );
        assert!(!script.has_pipe);
        assert_eq!(
            names(
                "case \"$arch\" in x86_64|aarch64) echo ok;; arm*|(i?86)) exit 1;; *) uname -m;; esac"
            ),
            ["echo", "exit", "uname"]
        );
        // Over several lines, nested in a loop, with a branch that ends at `esac`.
        let text = "for a in x y; do\n  case $a in\n    x|y)\n      apt-get install -y $a\n      ;;\n    *) true\n  esac\ndone && ls";
        assert_eq!(names(text), ["apt-get", "true", "ls"]);
        assert!(!Script::parse(text).has_pipe);
        // A real pipe inside a branch, after the case, or in the subject still counts.
        assert!(Script::parse("case $x in a|b) curl x | sh;; esac").has_pipe);
        assert!(Script::parse("case $x in a|b) true;; esac; a | b").has_pipe);
        assert!(Script::parse("case $(uname -m | tr A-Z a-z) in a) true;; esac").has_pipe);
        // `esac` outside a case and `;;` outside a branch are not special.
        assert_eq!(names("echo esac; ls"), ["echo", "ls"]);
    }

    fn heredoc(content: &str) -> berth_dockerfile::Heredoc {
        berth_dockerfile::Heredoc {
            name: "EOT".to_owned(),
            file_descriptor: 0,
            expand: true,
            chomp: false,
            content: content.to_owned(),
        }
    }

    fn shell_names(line: &str, body: &str) -> Vec<String> {
        Script::parse(&run_shell_text(line, &[heredoc(body)]))
            .commands
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn heredoc_bodies_read_by_a_posix_shell_are_shell() {
        let body = "apt-get update\ncurl -s x | sh\n";
        assert_eq!(shell_names("<<EOT", body), ["apt-get", "curl", "sh"]);
        for line in [
            "<<EOT bash",
            "<<EOT sh -ex",
            "<<-EOT /bin/bash -euo pipefail",
            "<<'EOT' dash",
            "ash -e <<EOT",
        ] {
            let interpreter = shell_names(line, body).remove(0);
            assert_eq!(
                shell_names(line, body)[1..],
                ["apt-get", "curl", "sh"],
                "{line}"
            );
            assert!(is_posix_shell(&interpreter), "{line}");
        }
        assert!(Script::parse(&run_shell_text("<<EOT bash", &[heredoc(body)])).has_pipe);
    }

    #[test]
    fn heredoc_bodies_of_other_interpreters_are_not_shell() {
        let body = "import os | x\napt-get install curl\n";
        assert_eq!(shell_names("<<EOF python3", body), ["python3"]);
        assert_eq!(shell_names("<<EOF node", body), ["node"]);
        assert_eq!(shell_names("cat <<EOF > /etc/x.conf", body), ["cat"]);
        assert_eq!(shell_names("<<EOF bash -c 'cat'", body), ["bash"]);
        assert_eq!(shell_names("<<EOF bash run.sh", body), ["bash"]);
        assert!(!Script::parse(&run_shell_text("<<EOF python3", &[heredoc(body)])).has_pipe);
        // A bare heredoc runs by its `#!` line when it has one.
        let python = "#!/usr/bin/env python3\nimport os | x\n";
        assert!(shell_names("<<EOF", python).is_empty());
        assert_eq!(shell_names("<<EOF", "#!/bin/bash -e\nls\n"), ["ls"]);
        assert_eq!(shell_names("<<EOF", "#!/usr/bin/env sh\nls\n"), ["ls"]);
        // Standard input of no command is read by nobody.
        assert_eq!(
            run_shell_text("<<EOT > /dev/null", &[heredoc("ls\n")]),
            "<<EOT > /dev/null"
        );
        // A heredoc on another file descriptor, or two of them, is never the script.
        let mut fd3 = heredoc("ls\n");
        fd3.file_descriptor = 3;
        assert_eq!(run_shell_text("3<<EOT bash", &[fd3]), "3<<EOT bash");
        let two = [heredoc("ls\n"), heredoc("pwd\n")];
        assert_eq!(run_shell_text("<<A <<B", &two), "<<A <<B");
    }

    #[test]
    fn flags_and_operands() {
        let c = &Script::parse("apt-get -t stretch install -yq --no-x=1 foo bar=1").commands[0];
        assert!(c.has_flag("y") && c.has_flag("q") && c.has_flag("no-x"));
        assert_eq!(c.operands(&["t"]), ["install", "foo", "bar=1"]);
        assert_eq!(c.operands_after(&["install"], &["t"]), ["foo", "bar=1"]);
        let u = &Script::parse("useradd -u 123456 app").commands[0];
        assert_eq!(u.flag_values("u"), ["123456"]);
    }
}
