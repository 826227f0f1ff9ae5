//! The result of an analysis as plain data ([`Analysis`] and its parts): what the JSON output
//! serializes (docs/analyze-json.md) and `render` draws.

use berth_dockerfile::EdgeKind;
use serde::Serialize;

/// One stage as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StageSummary {
    /// 0-based index.
    pub index: usize,
    /// `AS` name, if any.
    pub name: Option<String>,
    /// Base as shown: the image, or the parent stage's name; as written (`$BASE`) when it
    /// is unresolved.
    pub base: String,
    /// Global ARGs the base names that have no value (no default, no `--build-arg`): the base
    /// is unknown until they are given. Empty when the base is known.
    pub unresolved_args: Vec<String>,
    /// The external image at the root of the FROM chain (None for scratch).
    pub root_image: Option<String>,
    /// `--platform`, expanded.
    pub platform: Option<String>,
    /// Instruction keywords in order of first use (FROM excluded).
    pub instructions: Vec<String>,
    /// The target stage needs this stage.
    pub reaches_target: bool,
    /// Images used by `COPY --from` / `RUN --mount=from` in this stage.
    pub external_sources: Vec<String>,
    /// Line of the FROM.
    pub line: usize,
}

/// A dependency between stages, labelled like the instruction that creates it.
#[derive(Debug, Clone, Serialize)]
pub struct EdgeSummary {
    /// Source stage index.
    pub from_stage: usize,
    /// Using stage index.
    pub to_stage: usize,
    /// `from`, `copy_from` or `mount_from`.
    pub kind: EdgeKind,
    /// `COPY --from=builder`, `FROM base`, `RUN --mount=from=cache`.
    pub label: String,
    /// Line of the instruction.
    pub line: usize,
}

/// One best-practice check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id (`multistage-build`...).
    pub id: &'static str,
    /// Title as printed.
    pub title: &'static str,
    /// Passed or not (false when the check does not apply).
    pub passed: bool,
    /// False when the file gives the check nothing to judge (no dependency install to cache,
    /// a base image of unknown size): shown as n/a, left out of the score's total.
    pub applicable: bool,
    /// One-line reason.
    pub reason: String,
    /// The line the reason is about, when there is one.
    pub line: Option<usize>,
}

/// One row of the size comparison.
#[derive(Debug, Clone, Serialize)]
pub struct SizeRow {
    /// `python:3.11 (single-stage)`.
    pub label: String,
    /// Estimated size in MB.
    pub size_mb: u32,
}

/// Something a multistage build leaves out of the final image.
#[derive(Debug, Clone, Serialize)]
pub struct ExcludedItem {
    /// What.
    pub item: String,
    /// Estimated size in MB; `None` when it is the toolchain of an image of unknown size.
    pub size_mb: Option<u32>,
}

/// The size estimate.
#[derive(Debug, Clone, Serialize)]
pub struct SizeEstimate {
    /// Rows: full single-stage, slim single-stage, slim multistage.
    pub rows: Vec<SizeRow>,
    /// Full single-stage minus slim multistage.
    pub savings_mb: u32,
    /// Savings as a percentage of the full single-stage size.
    pub savings_percent: u32,
    /// True when this file already builds the multistage way.
    pub this_file_is_multistage: bool,
    /// Build-time items left in earlier stages (multistage), or that a build stage would take
    /// out of this single-stage file.
    pub excluded: Vec<ExcludedItem>,
}

/// One suggested command.
#[derive(Debug, Clone, Serialize)]
pub struct BuildCommand {
    /// The `#` comment above it.
    pub comment: String,
    /// The command.
    pub command: String,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Layout version of this structure.
    pub schema_version: u32,
    /// The analyzed path as given.
    pub file: String,
    /// Number of stages.
    pub stage_count: usize,
    /// Stages in file order.
    pub stages: Vec<StageSummary>,
    /// Stage-to-stage dependencies.
    pub edges: Vec<EdgeSummary>,
    /// Index of the target stage.
    pub target_stage: usize,
    /// The seven checks.
    pub checks: Vec<Check>,
    /// Checks passed.
    pub score: usize,
    /// Checks that apply to this file (the seven minus the n/a ones).
    pub total: usize,
    /// Size estimate, when the final base image is in the size table.
    pub size_estimate: Option<SizeEstimate>,
    /// Why there is no size estimate.
    pub size_note: Option<String>,
    /// Suggested `docker` commands.
    pub build_commands: Vec<BuildCommand>,
    /// Key takeaways.
    pub takeaways: Vec<String>,
}
