//! `SecretsUsedInArgOrEnv` (secrets-used-in-arg-or-env): sensitive data should not be used in `ARG` or `ENV`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "SecretsUsedInArgOrEnv",
    "secrets-used-in-arg-or-env",
    Severity::Warning,
    "sensitive data should not be used in `ARG` or `ENV`",
    docs!(
        what: "Flags `ARG` and `ENV` names with a `_`-separated part that is `apikey`, `auth`, `credential(s)`, `key`, `password`, `pword`, `passwd`, `secret` or `token` (case-insensitive), unless a part is `public`, `file` or `version`.",
        why: "ARG and ENV values are kept in the image's metadata; anyone who pulls the image reads them. Use build secrets.",
        bad: "FROM alpine:3.20\n\
    ARG API_KEY",
        good: "FROM alpine:3.20\n\
    RUN --mount=type=secret,id=api_key ./configure",
    ),
).twin_of("DL3064");

const SECRET: [&str; 10] = [
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
];
/// A name with one of these words is not a secret (`PUBLIC_KEY`); BuildKit allows only this one,
/// so `TOKEN_FILE` is flagged too.
const ALLOW: [&str; 1] = ["public"];

fn secret(name: &str) -> bool {
    let parts: Vec<String> = name.split('_').map(str::to_lowercase).collect();
    parts.iter().any(|p| SECRET.contains(&p.as_str()))
        && !parts.iter().any(|p| ALLOW.contains(&p.as_str()))
}

struct SecretsInArgEnv;

impl Rule for SecretsInArgEnv {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let names: Vec<&str> = match &step.ins.kind {
            // Global ARGs (before the first FROM) are not checked by BuildKit: they only name
            // the base image, and a stage that uses one declares it again.
            InstructionKind::Arg { args } if step.stage.is_some() => {
                args.iter().map(|a| a.name.as_str()).collect()
            }
            InstructionKind::Env { pairs } => pairs.iter().map(|p| p.key.value.as_str()).collect(),
            _ => return,
        };
        for name in names.into_iter().filter(|n| secret(n)) {
            let keyword = &step.ins.keyword;
            cx.report(
                step,
                format!("do not use {keyword} for sensitive data (`{name}`)"),
            );
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(SecretsInArgEnv)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "SecretsUsedInArgOrEnv",
            "FROM a:1\nARG API_KEY\nENV DB_PASSWORD=x\n",
            &[2, 3],
        );
        assert_lines(
            "SecretsUsedInArgOrEnv",
            "ARG GLOBAL_TOKEN\nFROM a:1\nARG PUBLIC_KEY\nENV TOKEN_FILE=/x MYKEY=1\n",
            &[4],
        );
    }
}
