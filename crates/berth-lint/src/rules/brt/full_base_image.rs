//! `BRT002` (full-base-image): final image uses a full (not slim) base image.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "BRT002",
    name: "full-base-image",
    origin: Origin::Berth,
    severity: Severity::Info,
    summary: "final image uses a full (not slim) base image",
    docs: docs!(
        what: "Flags a final stage based on the full variant of a well-known language image (`python:3.12` rather than `python:3.12-slim`) (`berth analyze`'s Slim Base Image check); not Windows images, nor images pinned by digest only. Off by default.",
        why: "Full variants carry compilers and headers: hundreds of megabytes and many more packages to patch.",
        bad: "FROM python:3.12\n\
    COPY app.py /app/",
        good: "FROM python:3.12-slim\n\
    COPY app.py /app/",
    ),
    default_enabled: false,
    onbuild: false,
    twin: None,
};

struct FullBaseImage;

impl Rule for FullBaseImage {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        super::report_failed_check(cx, "slim-base-image");
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(FullBaseImage)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT002", "FROM python:3.12\n", &[1]);
        assert_lines("BRT002", "FROM python:3.12-slim\n", &[]);
    }

    #[test]
    fn windows_and_digest_only_images_are_not_judged() {
        assert_lines(
            "BRT002",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n",
            &[],
        );
        assert_lines(
            "BRT002",
            "FROM python:3.11-windowsservercore-ltsc2022\n",
            &[],
        );
        assert_lines("BRT002", "FROM golang@sha256:0123456789abcdef\n", &[]);
        assert_lines("BRT002", "FROM golang:1.22@sha256:0123456789abcdef\n", &[1]);
    }
}
