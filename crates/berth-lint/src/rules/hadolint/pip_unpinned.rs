//! `DL3013` (pip-unpinned): pin versions in `pip install` (`package==version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3013",
    "pip-unpinned",
    Severity::Warning,
    "pin versions in `pip install` (`package==version`)",
    docs!(
        what: "Flags `pip install` of a package without a version specifier (requirements files, constraints, local paths, wheels and VCS URLs with `@` are fine).",
        why: "Unpinned packages make builds unrepeatable and let a new release break the image.",
        bad: "FROM python:3.12-slim\n\
    RUN pip install --no-cache-dir flask",
        good: "FROM python:3.12-slim\n\
    RUN pip install --no-cache-dir flask==3.0.3",
    ),
).on_onbuild_triggers();

const WITH_VALUES: [&str; 26] = [
    "abi",
    "b",
    "build",
    "e",
    "editable",
    "extra-index-url",
    "f",
    "find-links",
    "i",
    "index-url",
    "implementation",
    "no-binary",
    "only-binary",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "python",
    "python-version",
    "root",
    "root-user-action",
    "src",
    "t",
    "target",
    "trusted-host",
    "upgrade-strategy",
];

const VCS: [&str; 22] = [
    "git+file",
    "git+https",
    "git+ssh",
    "git+http",
    "git+git",
    "git",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+svn",
    "svn+http",
    "svn+https",
    "svn+ssh",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
];

/// `pip install` or `python -m pip install` (not pipenv).
pub(crate) fn is_pip_install(c: &Command) -> bool {
    let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
    (c.name.starts_with("pip") && !c.name.starts_with("pipenv") && args.contains(&"install"))
        || (c.name.starts_with("python") && args.windows(3).any(|w| w == ["-m", "pip", "install"]))
}

fn pinned(package: &str) -> bool {
    let vcs = VCS.iter().any(|v| package.starts_with(v));
    ["==", ">=", "<=", ">", "<", "!=", "~=", "==="]
        .iter()
        .any(|s| package.contains(s))
        || (vcs && package.contains('@'))
        || package.ends_with(".whl")
        || package.ends_with(".tar.gz")
        || (!vcs && package.contains('/'))
}

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        if !is_pip_install(c) || c.has_flag("constraint") || c.has_flag("c") {
            return false;
        }
        if c.has_arg("--requirement") || c.has_arg("-r") || c.has_arg(".") {
            return false;
        }
        let operands = c.operands(&WITH_VALUES);
        let packages = operands
            .iter()
            .skip_while(|a| **a != "install")
            .skip_while(|a| **a == "install");
        packages.into_iter().any(|p| !pinned(p))
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
        assert_lines("DL3013", "FROM a:1\nRUN pip install flask\n", &[2]);
        assert_lines("DL3013", "FROM a:1\nRUN python -m pip install x\n", &[2]);
        assert_lines(
            "DL3013",
            "FROM a:1\nRUN pip install flask==3 ./pkg -r req.txt\nRUN pip install -e . && pip install x.whl\n",
            &[],
        );
    }

    #[test]
    fn reads_heredocs_that_a_shell_runs() {
        assert_lines(
            "DL3013",
            "FROM a:1\nRUN <<EOT bash\npip install flask\nEOT\n",
            &[2],
        );
        assert_lines(
            "DL3013",
            "FROM a:1\nRUN <<EOT node\npip install flask\nEOT\n",
            &[],
        );
    }
}
