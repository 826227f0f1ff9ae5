//! A small shell reader for RUN commands: splits a script into simple commands (on `&&`, `||`,
//! `;`, `|`, `&`, newlines) made of words with quotes removed. Enough to ask "is there a
//! `pip install` here, with which options", not a full POSIX shell parser.

/// Split `script` into simple commands, each a list of words.
pub(crate) fn simple_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let finish_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                word.push(n);
                            }
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                if let Some(n) = chars.next()
                    && n != '\n'
                {
                    in_word = true;
                    word.push(n);
                }
            }
            '&' | '|' | ';' | '\n' | '(' | ')' => {
                finish_word(&mut word, &mut in_word, &mut words);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        break;
                    }
                }
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => finish_word(&mut word, &mut in_word, &mut words),
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish_word(&mut word, &mut in_word, &mut words);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// The command name without a leading path (`/usr/bin/pip3` → `pip3`), skipping `sudo`, `env`
/// and leading `VAR=value` assignments. Returns the index of the command word.
pub(crate) fn command_start(words: &[String]) -> Option<usize> {
    let is_prefix = |w: &str| {
        let assignment = w.contains('=') && !w.starts_with('-');
        assignment || matches!(w, "sudo" | "env" | "exec")
    };
    words.iter().position(|w| !is_prefix(w))
}

/// Base name of a command word.
pub(crate) fn base_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_operators_and_removes_quotes() {
        let commands = simple_commands(
            "apt-get update && apt-get install -y 'a b' \\\n c; pip install \"x\"|tee",
        );
        assert_eq!(commands.len(), 4);
        assert_eq!(commands[1], ["apt-get", "install", "-y", "a b", "c"]);
        assert_eq!(commands[2], ["pip", "install", "x"]);
    }
}
