//! `ConsistentInstructionCasing` (consistent-instruction-casing): instruction keywords should use one case.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "ConsistentInstructionCasing",
    "consistent-instruction-casing",
    Severity::Warning,
    "instruction keywords should use one case",
    docs!(
        what: "Flags instruction keywords whose case differs from the majority of the file (ties go to upper case; mixed case like `Run` is always flagged).",
        why: "Consistent keywords make a Dockerfile easier to read and to search.",
        bad: "FROM alpine:3.20\n\
    run echo hi\n\
    COPY . /app",
        good: "FROM alpine:3.20\n\
    RUN echo hi\n\
    COPY . /app",
    ),
);

struct InstructionCasing;

fn is_upper(k: &str) -> bool {
    k.chars().all(|c| !c.is_lowercase())
}

fn is_lower(k: &str) -> bool {
    k.chars().all(|c| !c.is_uppercase())
}

impl Rule for InstructionCasing {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        let keywords: Vec<(usize, usize, String)> = cx
            .file
            .instructions
            .iter()
            .map(|i| {
                (
                    i.line(),
                    i.node.keyword_span.start.column,
                    i.node.keyword.clone(),
                )
            })
            .collect();
        let upper = keywords.iter().filter(|(_, _, k)| is_upper(k)).count();
        let lower = keywords.iter().filter(|(_, _, k)| is_lower(k)).count();
        let want_upper = upper >= lower;
        for (line, column, keyword) in keywords {
            let ok = if want_upper {
                is_upper(&keyword)
            } else {
                is_lower(&keyword)
            };
            if !ok {
                let case = if want_upper { "uppercase" } else { "lowercase" };
                let end = column + keyword.len();
                cx.report_at(
                    line,
                    column,
                    end,
                    format!("command `{keyword}` should match the case of the others ({case})"),
                );
            }
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(InstructionCasing)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "ConsistentInstructionCasing",
            "FROM a:1\nrun x\nCOPY a b\n",
            &[2],
        );
        assert_lines("ConsistentInstructionCasing", "from a:1\nrun x\n", &[]);
    }
}
