//! `UndefinedArgInFrom` (undefined-arg-in-from): `FROM` uses a variable that is not a global `ARG`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "UndefinedArgInFrom",
    "undefined-arg-in-from",
    Severity::Warning,
    "`FROM` uses a variable that is not a global `ARG`",
    docs!(
        what: "Flags `FROM` (image or `--platform`) using a variable that is neither declared by an `ARG` before the first `FROM` nor one of BuildKit's automatic platform ARGs.",
        why: "Only global ARGs are visible to FROM; anything else expands to an empty string and the image name breaks.",
        bad: "FROM alpine:3.20 AS base\n\
    ARG VERSION=3.20\n\
    FROM alpine:${VERSION}",
        good: "ARG VERSION=3.20\n\
    FROM alpine:${VERSION}",
    ),
);

const BUILTIN: [&str; 11] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETOSVERSION",
    "BUILDOSVERSION",
    "TARGETSTAGE",
];

/// Variable names referenced in `text` (`$X`, `${X}`, `${X:-y}`).
pub(crate) fn variables(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == '$' {
            let braced = chars.get(i + 1) == Some(&'{');
            let start = if braced { i + 2 } else { i + 1 };
            let mut end = start;
            while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                end += 1;
            }
            if end > start {
                out.push(chars[start..end].iter().collect());
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[derive(Default)]
struct UndefinedArgInFrom {
    globals: std::collections::BTreeSet<String>,
}

impl Rule for UndefinedArgInFrom {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::Arg { args } if step.stage.is_none() => {
                self.globals.extend(args.iter().map(|a| a.name.clone()));
            }
            InstructionKind::From {
                image, platform, ..
            } => {
                let mut text = image.value.clone();
                if let Some(p) = platform {
                    text.push(' ');
                    text.push_str(p);
                }
                for var in variables(&text) {
                    if !self.globals.contains(&var) && !BUILTIN.contains(&var.as_str()) {
                        cx.report(step, format!("FROM argument `{var}` is not declared"));
                    }
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<UndefinedArgInFrom>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("UndefinedArgInFrom", "FROM alpine:${V}\n", &[1]);
        assert_lines(
            "UndefinedArgInFrom",
            "ARG V=1\nFROM alpine:${V}\nFROM --platform=$BUILDPLATFORM a:1\n",
            &[],
        );
    }
}
