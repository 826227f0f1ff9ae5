//! `DL3048` (label-key-invalid): invalid label key.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3048",
    "label-key-invalid",
    Severity::Style,
    "invalid label key",
    docs!(
        what: "Flags label keys that do not follow Docker's label-key rules: lower-case letters, digits, `.`, `-`, `_` and `/`; starting with a letter and ending with a letter or digit; no `..` or `--`; not in the reserved `com.docker.`, `io.docker.` and `org.dockerproject.` namespaces.",
        why: "Tools that read labels (registries, scanners, orchestrators) expect reverse-DNS keys; odd keys are ignored or rejected.",
        bad: "FROM alpine:3.20\n\
    LABEL Maintainer=\"jane\"",
        good: "FROM alpine:3.20\n\
    LABEL org.opencontainers.image.authors=\"jane\"",
    ),
);

fn invalid(key: &str) -> bool {
    let first_ok = key.starts_with(|c: char| c.is_ascii_lowercase());
    let last_ok = key.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    let chars_ok = key.chars().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_' | '/')
    });
    let reserved = ["com.docker.", "io.docker.", "org.dockerproject."]
        .iter()
        .any(|p| key.starts_with(p));
    !first_ok || !last_ok || !chars_ok || reserved || key.contains("..") || key.contains("--")
}

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Label { pairs } = &step.ins.kind else {
        return false;
    };
    pairs.iter().any(|p| invalid(drop_quotes(&p.key.value)))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3048", "FROM a:1\nLABEL Foo=bar\n", &[2]);
        assert_lines(
            "DL3048",
            "FROM a:1\nLABEL org.example.version=1 maintainer=x\n",
            &[],
        );
    }
}
