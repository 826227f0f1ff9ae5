//! `BRT002` (full-base-image): final image uses a full (not slim) base image.

use crate::analyze::checks::prelude::*;
#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT002",
    "full-base-image",
    Severity::Info,
    "final image uses a full (not slim) base image",
    docs!(
        what: "Flags a final stage based on the full variant of a well-known language image (`python:3.12` rather than `python:3.12-slim`) (`berth analyze`'s Slim Base Image check); not Windows images, nor images pinned by digest only. Off by default.",
        why: "Full variants carry compilers and headers: hundreds of megabytes and many more packages to patch.",
        bad: "FROM python:3.12\n\
    COPY app.py /app/",
        good: "FROM python:3.12-slim\n\
    COPY app.py /app/",
    ),
).off_by_default();

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

/// `berth analyze`'s check; this rule reports it when it fails.
pub(crate) fn judge(input: &CheckInput<'_>) -> Check {
    let (graph, local) = (input.graph, input.local);
    let id = "slim-base-image";
    let title = "Slim Base Image";
    let image = match graph.root_base(graph.target) {
        None | Some(Base::Scratch | Base::Stage(_)) => {
            return check(
                id,
                title,
                true,
                "Final stage starts from scratch (empty image)",
                None,
            );
        }
        Some(Base::Unresolved(args)) => {
            return not_applicable(
                id,
                title,
                format!("Final base image is unknown: {}", unresolved_hint(args)),
            );
        }
        Some(Base::Image(image)) => image,
    };
    let base = local.facts(image);
    let facts = &base.table;
    if facts.os == Os::Windows {
        return if facts.variant == Some(Variant::Minimal) {
            check(
                id,
                title,
                true,
                "Uses Nano Server, the small Windows base",
                None,
            )
        } else {
            not_applicable(
                id,
                title,
                format!(
                    "{image} is a Windows image: Linux slim/alpine variants do not apply (Nano Server is the smaller Windows base, for apps that run on it)"
                ),
            )
        };
    }
    if let Some((path, parent)) = &base.built_by {
        let on = if parent == "scratch" {
            "FROM scratch".to_owned()
        } else {
            format!("on {parent}")
        };
        return match facts.variant {
            Some(v) if v.is_small() => check(
                id,
                title,
                true,
                format!("Final base {image} is built by {path} {on}, a small base"),
                None,
            ),
            Some(_) => check(
                id,
                title,
                false,
                format!("Final base {image} is built by {path} {on}, a full image"),
                None,
            ),
            None => not_applicable(
                id,
                title,
                format!(
                    "Final base {image} is built by {path} {on}, an image berth has no size for"
                ),
            ),
        };
    }
    match facts.variant {
        None if facts.digest_only => not_applicable(
            id,
            title,
            format!(
                "{image} is pinned by digest only: the digest fixes the image, and names no variant berth could judge"
            ),
        ),
        // A private or uncommon image: nothing says whether it is big or tiny.
        None => not_applicable(
            id,
            title,
            format!("Final image is based on {image}, an image berth has no size for"),
        ),
        Some(v) if v.is_small() => check(
            id,
            title,
            true,
            "Uses slim/alpine variant for smaller size",
            None,
        ),
        Some(_) => {
            let size = facts
                .size_mb
                .map(|mb| format!(" (~{mb} MB)"))
                .unwrap_or_default();
            let advice = match &facts.lean {
                Some(lean) if facts.reference.contains('@') => {
                    format!("{} is its smaller variant (pin its digest too)", lean.name)
                }
                Some(lean) => format!("{} is its smaller variant", lean.name),
                None => "build in it and copy the result onto a slim or distroless base".to_owned(),
            };
            check(
                id,
                title,
                false,
                format!("Final image is based on {image}, a full image{size}; {advice}"),
                None,
            )
        }
    }
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
