//! `InvalidDefaultArgInFrom` (invalid-default-arg-in-from): default values of global ARGs make an invalid `FROM` image.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "InvalidDefaultArgInFrom",
    "invalid-default-arg-in-from",
    Severity::Warning,
    "default values of global ARGs make an invalid `FROM` image",
    docs!(
        what: "Flags `FROM` whose image, expanded with the global ARGs' default values (an undeclared or valueless ARG is empty), is empty or not a valid image reference: `alpine:$V` with `ARG V` and no default, or a digest that is not a whole one.",
        why: "The build fails unless every build passes the right `--build-arg`; a default that works keeps the Dockerfile buildable as is.",
        bad: "ARG TAG\n\
    FROM alpine:${TAG}",
        good: "ARG TAG=3.20\n\
    FROM alpine:${TAG}",
    ),
);

use std::collections::HashMap;

#[derive(Default)]
struct InvalidDefaultArgInFrom {
    /// Global ARGs and their expanded default values (empty when none).
    globals: HashMap<String, String>,
}

fn valid_reference(image: &str) -> bool {
    if image.is_empty() || image.ends_with(':') || image.ends_with('@') || image.starts_with(':') {
        return false;
    }
    let r = ImageRef::parse(image);
    let name_ok = !r.name.is_empty()
        && r.name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    let tag_ok = r.tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    });
    let digest_ok = r.digest.is_none_or(valid_digest);
    name_ok && tag_ok && digest_ok
}

/// `algorithm:hex`, as image references take it: a `sha256` digest has exactly 64 lower-case hex
/// digits, another algorithm at least 32.
fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let hex_ok = hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let length_ok = if algorithm == "sha256" {
        hex.len() == 64
    } else {
        hex.len() >= 32
    };
    let algorithm_ok = algorithm
        .split(['+', '.', '_', '-'])
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    hex_ok && length_ok && algorithm_ok
}

impl Rule for InvalidDefaultArgInFrom {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::Arg { args } if step.stage.is_none() => {
                let options = berth_dockerfile::shell::LexOptions::new(cx.file.escape());
                for a in args {
                    // A default is expanded where it is declared, with the global ARGs before
                    // it (`ARG IMAGE=cuda:${CUDA}`), as BuildKit does.
                    let value = a.default.as_deref().map_or_else(String::new, |d| {
                        berth_dockerfile::shell::expand(d, &self.globals, options)
                            .map_or_else(|_| drop_quotes(d).to_owned(), |e| e.word)
                    });
                    self.globals.insert(a.name.clone(), value);
                }
            }
            InstructionKind::From { image, .. } => {
                // Every FROM is checked, as BuildKit does: one with no variable too (a digest
                // too short), and an undeclared variable is empty (`alpine:${V}` is `alpine:`).
                let options = berth_dockerfile::shell::LexOptions::new(cx.file.escape());
                let Ok(expanded) =
                    berth_dockerfile::shell::expand(&image.value, &self.globals, options)
                else {
                    return;
                };
                if expanded.word != "scratch" && !valid_reference(&expanded.word) {
                    cx.report(
                        step,
                        format!(
                            "default value for global ARG gives an invalid base image `{}`",
                            expanded.word
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<InvalidDefaultArgInFrom>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("InvalidDefaultArgInFrom", "ARG V\nFROM alpine:${V}\n", &[2]);
        // Undeclared is empty too; a digest must be a whole one, variable or not.
        assert_lines(
            "InvalidDefaultArgInFrom",
            "FROM alpine:${V}\nFROM a@sha256:00\nFROM scratch\n",
            &[1, 2],
        );
        assert_lines(
            "InvalidDefaultArgInFrom",
            "ARG V=3\nFROM alpine:${V}\nFROM b:1\n",
            &[],
        );
        // A default that names an earlier global ARG is expanded with its value.
        assert_lines(
            "InvalidDefaultArgInFrom",
            "ARG V=3\nARG IMAGE=\"alpine:${V}\"\nFROM ${IMAGE}\n",
            &[],
        );
    }
}
