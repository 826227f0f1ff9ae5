//! `DL3016` (npm-unpinned): pin versions in `npm install` (`package@version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3016",
    "npm-unpinned",
    Severity::Warning,
    "pin versions in `npm install` (`package@version`)",
    docs!(
        what: "Flags `npm install <package>` without `@version` (paths, tarballs and git URLs with `#` are fine; a bare `npm install` reads package.json).",
        why: "Unpinned packages make builds unrepeatable.",
        bad: "FROM node:22-slim\n\
    RUN npm install -g typescript",
        good: "FROM node:22-slim\n\
    RUN npm install -g typescript@5.6.2",
    ),
).on_onbuild_triggers();

fn pinned(package: &str) -> bool {
    if ["git://", "git+ssh://", "git+http://", "git+https://"]
        .iter()
        .any(|p| package.starts_with(p))
    {
        return package.contains('#');
    }
    if [".tar", ".tar.gz", ".tgz"]
        .iter()
        .any(|s| package.ends_with(s))
        || ["/", "./", "../", "~/"]
            .iter()
            .any(|p| package.starts_with(p))
    {
        return true;
    }
    let unscoped = if package.starts_with('@') {
        package.split_once('/').map_or("", |(_, rest)| rest)
    } else {
        package
    };
    unscoped.contains('@')
}

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        if !c.is("npm", &["install"]) {
            return false;
        }
        let operands = c.operands(&["loglevel", "registry"]);
        if operands.first() != Some(&"install") {
            return false;
        }
        operands.iter().skip(1).any(|p| !pinned(p))
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
        assert_lines("DL3016", "FROM a:1\nRUN npm install -g ts\n", &[2]);
        assert_lines(
            "DL3016",
            "FROM a:1\nRUN npm install\nRUN npm install ts@5 @a/b@1 ./x\n",
            &[],
        );
    }
}
