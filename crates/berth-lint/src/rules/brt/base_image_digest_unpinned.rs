//! `BRT009` (base-image-digest-unpinned): base image is not pinned to the digest recorded in the digests file.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT009",
    "base-image-digest-unpinned",
    Severity::Warning,
    "base image is not pinned to the digest recorded in the digests file",
    docs!(
        what: "With a digests file configured (`berth.toml`: `[lint] digests-file = \"container/digests.env\"`, lines `NAME=image:tag@sha256:...`), flags `FROM image:tag` without `@sha256:` when the file records a digest for that image, and `FROM image:tag@digest` when the digest differs from the recorded one. Does nothing without a digests file.",
        why: "A tag can be moved to another image at any time; the digest is what was reviewed and tested.",
        bad: "# container/digests.env: DEBIAN=debian:12-slim@sha256:1111...\n\
    FROM debian:12-slim",
        good: "FROM debian:12-slim@sha256:1111...",
    ),
);

struct BaseImageDigestUnpinned {
    digests: std::collections::BTreeMap<String, String>,
}

impl Rule for BaseImageDigestUnpinned {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if self.digests.is_empty() {
            return;
        }
        let Some((image, _)) = from_parts(step.ins) else {
            return;
        };
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (image, None),
        };
        let Some(recorded) = self.digests.get(name) else {
            return;
        };
        match digest {
            None => cx.report(
                step,
                format!("pin `{name}` to its recorded digest: `{name}@{recorded}`"),
            ),
            Some(d) if d != recorded => cx.report(
                step,
                format!("`{name}` is pinned to `{d}`, the digests file records `{recorded}`"),
            ),
            Some(_) => {}
        }
    }
}

pub(crate) fn new(settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(BaseImageDigestUnpinned {
        digests: settings.digests.clone(),
    })
}

#[cfg(test)]
mod with_digests {
    use crate::config::LintConfig;
    use crate::testing::lines_with;

    #[test]
    fn flags_tags_without_the_recorded_digest() {
        let mut config = LintConfig::default();
        config.apply_digests("D=debian:12-slim@sha256:aa\n");
        let src = "FROM debian:12-slim\nFROM debian:12-slim@sha256:bb\nFROM debian:12-slim@sha256:aa\nFROM alpine:3\n";
        assert_eq!(lines_with("BRT009", src, config), [1, 2]);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT009", "FROM debian:12-slim\n", &[]);
    }
}
