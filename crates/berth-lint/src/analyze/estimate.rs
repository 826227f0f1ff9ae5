//! The size estimate: what the build stages leave out of the final image and how much a
//! smaller base or a multistage build would save, from the base-image table; "no estimate"
//! rather than a figure berth cannot stand behind.

use super::*;

/// Size assumed for the application and its runtime dependencies in a multistage image, MB.
const APP_LAYERS_MB: u32 = 50;

/// The items of [`excluded_items`] that are compilers (an image that installs them is a build
/// image).
pub(crate) const BUILD_TOOL_ITEMS: [&str; 2] = ["build-essential", "gcc, g++"];

/// Packages and caches a build stage leaves behind, with rough sizes.
pub(crate) fn excluded_items(steps: &[Step<'_>]) -> Vec<ExcludedItem> {
    let mut build_essential = false;
    let mut compilers = false;
    let mut pip = false;
    let mut headers = false;
    let mut npm = false;
    for step in steps {
        for command in run_commands(step.instruction) {
            let name = command.first().map(|w| base_name(w)).unwrap_or_default();
            if pip_install_args(&command).is_some() {
                pip = true;
            }
            if name == "npm" || name == "yarn" || name == "pnpm" {
                npm |= is_dependency_install(&command);
            }
            let installs_packages =
                matches!(name, "apt-get" | "apt" | "apk" | "yum" | "dnf" | "microdnf")
                    && command.iter().any(|w| w == "install" || w == "add");
            if installs_packages {
                for package in command.iter().skip(1).filter(|w| !w.starts_with('-')) {
                    let package = package.split(['=', ':']).next().unwrap_or(package);
                    build_essential |= package == "build-essential" || package == "build-base";
                    compilers |=
                        matches!(package, "gcc" | "g++" | "clang" | "gcc-c++" | "musl-dev");
                    headers |= package.ends_with("-dev") || package.ends_with("-devel");
                }
            }
        }
    }
    let mut items = Vec::new();
    let mut push = |on: bool, item: &str, size_mb: u32| {
        if on {
            items.push(ExcludedItem {
                item: item.to_owned(),
                size_mb: Some(size_mb),
            });
        }
    };
    push(build_essential, "build-essential", 150);
    push(compilers, "gcc, g++", 100);
    push(pip, "pip cache", 50);
    push(headers, "development headers", 50);
    push(npm, "npm cache and dev dependencies", 100);
    items
}

/// The build tools of the images the build stages start from (`rust:1.80` carries the Rust
/// toolchain), one item per image: what a multistage build leaves out beyond what it installs.
pub(crate) fn builder_image_tools(
    graph: &StageGraph,
    local: &LocalImages,
) -> Vec<(String, BaseFacts)> {
    let lineage = graph.lineage(graph.target);
    let mut out: Vec<(String, BaseFacts)> = Vec::new();
    for stage in 0..graph.stages.len() {
        if !graph.reachable[stage] || lineage.contains(&stage) {
            continue;
        }
        let Some(Base::Image(image)) = graph.root_base(stage) else {
            continue;
        };
        if out.iter().any(|(seen, _)| seen == image) {
            continue;
        }
        let facts = local.facts(image);
        if facts.table.build_tools.is_some() {
            out.push((image.clone(), facts));
        }
    }
    out
}

pub(crate) fn no_estimate(note: String) -> (Option<SizeEstimate>, Option<String>) {
    (None, Some(note))
}

pub(crate) fn estimate_size(
    graph: &StageGraph,
    facts: &Facts<'_>,
    multistage: bool,
    local: &LocalImages,
) -> (Option<SizeEstimate>, Option<String>) {
    let image = match graph.root_base(graph.target) {
        Some(Base::Image(image)) => image,
        Some(Base::Unresolved(args)) => {
            return no_estimate(format!(
                "No estimate: the final base image is unknown: {}",
                unresolved_hint(args)
            ));
        }
        _ => {
            return no_estimate(
                "No estimate: the final stage starts from scratch, so its size is what you copy in"
                    .to_owned(),
            );
        }
    };
    let base = local.facts(image);
    let root = &base.table;
    if root.os == Os::Windows {
        return no_estimate(format!(
            "No estimate: {image} is a Windows image, and berth's size model is for Linux images"
        ));
    }
    if let Some((path, _)) = &base.built_by {
        return no_estimate(format!(
            "No estimate: {image} is built by {path}, and its size is what that file puts in it"
        ));
    }
    if root.variant.is_none() && root.digest_only {
        return no_estimate(format!(
            "No estimate: {image} is pinned by digest only, which names no variant"
        ));
    }
    let (Some(variant), Some(size)) = (root.variant, root.size_mb) else {
        return no_estimate(format!("No estimate: berth has no size for {image}"));
    };
    // With a build stage, its tools are what the final image leaves out; in a single-stage file
    // they are what a build stage would take out.
    let mut excluded = if multistage {
        excluded_items(&facts.build_only_steps)
    } else {
        excluded_items(&facts.final_steps)
    };
    let installed_total: u32 = excluded.iter().filter_map(|e| e.size_mb).sum();
    let with_installs = |base: u32| base + installed_total.max(APP_LAYERS_MB);
    let (lean_name, lean_size) = match (&root.lean, variant) {
        (Some(lean), Variant::Full) => match lean.size_mb {
            Some(lean_size) => (lean.name.clone(), lean_size),
            None => (image.to_owned(), size),
        },
        _ => (image.to_owned(), size),
    };
    let multi = lean_size + APP_LAYERS_MB;
    let mut rows = Vec::new();
    if variant == Variant::Full {
        rows.push(SizeRow {
            label: format!("{image} (single-stage)"),
            size_mb: size,
        });
    } else if let Some(full) = &root.full
        && let Some(full_size) = full.size_mb
        // A full variant smaller than the multistage image (debian) compares nothing.
        && full_size > multi
    {
        rows.push(SizeRow {
            label: format!("{} (single-stage)", full.name),
            size_mb: full_size,
        });
    }
    if multistage {
        for (builder, facts) in builder_image_tools(graph, local) {
            let tools = facts.table.build_tools.unwrap_or_default();
            excluded.push(ExcludedItem {
                item: format!("{builder}, the build stage's image with {tools}"),
                size_mb: facts.table.size_mb,
            });
            if let Some(builder_size) = facts.table.size_mb {
                let label = format!("{builder} (single-stage)");
                let size_mb = with_installs(builder_size);
                // The final image's full variant may be the build stage's image (node:20).
                match rows.iter_mut().find(|r| r.label == label) {
                    Some(row) => row.size_mb = row.size_mb.max(size_mb),
                    None => rows.push(SizeRow { label, size_mb }),
                }
            }
        }
    }
    if with_installs(lean_size) != multi {
        let label = format!("{lean_name} (single-stage)");
        let size_mb = with_installs(lean_size);
        // A full image with no smaller tag is both the base row and this one: one row, the
        // image with what the file installs.
        match rows.iter_mut().find(|r| r.label == label) {
            Some(row) => row.size_mb = row.size_mb.max(size_mb),
            None => rows.push(SizeRow { label, size_mb }),
        }
    }
    let biggest = rows.iter().map(|r| r.size_mb).max().unwrap_or(0);
    let savings = biggest.saturating_sub(multi);
    if savings == 0 {
        return no_estimate(format!(
            "No saving to show: ~{multi} MB on {lean_name}, and berth knows no smaller setup for this file"
        ));
    }
    rows.push(SizeRow {
        label: format!("{lean_name} (multistage)"),
        size_mb: multi,
    });
    let percent = (savings * 100 + biggest / 2) / biggest;
    (
        Some(SizeEstimate {
            rows,
            savings_mb: savings,
            savings_percent: percent,
            this_file_is_multistage: multistage,
            excluded,
        }),
        None,
    )
}
