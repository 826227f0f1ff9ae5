//! `InvalidBaseImagePlatform` (invalid-base-image-platform): base image is built for another platform than the stage asks for.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "InvalidBaseImagePlatform",
    "invalid-base-image-platform",
    Severity::Warning,
    "base image is built for another platform than the stage asks for",
    docs!(
        what: "Flags `FROM --platform=<constant>` of an image whose name fixes another platform: Docker Hub's per-architecture namespaces (`arm64v8/`, `amd64/`, `i386/`...) and Windows-only images (`mcr.microsoft.com/windows/...`). Docker checks the resolved image in the registry; berth decides offline from the name, so it catches only these cases.",
        why: "The build pulls an image that cannot run on the requested platform, or runs it under emulation without saying so.",
        bad: "FROM --platform=linux/amd64 arm64v8/alpine:3.20",
        good: "FROM --platform=linux/arm64 arm64v8/alpine:3.20",
    ),
);

/// Docker Hub namespaces that hold one architecture each, and that architecture.
const ARCH_NAMESPACES: [(&str, &str); 9] = [
    ("amd64/", "amd64"),
    ("arm64v8/", "arm64"),
    ("arm32v7/", "arm"),
    ("arm32v6/", "arm"),
    ("arm32v5/", "arm"),
    ("i386/", "386"),
    ("ppc64le/", "ppc64le"),
    ("s390x/", "s390x"),
    ("riscv64/", "riscv64"),
];

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::From {
        image,
        platform: Some(p),
        ..
    } = &step.ins.kind
    else {
        return false;
    };
    if p.contains('$') {
        return false;
    }
    let mut parts = p.split('/');
    let os = parts.next().unwrap_or("");
    let arch = parts.next().unwrap_or("");
    let image = image
        .value
        .strip_prefix("docker.io/")
        .unwrap_or(&image.value);
    if image.starts_with("mcr.microsoft.com/windows") && os != "windows" {
        return true;
    }
    ARCH_NAMESPACES
        .iter()
        .any(|(ns, a)| image.starts_with(ns) && !arch.is_empty() && arch != *a)
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
            "InvalidBaseImagePlatform",
            "FROM --platform=linux/amd64 arm64v8/alpine:3\n",
            &[1],
        );
        assert_lines(
            "InvalidBaseImagePlatform",
            "FROM --platform=linux/arm64 arm64v8/alpine:3\nFROM alpine:3\n",
            &[],
        );
    }
}
