//! `CopyIgnoredFile` (copy-ignored-file): `COPY`/`ADD` source is excluded by `.dockerignore`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "CopyIgnoredFile",
    "copy-ignored-file",
    Severity::Warning,
    "`COPY`/`ADD` source is excluded by `.dockerignore`",
    docs!(
        what: "Flags `COPY` and `ADD` sources from the build context that a pattern of the `.dockerignore` next to the Dockerfile excludes (skipped when the file has `!` exceptions, as BuildKit does).",
        why: "The file is not sent to the builder: the instruction fails, or copies less than it says.",
        bad: "# .dockerignore: *.md\n\
    FROM alpine:3.20\n\
    COPY README.md /docs/",
        good: "# .dockerignore: *.md\n\
    #               !README.md\n\
    FROM alpine:3.20\n\
    COPY README.md /docs/",
    ),
);

struct CopyIgnoredFile {
    patterns: Vec<Vec<String>>,
}

/// One path segment against one pattern segment (`*`, `?`).
fn segment_matches(pattern: &[char], text: &[char]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            segment_matches(&pattern[1..], text)
                || (!text.is_empty() && segment_matches(pattern, &text[1..]))
        }
        (Some('?'), Some(_)) => segment_matches(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => segment_matches(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// Whole path (segments) against a pattern (segments, `**` any number of them); a pattern
/// that matches a parent directory matches everything below it.
fn path_matches(pattern: &[String], path: &[&str]) -> bool {
    match pattern.first() {
        None => true,
        Some(p) if p == "**" => (0..=path.len()).any(|i| path_matches(&pattern[1..], &path[i..])),
        Some(p) => match path.first() {
            Some(first) => {
                let pc: Vec<char> = p.chars().collect();
                let tc: Vec<char> = first.chars().collect();
                segment_matches(&pc, &tc) && path_matches(&pattern[1..], &path[1..])
            }
            None => false,
        },
    }
}

fn clean(path: &str) -> String {
    let path = drop_quotes(path)
        .trim_start_matches("./")
        .trim_start_matches('/');
    path.trim_end_matches('/').to_owned()
}

impl Rule for CopyIgnoredFile {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if self.patterns.is_empty() {
            return;
        }
        let (InstructionKind::Copy(spec) | InstructionKind::Add(spec)) = &step.ins.kind else {
            return;
        };
        if spec.from.is_some() {
            return;
        }
        for source in &spec.sources {
            if is_url(&source.value)
                || source.value.contains('$')
                || source.value.starts_with("git@")
            {
                continue;
            }
            let path = clean(&source.value);
            if path.is_empty() || path == "." {
                continue;
            }
            let segments: Vec<&str> = path.split('/').collect();
            if self.patterns.iter().any(|p| path_matches(p, &segments)) {
                let keyword = &step.ins.keyword;
                cx.report(
                    step,
                    format!(
                        "attempting to {keyword} file `{path}` that is excluded by .dockerignore"
                    ),
                );
            }
        }
    }
}

pub(crate) fn new(settings: &RuleSettings) -> Box<dyn Rule> {
    let text = settings.dockerignore.as_deref().unwrap_or("");
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let patterns = if lines.iter().any(|l| l.starts_with('!')) {
        Vec::new()
    } else {
        lines
            .iter()
            .map(|l| clean(l).split('/').map(str::to_owned).collect())
            .collect()
    };
    Box::new(CopyIgnoredFile { patterns })
}

#[cfg(test)]
mod matching {
    use crate::config::LintConfig;
    use crate::testing::lines_with;

    #[test]
    fn dockerignore_patterns() {
        let mut config = LintConfig::default();
        config.settings.dockerignore = Some("*.md\nnode_modules\n**/*.log\n".to_owned());
        let src = "FROM a:1\nCOPY README.md /d/\nCOPY node_modules/x /d/\nCOPY a/b/c.log /d/\nCOPY src /d/\nCOPY . /d/\n";
        assert_eq!(
            lines_with("CopyIgnoredFile", src, config.clone()),
            [2, 3, 4]
        );
        config.settings.dockerignore = Some("*.md\n!README.md\n".to_owned());
        assert!(lines_with("CopyIgnoredFile", src, config).is_empty());
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("CopyIgnoredFile", "FROM a:1\nCOPY x /y\n", &[]);
    }
}
