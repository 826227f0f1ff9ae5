//! `DL3064` (secret-in-arg-env): potentially sensitive data in `ARG` or `ENV`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3064",
    "secret-in-arg-env",
    Severity::Warning,
    "potentially sensitive data in `ARG` or `ENV`",
    docs!(
        what: "Flags `ARG` and `ENV` names that are known secret names (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`, ...) or contain `api_key`, `client_key`, `password`, `private`, `secret`, `token` or `username`.",
        why: "ARG and ENV values are stored in the image's history and config: anyone who can pull the image can read them. Use `RUN --mount=type=secret` instead.",
        bad: "FROM alpine:3.20\n\
    ARG GITHUB_TOKEN\n\
    RUN git clone https://$GITHUB_TOKEN@github.com/org/repo",
        good: "FROM alpine:3.20\n\
    RUN --mount=type=secret,id=github_token \\\n\
    git clone https://$(cat /run/secrets/github_token)@github.com/org/repo",
    ),
).on_onbuild_triggers();

const KNOWN: [&str; 48] = [
    "ACCESS_TOKEN",
    "APPLICATION_KEY",
    "APP_SECRET",
    "AUTH_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "BITTREX_API_KEY",
    "BITTREX_API_SECRET",
    "CF_PASSWORD",
    "CF_USERNAME",
    "CIRCLE_TOKEN",
    "CI_DEPLOY_PASSWORD",
    "CI_DEPLOY_USER",
    "DOCKERHUB_PASSWORD",
    "DOCKER_EMAIL",
    "DOCKER_PASSWORD",
    "DOCKER_USERNAME",
    "FACEBOOK_ACCESS_TOKEN",
    "FACEBOOK_APP_ID",
    "FACEBOOK_APP_SECRET",
    "FIREBASE_API_TOKEN",
    "FIREBASE_TOKEN",
    "FOSSA_API_KEY",
    "GH_ENTERPRISE_TOKEN",
    "GH_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITHUB_TOKEN",
    "HEROKU_API_KEY",
    "HEROKU_API_USER",
    "NPM_AUTH_TOKEN",
    "NPM_TOKEN",
    "OKTA_AUTHN_GROUPID",
    "OKTA_CLIENT_ORGURL",
    "OKTA_CLIENT_TOKEN",
    "OKTA_OAUTH2_CLIENTID",
    "OKTA_OAUTH2_CLIENTSECRET",
    "OPENAI_API_KEY",
    "OS_PASSWORD",
    "OS_USERNAME",
    "POSTGRES_PASSWORD",
    "SLACK_TOKEN",
    "STRIPE_API_KEY",
    "STRIPE_DEVICE_NAME",
    "TRAVIS_OS_NAME",
    "TRAVIS_SECURE_ENV_VARS",
    "TRAVIS_SUDO",
    "VAULT_CLIENT_KEY",
    "VAULT_TOKEN",
];

const SUSPICIOUS: [&str; 7] = [
    "api_key",
    "client_key",
    "password",
    "private",
    "secret",
    "token",
    "username",
];

fn sensitive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    KNOWN.contains(&name.to_ascii_uppercase().as_str())
        || SUSPICIOUS.iter().any(|s| lower.contains(s))
}

fn check(step: &Step<'_>) -> bool {
    match &step.ins.kind {
        InstructionKind::Arg { args } => args.iter().any(|a| sensitive(&a.name)),
        InstructionKind::Env { pairs } => pairs.iter().any(|p| sensitive(&p.key.value)),
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
            "DL3064",
            "ARG GITHUB_TOKEN\nFROM a:1\nENV DB_PASSWORD=x\n",
            &[1, 3],
        );
        assert_lines("DL3064", "FROM a:1\nARG VERSION\nENV HOME=/x\n", &[]);
    }
}
