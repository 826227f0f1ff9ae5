//! `InvalidDefinitionDescription` (invalid-definition-description): comment above a stage or ARG should start with its name.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "InvalidDefinitionDescription",
    "invalid-definition-description",
    Severity::Warning,
    "comment above a stage or ARG should start with its name",
    docs!(
        what: "Flags a comment directly above `FROM ... AS name` or `ARG name` whose first word is not that name. Experimental in Docker, so off by default.",
        why: "Tools (and `docker buildx build --call=outline`) read such comments as the description of the stage or build argument.",
        bad: "# Builds the binary\n\
    FROM golang:1.23 AS build",
        good: "# build compiles the binary\n\
    FROM golang:1.23 AS build",
    ),
).off_by_default();

struct InvalidDefinitionDescription;

impl Rule for InvalidDefinitionDescription {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let Some(comment) = step.ins.node.comments.last() else {
            return;
        };
        let names: Vec<String> = match &step.ins.kind {
            // BuildKit keeps stage names in lower case, and compares the comment with that.
            InstructionKind::From { name: Some(_), .. } => from_parts(step.ins)
                .and_then(|(_, n)| n)
                .map(str::to_ascii_lowercase)
                .into_iter()
                .collect(),
            InstructionKind::Arg { args } => args.iter().map(|a| a.name.clone()).collect(),
            _ => return,
        };
        // The description's name is the comment's text up to its first space (not any
        // whitespace): BuildKit reads it so, and `--call=outline` shows what it read.
        let first = comment.split(' ').next().unwrap_or("");
        let Some(example) = names.first() else { return };
        if names.iter().any(|n| n == first) {
            return;
        }
        let example = if names.len() > 1 { "<arg_key>" } else { example };
        cx.report(
            step,
            format!(
                "comment for {} should follow the format: `# {example} <description>`",
                step.ins.keyword
            ),
        );
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(InvalidDefinitionDescription)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "InvalidDefinitionDescription",
            "# compile\nFROM a:1 AS build\n",
            &[2],
        );
        assert_lines(
            "InvalidDefinitionDescription",
            "# build compiles\nFROM a:1 AS build\n",
            &[],
        );
        // The last comment of the block counts, a blank line does not end the block, and a
        // comment with `=` in it is a description like any other.
        assert_lines(
            "InvalidDefinitionDescription",
            "# V the version\n# see https://x.example/?a=b\n\nARG V=1\nFROM a:1\n",
            &[4],
        );
        assert_lines(
            "InvalidDefinitionDescription",
            "# B the second of two\nARG A=1 B=2\nFROM a:1\n",
            &[],
        );
    }
}
