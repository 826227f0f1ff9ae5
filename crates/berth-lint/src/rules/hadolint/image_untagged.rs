//! `DL3006` (image-untagged): always tag the version of an image explicitly.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3006",
    "image-untagged",
    Severity::Warning,
    "always tag the version of an image explicitly",
    docs!(
        what: "Flags `FROM` of an image without a tag or digest (`scratch`, variables and earlier stage names are fine).",
        why: "An untagged image means `latest`, which moves: the build changes under you without any change to the Dockerfile.",
        bad: "FROM debian",
        good: "FROM debian:12.7-slim",
    ),
);

#[derive(Default)]
struct ImageUntagged {
    aliases: std::collections::BTreeSet<String>,
}

impl Rule for ImageUntagged {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let Some((image, name)) = from_parts(step.ins) else {
            return;
        };
        let r = ImageRef::parse(image);
        if image != "scratch"
            && r.digest.is_none()
            && r.tag.is_none()
            && !image.starts_with('$')
            && !self.aliases.contains(image)
        {
            cx.flag(step);
        }
        if let Some(name) = name {
            self.aliases.insert(name.to_owned());
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<ImageUntagged>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3006", "FROM debian\n", &[1]);
        assert_lines(
            "DL3006",
            "FROM debian:12 AS b\nFROM b\nFROM scratch\nFROM $X\nFROM a@sha256:00\n",
            &[],
        );
    }
}
