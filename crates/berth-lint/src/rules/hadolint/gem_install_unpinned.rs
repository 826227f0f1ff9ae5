//! `DL3028` (gem-install-unpinned): pin versions in `gem install` (`gem:version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3028",
    "gem-install-unpinned",
    Severity::Warning,
    "pin versions in `gem install` (`gem:version`)",
    docs!(
        what: "Flags `gem install` of a gem without `:version` (or `-v`).",
        why: "Unpinned gems make builds unrepeatable.",
        bad: "FROM ruby:3.3\n\
    RUN gem install bundler",
        good: "FROM ruby:3.3\n\
    RUN gem install bundler:2.5.16",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        if !c.is("gem", &["install", "i"])
            || c.has_arg("-v")
            || c.has_arg("--version")
            || c.args.iter().any(|a| a.starts_with("--version="))
        {
            return false;
        }
        let mut gems = Vec::new();
        let mut words = c.args.iter().take_while(|a| *a != "--");
        while let Some(w) = words.next() {
            if w.starts_with('-') {
                words.next();
            } else if w != "install" && w != "i" {
                gems.push(w);
            }
        }
        gems.iter().any(|g| !g.contains(':'))
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
        assert_lines("DL3028", "FROM a:1\nRUN gem install bundler\n", &[2]);
        assert_lines(
            "DL3028",
            "FROM a:1\nRUN gem install bundler:2 && gem install x -v 1\n",
            &[],
        );
    }
}
