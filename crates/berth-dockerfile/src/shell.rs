//! BuildKit's word processor (`shell/lex.go`): quote removal, escapes and variable expansion
//! (`$v`, `${v}`, `${v:-w}`, `${v:+w}`, `${v:?m}`, `${v#p}`, `${v%p}`, `${v/p/r}`), and the
//! splitting of a line into words used by heredoc detection.
//!
//! It works on characters with an explicit cursor. Nested substitutions recurse, so the depth is
//! capped ([`MAX_NESTING`]) to keep hostile input from exhausting the stack; BuildKit (Go, with
//! growable stacks) has no such cap.

use std::collections::{BTreeSet, HashMap};

/// Deepest `${...${...}}` nesting accepted before giving up with an error.
pub const MAX_NESTING: usize = 200;

/// Variables visible to an expansion.
pub trait Env {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Env for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

/// No variables at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEnv;

impl Env for NoEnv {
    fn get(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// Options of one lexer run, named after BuildKit's `Lex` fields.
#[derive(Debug, Clone, Copy)]
pub struct LexOptions {
    /// The escape character: `\` or the `# escape=` directive's value.
    pub escape: char,
    /// Keep quote characters in the result.
    pub raw_quotes: bool,
    /// Keep escape characters in the result.
    pub raw_escapes: bool,
    /// Leave unset variables as written (`$x`, `${x:-y}`) instead of expanding them to "".
    pub skip_unset_env: bool,
}

impl LexOptions {
    /// Plain expansion with escape character `escape`.
    #[must_use]
    pub const fn new(escape: char) -> Self {
        Self {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset_env: false,
        }
    }
}

/// What one expansion produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The word with quotes removed, escapes applied and variables replaced.
    pub word: String,
    /// The same text split into words on unquoted whitespace.
    pub words: Vec<String>,
    /// Variables that were referenced but not set.
    pub unmatched: BTreeSet<String>,
}

/// `word` uses variable `name` as `$name` or `${name}`, with no default or alternative
/// (`$V` in `httpd-$V.x86_64`, not in `httpd-$VERSION` nor in `${V:-1}`). A textual test on
/// the unexpanded word: it does not follow quotes or escapes.
#[must_use]
pub fn uses_variable_plainly(word: &str, name: &str) -> bool {
    word.contains(&format!("${{{name}}}"))
        || word.match_indices(&format!("${name}")).any(|(at, found)| {
            !word[at + found.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Expand one word (ENV values, COPY paths, USER...). Errors carry BuildKit's message.
///
/// # Errors
/// Unbalanced quotes, bad substitutions, `${v:?msg}` on an unset variable.
pub fn expand(word: &str, env: &dyn Env, options: LexOptions) -> Result<Expansion, String> {
    let mut lexer = Lexer {
        chars: word.chars().collect(),
        pos: 0,
        env,
        options,
        raw_escapes: options.raw_escapes,
        depth: 0,
        unmatched: BTreeSet::new(),
    };
    match lexer.process_stop_on(None, options.raw_escapes) {
        Ok((result, words)) => Ok(Expansion {
            word: result,
            words,
            unmatched: lexer.unmatched,
        }),
        Err(message) => Err(format!(
            "failed to process \"{}\": {message}",
            go_escape(word)
        )),
    }
}

/// Go's `%q` body for error messages (quotes and backslashes escaped).
fn go_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

struct Lexer<'e> {
    chars: Vec<char>,
    pos: usize,
    env: &'e dyn Env,
    options: LexOptions,
    raw_escapes: bool,
    depth: usize,
    unmatched: BTreeSet<String>,
}

/// Word accumulator (`wordsStruct`).
#[derive(Default)]
struct Words {
    buf: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, c: char) {
        if c.is_whitespace() {
            if self.in_word && !self.buf.is_empty() {
                self.words.push(std::mem::take(&mut self.buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(c);
        }
    }
    fn add_raw_char(&mut self, c: char) {
        self.buf.push(c);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        for c in s.chars() {
            self.add_char(c);
        }
    }
    fn add_raw_string(&mut self, s: &str) {
        self.buf.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.buf.is_empty() {
            self.words.push(std::mem::take(&mut self.buf));
        }
        self.words
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err("substitutions nested too deeply".to_owned());
        }
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let outcome = self.process_stop_on_inner(stop);
        self.raw_escapes = saved;
        self.depth -= 1;
        outcome
    }

    fn process_stop_on_inner(
        &mut self,
        stop: Option<char>,
    ) -> Result<(String, Vec<String>), String> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(c) = self.peek() {
            if stop == Some(c) {
                self.next();
                return Ok((result, words.finish()));
            }
            match c {
                '$' => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                    words.add_string(&value);
                }
                '<' => {
                    let value = self.process_possible_heredoc();
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                '\'' => {
                    let value = self.process_single_quote()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                '"' => {
                    let value = self.process_double_quote()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                _ => {
                    self.next();
                    if c == self.options.escape {
                        if self.raw_escapes {
                            words.add_raw_char(c);
                            result.push(c);
                        }
                        let Some(escaped) = self.next() else { break };
                        words.add_raw_char(escaped);
                        result.push(escaped);
                    } else {
                        words.add_char(c);
                        result.push(c);
                    }
                }
            }
        }
        if let Some(stop) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish()))
    }

    fn process_single_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        let open = self.next();
        if self.options.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .to_owned(),
                    );
                }
                Some('\'') => {
                    if self.options.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        let open = self.next();
        if self.options.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .to_owned(),
                    );
                }
                Some('"') => {
                    self.next();
                    if self.options.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                }
                Some(_) => {
                    let Some(mut c) = self.next() else { continue };
                    if c == self.options.escape {
                        if self.raw_escapes {
                            result.push(c);
                        }
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.options.escape => {
                                self.next();
                                c = n;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(c);
                }
            }
        }
    }

    fn lookup(&mut self, name: &str) -> Option<String> {
        let value = self.env.get(name).map(str::to_owned);
        if value.is_none() {
            self.unmatched.insert(name.to_owned());
        }
        value
    }

    #[allow(clippy::too_many_lines)] // one match over BuildKit's modifiers reads best in one place
    fn process_dollar(&mut self) -> Result<String, String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".to_owned());
            }
            return Ok(match self.lookup(&name) {
                Some(value) => value,
                None if self.options.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".to_owned()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".to_owned()),
            Some(_) => {}
        }
        let name = self.process_name();
        let Some(first) = self.next() else {
            // Go turns the scanner's EOF into U+FFFD here.
            return Err("unsupported modifier (\u{fffd}) in substitution".to_owned());
        };
        let mut modifier = first.to_string();
        match first {
            '}' => Ok(match self.lookup(&name) {
                Some(value) => value,
                None if self.options.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = first == ':';
                let op = if null_is_unset {
                    let Some(op) = self.next() else {
                        return Err("syntax error: missing '}'".to_owned());
                    };
                    modifier.push(op);
                    op
                } else {
                    first
                };
                let trims = op == '#' || op == '%';
                if null_is_unset && trims {
                    return Err(format!("unsupported modifier ({modifier}) in substitution"));
                }
                if !matches!(op, '+' | '-' | '?' | '#' | '%') {
                    // BuildKit still reads the word before rejecting the modifier.
                    let _ = self.process_stop_on(Some('}'), false);
                    return Err(format!("unsupported modifier ({modifier}) in substitution"));
                }
                let word = match self.process_stop_on(Some('}'), trims) {
                    Ok((word, _)) => word,
                    Err(message) => {
                        if self.peek().is_none() {
                            return Err("syntax error: missing '}'".to_owned());
                        }
                        return Err(message);
                    }
                };
                let value = self.lookup(&name);
                if self.options.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{modifier}{word}}}"));
                }
                let empty_counts_as_unset =
                    |v: &Option<String>| v.is_none() || (null_is_unset && v.as_deref() == Some(""));
                match op {
                    '-' => Ok(if empty_counts_as_unset(&value) {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    '+' => Ok(if empty_counts_as_unset(&value) {
                        String::new()
                    } else {
                        word
                    }),
                    '?' => match value {
                        None => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be unset"
                            } else {
                                &word
                            }
                        )),
                        Some(v) if null_is_unset && v.is_empty() => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be empty"
                            } else {
                                &word
                            }
                        )),
                        Some(v) => Ok(v),
                    },
                    _ => {
                        let value = value.unwrap_or_default();
                        let (pattern, greedy) = match word.strip_prefix(op) {
                            Some(rest) => (rest.to_owned(), true),
                            None => (word, false),
                        };
                        if op == '%' {
                            trim_suffix(&pattern, &value, greedy)
                        } else {
                            trim_prefix(&pattern, &value, greedy)
                        }
                    }
                }
            }
            '/' => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.next();
                }
                let pattern = match self.process_stop_on(Some('/'), true) {
                    Ok((p, _)) => p,
                    Err(message) => {
                        if self.peek().is_none() {
                            return Err("syntax error: missing '/' in ${}".to_owned());
                        }
                        return Err(message);
                    }
                };
                let replacement = match self.process_stop_on(Some('}'), true) {
                    Ok((r, _)) => r,
                    Err(message) => {
                        if self.peek().is_none() {
                            return Err("syntax error: missing '}'".to_owned());
                        }
                        return Err(message);
                    }
                };
                let value = self.lookup(&name);
                let Some(value) = value else {
                    if self.options.skip_unset_env {
                        return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                    }
                    return Ok(String::new());
                };
                let re = shell_pattern_to_regex(&pattern, true, false)
                    .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
                if replace_all {
                    Ok(re.replace_all(&value, replacement.as_str()).into_owned())
                } else if let Some(m) = re.find(&value) {
                    Ok(format!(
                        "{}{replacement}{}",
                        &value[..m.start()],
                        &value[m.end()..]
                    ))
                } else {
                    Ok(value)
                }
            }
            _ => Err(format!("unsupported modifier ({modifier}) in substitution")),
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if name.is_empty() && is_go_digit(c) {
                while let Some(d) = self.peek().filter(|d| is_go_digit(*d)) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return c.to_string();
            }
            if !c.is_alphabetic() && !is_go_digit(c) && c != '_' {
                break;
            }
            self.next();
            name.push(c);
        }
        name
    }

    fn process_possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".to_owned();
        }
        self.next();
        let mut result = "<<".to_owned();
        while let Some(c) = self.peek().filter(|c| matches!(c, '\t' | '\r' | ' ')) {
            result.push(c);
            self.next();
        }
        result
    }
}

/// Go's `unicode.IsDigit` (decimal digits); approximated outside ASCII by `char::is_numeric`.
fn is_go_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// Turn a shell glob (`*`, `?`, `\*`) into a regex the way BuildKit does.
fn shell_pattern_to_regex(
    pattern: &str,
    greedy: bool,
    anchored: bool,
) -> Result<regex::Regex, String> {
    let mut out = String::with_capacity(pattern.len() + 4);
    if anchored {
        out.push('^');
    }
    let star = if greedy { ".*" } else { ".*?" };
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(star),
            '?' => out.push('.'),
            '\\' => {
                if matches!(chars.peek(), Some('}' | '/')) {
                    continue;
                }
                match chars.next() {
                    Some(n @ ('*' | '?' | '\\')) => {
                        out.push('\\');
                        out.push(n);
                    }
                    Some(n) => return Err(format!("invalid escape '\\{n}'")),
                    None => return Err("invalid escape '\\'".to_owned()),
                }
            }
            _ => {
                let mut buf = [0u8; 4];
                out.push_str(&regex::escape(c.encode_utf8(&mut buf)));
            }
        }
    }
    regex::Regex::new(&out).map_err(|e| e.to_string())
}

fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let re = shell_pattern_to_regex(pattern, greedy, true)
        .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
    Ok(match re.find(value) {
        Some(m) => value[m.end()..].to_owned(),
        None => value.to_owned(),
    })
}

fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let reversed_pattern = reverse_pattern(pattern);
    let reversed_value: String = value.chars().rev().collect();
    let trimmed = trim_prefix(&reversed_pattern, &reversed_value, greedy)?;
    Ok(trimmed.chars().rev().collect())
}

/// Reverse a glob, keeping `\x` escape pairs in order.
fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            out.push('\\');
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out.reverse();
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> HashMap<String, String> {
        [("v", "value"), ("empty", ""), ("path", "/usr/local/bin")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn word(input: &str) -> String {
        expand(input, &env(), LexOptions::new('\\')).unwrap().word
    }

    #[test]
    fn plain_uses_of_a_variable() {
        assert!(uses_variable_plainly("httpd-$V", "V"));
        assert!(uses_variable_plainly("httpd-$V.x86_64", "V"));
        assert!(uses_variable_plainly("httpd-${V}", "V"));
        assert!(uses_variable_plainly("$VERSION-$V", "V"));
        assert!(!uses_variable_plainly("httpd-$VERSION", "V"));
        assert!(!uses_variable_plainly("${V:-1}", "V"));
        assert!(!uses_variable_plainly("httpd", "V"));
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(word("$v-${v}"), "value-value");
        assert_eq!(word("a$"), "a$");
        assert_eq!(word("$unset."), ".");
    }

    #[test]
    fn default_and_alternative_modifiers() {
        assert_eq!(word("${empty:-x}"), "x");
        assert_eq!(word("${empty-x}"), "");
        assert_eq!(word("${unset-x}"), "x");
        assert_eq!(word("${v:+x}"), "x");
        assert_eq!(word("${empty:+x}"), "");
        assert_eq!(word("${empty+x}"), "x");
        assert_eq!(word("${unset:-$v}"), "value");
    }

    #[test]
    fn escapes_and_quotes() {
        assert_eq!(word(r"\$v"), "$v");
        assert_eq!(word(r"a\ b"), "a b");
        assert_eq!(word("'$v'"), "$v");
        assert_eq!(word(r#""a\"$v\x""#), r#"a"value\x"#);
    }

    #[test]
    fn string_operations() {
        assert_eq!(word("${path#*/}"), "usr/local/bin");
        assert_eq!(word("${path##*/}"), "bin");
        assert_eq!(word("${path%/*}"), "/usr/local");
        assert_eq!(word("${path%%/l*}"), "/usr");
        assert_eq!(word("${path/local/opt}"), "/usr/opt/bin");
        assert_eq!(word("${path//\\//:}"), ":usr:local:bin");
    }

    #[test]
    fn errors_carry_buildkit_messages() {
        let err = |s: &str| expand(s, &env(), LexOptions::new('\\')).unwrap_err();
        assert_eq!(
            err("${unset:?must}"),
            "failed to process \"${unset:?must}\": unset: must"
        );
        assert!(err("${}").ends_with("syntax error: bad substitution"));
        assert!(err("${v:-x").ends_with("syntax error: missing '}'"));
        assert!(err("${v").ends_with("unsupported modifier (\u{fffd}) in substitution"));
        assert!(err("${v^^}").ends_with("unsupported modifier (^) in substitution"));
        assert!(err("${v:#x}").ends_with("unsupported modifier (:#) in substitution"));
        assert!(err("'abc").contains("single-quote"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let input = "${a:-".repeat(5000) + &"}".repeat(5000);
        assert!(expand(&input, &NoEnv, LexOptions::new('\\')).is_err());
    }
}
