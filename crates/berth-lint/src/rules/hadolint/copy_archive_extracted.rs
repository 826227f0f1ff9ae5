//! `DL3010` (copy-archive-extracted): use `ADD` to extract archives into the image.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3010",
    "copy-archive-extracted",
    Severity::Info,
    "use `ADD` to extract archives into the image",
    docs!(
        what: "Flags `COPY` of an archive that a later RUN of the same stage extracts with `tar -x` or `unzip`.",
        why: "Copying then extracting keeps the archive in one layer and its contents in another; `ADD` extracts local archives in one step.",
        bad: "FROM debian:12\n\
    COPY app.tar.gz /tmp/\n\
    RUN tar -xzf /tmp/app.tar.gz -C /opt",
        good: "FROM debian:12\n\
    ADD app.tar.gz /opt/",
    ),
);

#[derive(Default)]
struct CopyArchiveExtracted {
    /// (line, column, archive base name) of COPYs in this stage.
    archives: Vec<(usize, usize, String)>,
    extracted: std::collections::BTreeSet<(usize, usize)>,
}

fn basename(path: &str) -> &str {
    let path = drop_quotes(path);
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

const UNZIP: [&str; 9] = [
    "unzip",
    "gunzip",
    "bunzip2",
    "unlzma",
    "unxz",
    "zgz",
    "uncompress",
    "zcat",
    "gzcat",
];

fn extracts(c: &Command) -> bool {
    (c.name == "tar"
        && c.args.iter().any(|a| {
            a == "--extract"
                || a == "--get"
                || (a.starts_with('-') && !a.starts_with("--") && a.contains('x'))
        }))
        || UNZIP.contains(&c.name.as_str())
}

impl Rule for CopyArchiveExtracted {
    fn check(&mut self, _cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { .. } => self.archives.clear(),
            InstructionKind::Copy(spec) if spec.from.is_none() => {
                if is_archive(&spec.dest.value) {
                    self.archives.push((
                        step.line,
                        step.column,
                        basename(&spec.dest.value).to_owned(),
                    ));
                } else {
                    for s in spec.sources.iter().filter(|s| is_archive(&s.value)) {
                        self.archives
                            .push((step.line, step.column, basename(&s.value).to_owned()));
                    }
                }
            }
            _ => {
                let Some(script) = step.script else { return };
                for c in script.commands.iter().filter(|c| extracts(c)) {
                    let names: Vec<&str> = c.operands(&[]).into_iter().map(basename).collect();
                    for (line, column, archive) in &self.archives {
                        if names.contains(&archive.as_str()) {
                            self.extracted.insert((*line, *column));
                        }
                    }
                }
            }
        }
    }

    fn finish(&mut self, cx: &mut Checker<'_>) {
        for (line, column) in &self.extracted {
            cx.report_at(*line, *column, column + 4, cx.meta.summary);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<CopyArchiveExtracted>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL3010",
            "FROM a:1\nCOPY x.tar.gz /tmp/\nRUN tar -xf /tmp/x.tar.gz\n",
            &[2],
        );
        assert_lines(
            "DL3010",
            "FROM a:1\nCOPY x.tar.gz /tmp/\nRUN cat /tmp/x.tar.gz\n",
            &[],
        );
    }
}
