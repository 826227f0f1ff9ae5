//! berth's own rules (BRT codes): `berth analyze`'s checks and what the other catalogues miss.

// In registry order: `--list-rules` and SARIF list them so.
rule_modules![
    single_stage,
    full_base_image,
    runs_as_root,
    dependency_install_after_source,
    no_healthcheck,
    pip_cache_kept,
    no_stage_copying,
    secret_value_in_env,
    base_image_digest_unpinned,
    add_remote_without_checksum,
    package_upgrade,
    curl_pipe_shell,
];

use crate::rules::prelude::*;

/// Reports `berth analyze`'s check `id` when it failed: at the line the check points to, else at
/// the `FROM` of the target stage. The BRT001-BRT007 rules are this, each for the check its own
/// file judges (`judge`, which `berth analyze` runs too).
pub(crate) fn report_failed_check(cx: &mut Checker<'_>, id: &str) {
    let Some(check) = cx.analysis_check(id) else {
        return;
    };
    if check.passed || !check.applicable {
        return;
    }
    let line = check.line.or_else(|| {
        let graph = cx.graph?;
        let stage = graph.stages.get(graph.target)?;
        cx.file
            .instructions
            .get(stage.from_instruction)
            .map(Instruction::line)
    });
    if let Some(line) = line {
        cx.report_at(line, 1, 2, check.reason.to_lowercase());
    }
}
