//! `InvalidDefaultArgInFrom` (invalid-default-arg-in-from): default values of global ARGs make an invalid `FROM` image.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "InvalidDefaultArgInFrom",
    name: "invalid-default-arg-in-from",
    origin: Origin::Docker,
    severity: Severity::Warning,
    summary: "default values of global ARGs make an invalid `FROM` image",
    docs: docs!(
        what: "Flags `FROM` whose image, expanded with the global ARGs' default values, is empty or not a valid image reference (`alpine:$V` with `ARG V` and no default).",
        why: "The build fails unless every build passes the right `--build-arg`; a default that works keeps the Dockerfile buildable as is.",
        bad: "ARG TAG\n\
    FROM alpine:${TAG}",
        good: "ARG TAG=3.20\n\
    FROM alpine:${TAG}",
    ),
    default_enabled: true,
    onbuild: false,
    twin: None,
};

use super::undefined_arg_in_from::variables;
use std::collections::BTreeMap;

#[derive(Default)]
struct InvalidDefaultArgInFrom {
    globals: BTreeMap<String, String>,
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
    name_ok && tag_ok
}

impl Rule for InvalidDefaultArgInFrom {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::Arg { args } if step.stage.is_none() => {
                for a in args {
                    self.globals
                        .insert(a.name.clone(), a.default.clone().unwrap_or_default());
                }
            }
            InstructionKind::From { image, .. } => {
                let vars = variables(&image.value);
                if vars.is_empty() || vars.iter().any(|v| !self.globals.contains_key(v)) {
                    return;
                }
                let env: std::collections::HashMap<String, String> = self
                    .globals
                    .iter()
                    .map(|(k, v)| (k.clone(), drop_quotes(v).to_owned()))
                    .collect();
                let options = berth_dockerfile::shell::LexOptions::new(cx.file.escape());
                let Ok(expanded) = berth_dockerfile::shell::expand(&image.value, &env, options)
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
        assert_lines(
            "InvalidDefaultArgInFrom",
            "ARG V=3\nFROM alpine:${V}\nFROM b:1\n",
            &[],
        );
    }
}
