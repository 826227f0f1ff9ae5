//! `BRT010` (add-remote-without-checksum): `ADD` of a remote URL without `--checksum`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT010",
    "add-remote-without-checksum",
    Severity::Warning,
    "`ADD` of a remote URL without `--checksum`",
    docs!(
        what: "Flags `ADD https://...` (or a git URL) without `--checksum=`.",
        why: "Without a checksum the build trusts whatever the server sends that day; a compromised or changed file goes into the image unnoticed.",
        bad: "FROM alpine:3.20\n\
    ADD https://example.com/tool-1.2.tar.gz /opt/",
        good: "FROM alpine:3.20\n\
    ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2015d0a6ff5ea2e3 https://example.com/tool-1.2.tar.gz /opt/",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Add(spec) = &step.ins.kind else {
        return false;
    };
    step.ins.flag("checksum").is_none()
        && spec.sources.iter().any(|s| {
            let v = drop_quotes(&s.value);
            is_url(v) || v.starts_with("git@") || (v.starts_with("https://") && v.ends_with(".git"))
        })
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT010", "FROM a:1\nADD https://e.com/x.tgz /x/\n", &[2]);
        assert_lines(
            "BRT010",
            "FROM a:1\nADD --checksum=sha256:00 https://e.com/x.tgz /x/\nADD x.tgz /x/\n",
            &[],
        );
    }
}
