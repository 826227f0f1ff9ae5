//! `InvalidDefinitionDescription` (invalid-definition-description): comment above a stage or ARG should start with its name.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "InvalidDefinitionDescription",
    name: "invalid-definition-description",
    origin: Origin::Docker,
    severity: Severity::Warning,
    summary: "comment above a stage or ARG should start with its name",
    docs: docs!(
        what: "Flags a comment directly above `FROM ... AS name` or `ARG name` whose first word is not that name. Experimental in Docker, so off by default.",
        why: "Tools (and `docker buildx build --call=outline`) read such comments as the description of the stage or build argument.",
        bad: "# Builds the binary\n\
    FROM golang:1.23 AS build",
        good: "# build compiles the binary\n\
    FROM golang:1.23 AS build",
    ),
    default_enabled: false,
    onbuild: false,
    twin: None,
};

struct InvalidDefinitionDescription;

impl Rule for InvalidDefinitionDescription {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let Some(comment) = step.ins.node.comments.last() else {
            return;
        };
        let names: Vec<String> = match &step.ins.kind {
            InstructionKind::From { name: Some(_), .. } => from_parts(step.ins)
                .and_then(|(_, n)| n)
                .map(str::to_owned)
                .into_iter()
                .collect(),
            InstructionKind::Arg { args } => args.iter().map(|a| a.name.clone()).collect(),
            _ => return,
        };
        let first = comment.split_whitespace().next().unwrap_or("");
        if names.len() == 1 && first != names[0] && !comment.contains('=') {
            cx.report(
                step,
                format!(
                    "comment for {} should follow the format: `# {} <description>`",
                    step.ins.keyword, names[0]
                ),
            );
        }
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
    }
}
