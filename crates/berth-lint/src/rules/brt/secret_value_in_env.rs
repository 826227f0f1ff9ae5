//! `BRT008` (secret-value-in-env): `ENV`/`ARG` value looks like a credential.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT008",
    "secret-value-in-env",
    Severity::Error,
    "`ENV`/`ARG` value looks like a credential",
    docs!(
        what: "Flags `ENV` and `ARG` default values that look like credentials whatever the variable is called: AWS access keys (`AKIA...`), GitHub tokens (`ghp_`, `github_pat_`), Slack tokens (`xox?-`), private key blocks, Stripe live keys, and URLs with a password (`https://user:pass@host`).",
        why: "The value is stored in the image config and history in clear text; DL3064 and SecretsUsedInArgOrEnv only look at names.",
        bad: "FROM alpine:3.20\n\
    ENV PIP_INDEX_URL=https://ci:s3cr3t@pypi.example.com/simple",
        good: "FROM alpine:3.20\n\
    RUN --mount=type=secret,id=pip_index_url \\\n\
    PIP_INDEX_URL=$(cat /run/secrets/pip_index_url) pip install --no-cache-dir flask==3.0.3",
    ),
);

const PREFIXES: [&str; 9] = [
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "sk_live_",
    "-----BEGIN",
];

fn looks_secret(value: &str) -> bool {
    let value = drop_quotes(value);
    let token_prefix = PREFIXES
        .iter()
        .any(|p| value.starts_with(p) && value.len() >= p.len() + 12 && !value.contains('$'));
    let slack = ["xoxb-", "xoxp-", "xoxa-", "xoxs-"]
        .iter()
        .any(|p| value.starts_with(p));
    let url_password = value.split_once("://").is_some_and(|(_, rest)| {
        let authority = rest.split('/').next().unwrap_or("");
        authority
            .rsplit_once('@')
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .is_some_and(|(_, password)| !password.is_empty() && !password.starts_with('$'))
    });
    token_prefix || slack || url_password || value.contains("PRIVATE KEY")
}

fn check(step: &Step<'_>) -> bool {
    match &step.ins.kind {
        InstructionKind::Env { pairs } => pairs.iter().any(|p| looks_secret(&p.value.value)),
        InstructionKind::Arg { args } => args
            .iter()
            .any(|a| a.default.as_deref().is_some_and(looks_secret)),
        _ => false,
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "BRT008",
            "FROM a:1\nENV U=https://a:b@h/x\nARG K=AKIAABCDEFGHIJKLMNOP\n",
            &[2, 3],
        );
        assert_lines(
            "BRT008",
            "FROM a:1\nENV U=https://h/x V=https://a:$P@h\nARG K=abc\n",
            &[],
        );
    }
}
