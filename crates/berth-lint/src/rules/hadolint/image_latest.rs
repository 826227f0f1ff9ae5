//! `DL3007` (image-latest): do not use the `latest` tag; pin a release tag.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3007",
    "image-latest",
    Severity::Warning,
    "do not use the `latest` tag; pin a release tag",
    docs!(
        what: "Flags `FROM image:latest` without a digest.",
        why: "`latest` moves with every release of the image: builds are not reproducible and breaking changes arrive silently.",
        bad: "FROM node:latest",
        good: "FROM node:22.9-slim",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let Some((image, _)) = from_parts(step.ins) else {
        return false;
    };
    let r = ImageRef::parse(image);
    r.digest.is_none() && r.tag == Some("latest")
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3007", "FROM a:latest\n", &[1]);
        assert_lines("DL3007", "FROM a:latest@sha256:0\nFROM a:1\n", &[]);
    }
}
