//! berth's own rules (BRT codes): `berth analyze`'s checks and what the other catalogues miss.

pub(crate) mod add_remote_without_checksum;
pub(crate) mod base_image_digest_unpinned;
pub(crate) mod curl_pipe_shell;
pub(crate) mod dependency_install_after_source;
pub(crate) mod full_base_image;
pub(crate) mod no_healthcheck;
pub(crate) mod no_stage_copying;
pub(crate) mod package_upgrade;
pub(crate) mod pip_cache_kept;
pub(crate) mod runs_as_root;
pub(crate) mod secret_value_in_env;
pub(crate) mod single_stage;

use crate::rules::prelude::*;

/// Reports `berth analyze`'s check `id` when it failed: at the line the check points to, else at
/// the `FROM` of the target stage. The BRT001-BRT007 rules are this, each for its own check.
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
