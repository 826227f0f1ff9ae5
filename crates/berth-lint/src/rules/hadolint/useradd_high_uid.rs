//! `DL3046` (useradd-high-uid): `useradd` with a high UID needs `-l`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3046",
    "useradd-high-uid",
    Severity::Warning,
    "`useradd` with a high UID needs `-l`",
    docs!(
        what: "Flags `useradd -u <uid>` with a UID longer than 5 digits and without `-l`/`--no-log-init`.",
        why: "useradd writes the lastlog and faillog databases as sparse files sized by the UID; Docker's layers are not sparse, so a high UID makes a huge layer.",
        bad: "FROM debian:12\n\
    RUN useradd -u 123456 app",
        good: "FROM debian:12\n\
    RUN useradd -l -u 123456 app",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.name == "useradd"
            && !c.has_any_flag(&["l", "no-log-init"])
            && c.has_any_flag(&["u", "uid"])
            && c.flag_values("u").iter().any(|u| u.chars().count() > 5)
    })
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3046", "FROM a:1\nRUN useradd -u 123456 app\n", &[2]);
        assert_lines(
            "DL3046",
            "FROM a:1\nRUN useradd -l -u 123456 app\nRUN useradd -u 1000 app\n",
            &[],
        );
    }
}
