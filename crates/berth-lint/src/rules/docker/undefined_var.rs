//! `UndefinedVar` (undefined-var): variables should be defined before use.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "UndefinedVar",
    "undefined-var",
    Severity::Warning,
    "variables should be defined before use",
    docs!(
        what: "Flags builder-expanded words (COPY/ADD paths, ENV, LABEL, USER, WORKDIR, VOLUME, `RUN --mount` options...) that use a variable no ARG or ENV defines; not RUN, CMD or ENTRYPOINT text, which the shell expands, nor EXPOSE, which BuildKit expands without this check. Variables set by the base image's own ENV are only known from the registry; berth knows `PATH` only.",
        why: "An undefined variable expands to an empty string: `COPY $SRC /app` copies the whole context.",
        bad: "FROM alpine:3.20\n\
    COPY $APP_DIR /app",
        good: "FROM alpine:3.20\n\
    ARG APP_DIR=src\n\
    COPY $APP_DIR /app",
    ),
);

struct UndefinedVar;

impl Rule for UndefinedVar {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        let Some(graph) = cx.graph else { return };
        // Base images' own ENV is only known from the registry; PATH is set in all of them.
        for var in graph.undefined_vars.iter().filter(|v| v.name != "PATH") {
            let line = var.span.start.line;
            let column = var.span.start.column;
            let message = format!("usage of undefined variable `${}`", var.name);
            cx.report_at(line, column, column + 1, message);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(UndefinedVar)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("UndefinedVar", "FROM a:1\nCOPY $X /y\n", &[2]);
        assert_lines(
            "UndefinedVar",
            "FROM a:1\nARG X=1\nCOPY $X /y\nRUN echo $Y\n",
            &[],
        );
    }
}
