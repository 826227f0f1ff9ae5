//! Heredoc detection on an instruction line (`heredocsFromLine`, `ParseHeredoc`): which words
//! start a here-document, its name, file descriptor, `<<-` chomping and whether quotes turn
//! expansion off. Bodies are read by the parser.

use crate::ast::Heredoc;
use crate::shell::{LexOptions, NoEnv, expand};

/// Find the heredocs a RUN/COPY/ADD line starts, in order.
///
/// # Errors
/// BuildKit's lexer errors on the delimiter word.
pub(crate) fn heredocs_in_line(line: &str) -> Result<Vec<Heredoc>, String> {
    let options = LexOptions {
        escape: '\\',
        raw_quotes: true,
        raw_escapes: true,
        skip_unset_env: true,
    };
    // BuildKit ignores lexer errors here: an unbalanced quote just means "no heredocs".
    let words = expand(line, &NoEnv, options)
        .map(|e| e.words)
        .unwrap_or_default();
    let mut found = Vec::new();
    for word in words {
        if let Some(heredoc) = parse_heredoc(&word)? {
            found.push(heredoc);
        }
    }
    Ok(found)
}

/// Go regexp `^(\d*)<<(-?)\s*([^<]*)$` then the delimiter checks of `heredocFromMatch`.
///
/// # Errors
/// Lexer errors on the delimiter word.
pub(crate) fn parse_heredoc(word: &str) -> Result<Option<Heredoc>, String> {
    let digits_len = word.bytes().take_while(u8::is_ascii_digit).count();
    let Some(after) = word[digits_len..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, after) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let rest = after.trim_start_matches(['\t', '\n', '\u{c}', '\r', ' ']);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = word[..digits_len].parse::<u32>().unwrap_or(0);
    let plain = LexOptions {
        escape: '\\',
        raw_quotes: false,
        raw_escapes: false,
        skip_unset_env: true,
    };
    let words = expand(rest, &NoEnv, plain)?.words;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    let raw = expand(
        rest,
        &NoEnv,
        LexOptions {
            raw_quotes: true,
            ..plain
        },
    )?
    .words;
    let quotes = |s: &str| s.chars().filter(|c| *c == '\'' || *c == '"').count();
    let expand_body = raw.first().is_some_and(|r| quotes(r) == quotes(name));
    Ok(Some(Heredoc {
        name: name.clone(),
        file_descriptor: fd,
        expand: expand_body,
        chomp,
        content: String::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<(String, u32, bool, bool)> {
        heredocs_in_line(line)
            .unwrap()
            .into_iter()
            .map(|h| (h.name, h.file_descriptor, h.expand, h.chomp))
            .collect()
    }

    #[test]
    fn detects_names_fds_and_quoting() {
        assert_eq!(names("RUN cat <<EOF"), [("EOF".into(), 0, true, false)]);
        assert_eq!(names("RUN cat << EOF"), [("EOF".into(), 0, true, false)]);
        assert!(names("RUN cat <<- EOF").is_empty());
        assert_eq!(
            names("RUN 3<<'EOF' 4<<-\"EOT\""),
            [
                ("EOF".into(), 3, false, false),
                ("EOT".into(), 4, false, true)
            ]
        );
        assert_eq!(names("RUN cat <<\\EOF"), [("EOF".into(), 0, true, false)]);
        assert_eq!(
            names("RUN cat <<EOF>file"),
            [("EOF>file".into(), 0, true, false)]
        );
        assert!(names("RUN echo a<<EOF").is_empty());
        assert!(names("RUN echo <<< x").is_empty());
        assert!(names("RUN cat <<\"EOF").is_empty());
    }
}
