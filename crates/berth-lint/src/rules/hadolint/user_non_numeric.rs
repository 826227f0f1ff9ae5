//! `DL3066` (user-non-numeric): non-numeric user id may not resolve on the host.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3066",
    "user-non-numeric",
    Severity::Info,
    "non-numeric user id may not resolve on the host",
    docs!(
        what: "Flags `USER name` (a non-numeric user), unless the user comes from a declared ARG.",
        why: "Kubernetes' `runAsNonRoot` and other host-side checks need a numeric UID; a name only resolves inside the image.",
        bad: "FROM alpine:3.20\n\
    RUN adduser -D -u 10001 app\n\
    USER app",
        good: "FROM alpine:3.20\n\
    RUN adduser -D -u 10001 app\n\
    USER 10001",
    ),
);

#[derive(Default)]
struct UserNonNumeric {
    args: std::collections::BTreeSet<String>,
}

impl Rule for UserNonNumeric {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::Arg { args } => self.args.extend(args.iter().map(|a| a.name.clone())),
            InstructionKind::User { user } => {
                let uid = user.value.split(':').next().unwrap_or_default();
                let from_arg = self.args.iter().any(|a| {
                    user.value.contains(&format!("${{{a}}}"))
                        || user.value.contains(&format!("${a}"))
                });
                if !uid.chars().all(|c| c.is_ascii_digit()) && !from_arg {
                    cx.flag(step);
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<UserNonNumeric>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3066", "FROM a:1\nUSER app\n", &[2]);
        assert_lines(
            "DL3066",
            "FROM a:1\nARG U\nUSER ${U}\nUSER 1000:1000\n",
            &[],
        );
    }
}
