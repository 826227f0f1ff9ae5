//! `DL3044` (env-self-reference): do not refer to a variable in the `ENV` that defines it.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3044",
    "env-self-reference",
    Severity::Error,
    "do not refer to a variable in the `ENV` that defines it",
    docs!(
        what: "Flags an `ENV` whose value refers to a variable defined by the same `ENV` instruction (and not before it).",
        why: "All values of one `ENV` are expanded with the variables from before that instruction: the reference sees the old (often empty) value, not the new one.",
        bad: "FROM alpine:3.20\n\
    ENV APP=/opt/app BIN=$APP/bin",
        good: "FROM alpine:3.20\n\
    ENV APP=/opt/app\n\
    ENV BIN=$APP/bin",
    ),
);

#[derive(Default)]
struct EnvSelfReference {
    defined: std::collections::BTreeSet<String>,
}

fn refers(var: &str, text: &str) -> bool {
    if text.contains(&format!("${{{var}}}")) {
        return true;
    }
    let bare = format!("${var}");
    text.split(&bare)
        .skip(1)
        .any(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

impl Rule for EnvSelfReference {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::Env { pairs } => {
                let bad = pairs.iter().enumerate().any(|(i, p)| {
                    !self.defined.contains(&p.key.value)
                        && pairs
                            .iter()
                            .enumerate()
                            .any(|(j, q)| i != j && refers(&p.key.value, &q.value.value))
                });
                self.defined
                    .extend(pairs.iter().map(|p| p.key.value.clone()));
                if bad {
                    cx.flag(step);
                }
            }
            InstructionKind::Arg { args } => {
                self.defined.extend(args.iter().map(|a| a.name.clone()));
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<EnvSelfReference>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3044", "FROM a:1\nENV A=1 B=$A\n", &[2]);
        assert_lines(
            "DL3044",
            "FROM a:1\nENV A=1\nENV A=2 B=$A\nENV C=1 D=$CC\n",
            &[],
        );
    }
}
