//! The registry: every rule in one table, hadolint's by code, then Docker's checks by name,
//! then berth's by code. [`ALL`] is what `--list-rules`, `--explain`, SARIF's `rules[]` and the
//! linter read; a rule that is not listed here does not exist.

use crate::rule::{Rule, RuleMeta, RuleSettings};

/// A rule's metadata and how to make a fresh instance for one file.
pub struct RuleEntry {
    /// What the rule is.
    pub meta: &'static RuleMeta,
    pub(crate) new: fn(&RuleSettings) -> Box<dyn Rule>,
}

impl std::fmt::Debug for RuleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEntry")
            .field("code", &self.meta.code)
            .finish()
    }
}

macro_rules! registry {
    ($($origin:ident :: $rule:ident),* $(,)?) => {
        /// Every rule.
        pub static ALL: &[RuleEntry] = &[
            $(RuleEntry {
                meta: &crate::rules::$origin::$rule::META,
                new: crate::rules::$origin::$rule::new,
            }),*
        ];
    };
}

#[rustfmt::skip]
registry![
    hadolint::ignore_pragma_used,
    hadolint::workdir_relative,
    hadolint::pointless_command,
    hadolint::root_user_last,
    hadolint::cd_in_run,
    hadolint::sudo_in_run,
    hadolint::image_untagged,
    hadolint::image_latest,
    hadolint::apt_get_unpinned,
    hadolint::apt_lists_kept,
    hadolint::copy_archive_extracted,
    hadolint::expose_port_range,
    hadolint::healthcheck_multiple,
    hadolint::pip_unpinned,
    hadolint::apt_get_yes_missing,
    hadolint::apt_get_recommends,
    hadolint::npm_unpinned,
    hadolint::apk_add_unpinned,
    hadolint::apk_add_cache,
    hadolint::add_local_files,
    hadolint::copy_multiple_dest_slash,
    hadolint::copy_from_unknown_stage,
    hadolint::copy_from_own_stage,
    hadolint::stage_name_duplicate,
    hadolint::cmd_shell_form,
    hadolint::registry_untrusted,
    hadolint::apt_used,
    hadolint::gem_install_unpinned,
    hadolint::from_platform_flag,
    hadolint::yum_yes_missing,
    hadolint::yum_clean_missing,
    hadolint::yum_unpinned,
    hadolint::zypper_yes_missing,
    hadolint::zypper_dist_upgrade,
    hadolint::zypper_clean_missing,
    hadolint::zypper_unpinned,
    hadolint::dnf_yes_missing,
    hadolint::dnf_clean_missing,
    hadolint::dnf_unpinned,
    hadolint::pip_cache_dir,
    hadolint::onbuild_forbidden_trigger,
    hadolint::env_self_reference,
    hadolint::copy_relative_no_workdir,
    hadolint::useradd_high_uid,
    hadolint::wget_progress,
    hadolint::label_key_invalid,
    hadolint::healthcheck_missing,
    hadolint::run_consecutive,
    hadolint::yarn_cache_kept,
    hadolint::instruction_before_from,
    hadolint::go_install_unpinned,
    hadolint::stage_name_reserved,
    hadolint::secret_in_arg_env,
    hadolint::from_platform_target_redundant,
    hadolint::user_non_numeric,
    hadolint::copy_whole_filesystem,
    hadolint::maintainer,
    hadolint::curl_and_wget,
    hadolint::cmd_multiple,
    hadolint::entrypoint_multiple,
    hadolint::ln_bin_sh,
    hadolint::pipe_without_pipefail,
    docker::instruction_casing,
    docker::copy_ignored_file,
    docker::duplicate_stage_name,
    docker::expose_invalid_format,
    docker::expose_proto_casing,
    docker::from_as_casing,
    docker::from_platform_const,
    docker::invalid_base_image_platform,
    docker::invalid_default_arg_in_from,
    docker::invalid_definition_description,
    docker::json_args_recommended,
    docker::legacy_key_value,
    docker::maintainer_deprecated,
    docker::multiple_instructions,
    docker::empty_continuation,
    docker::redundant_target_platform,
    docker::reserved_stage_name,
    docker::secrets_in_arg_env,
    docker::stage_name_casing,
    docker::undefined_arg_in_from,
    docker::undefined_var,
    docker::workdir_relative_path,
    berth::single_stage,
    berth::full_base_image,
    berth::runs_as_root,
    berth::dependency_install_after_source,
    berth::no_healthcheck,
    berth::pip_cache_kept,
    berth::no_stage_copying,
    berth::secret_value_in_env,
    berth::base_image_digest_unpinned,
    berth::add_remote_without_checksum,
    berth::package_upgrade,
    berth::curl_pipe_shell,
];

/// The rule with `code` (case-insensitive), `DL1000` included.
#[must_use]
pub fn find(code: &str) -> Option<&'static RuleMeta> {
    if code.eq_ignore_ascii_case(crate::linter::PARSE_ERROR.code) {
        return Some(&crate::linter::PARSE_ERROR);
    }
    ALL.iter()
        .map(|e| e.meta)
        .find(|m| m.code.eq_ignore_ascii_case(code) || m.name.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Origin;
    use std::collections::BTreeSet;

    #[test]
    fn codes_and_names_are_unique() {
        let codes: BTreeSet<_> = ALL.iter().map(|e| e.meta.code).collect();
        let names: BTreeSet<_> = ALL.iter().map(|e| e.meta.name).collect();
        assert_eq!(codes.len(), ALL.len());
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn every_rule_has_its_docs() {
        for entry in ALL {
            let m = entry.meta;
            for heading in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(m.docs.contains(heading), "{} lacks {heading}", m.code);
            }
            assert!(
                !m.summary.ends_with('.'),
                "{}: summary ends with a period",
                m.code
            );
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                m.name
            );
            if let Some(twin) = m.twin {
                assert!(find(twin).is_some(), "{}: unknown twin {twin}", m.code);
            }
        }
    }

    /// The body of the ```` ```dockerfile ```` block under `heading` in a rule's docs.
    fn example<'a>(docs: &'a str, heading: &str) -> &'a str {
        let after = docs.split(heading).nth(1).expect("heading");
        let body = after.split("```dockerfile\n").nth(1).expect("code block");
        body.split("\n```").next().expect("closing fence")
    }

    /// The configuration an example states in its leading comment lines (what a Dockerfile
    /// alone cannot give: the `.dockerignore` beside it, a `.hadolint.yaml` setting, the
    /// digests file); every other example lints with the defaults.
    fn config_for_example(code: &str, example: &str) -> crate::config::LintConfig {
        let mut config = crate::config::LintConfig::default();
        let comments: Vec<&str> = example
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect();
        match code {
            "CopyIgnoredFile" => {
                let ignore: String = comments
                    .iter()
                    .map(|l| format!("{}\n", l.trim_start_matches(".dockerignore:").trim()))
                    .collect();
                config.settings.dockerignore = Some(ignore);
            }
            "DL3026" => {
                config.settings.trusted_registries = vec!["registry.example.com".to_owned()];
            }
            "BRT009" => {
                for line in &comments {
                    config.apply_digests(line.trim_start_matches("container/digests.env:"));
                }
            }
            _ => {}
        }
        config
    }

    #[test]
    fn every_rule_flags_its_bad_example_and_passes_its_good_one() {
        let mut failures = Vec::new();
        for entry in ALL {
            let m = entry.meta;
            let bad = example(m.docs, "## Example");
            let good = example(m.docs, "## Use instead");
            for (name, text) in [("bad", bad), ("good", good)] {
                assert!(
                    !text.lines().any(|l| l.starts_with("    ")),
                    "{}: the {name} example is indented (it shows in --explain and SARIF)",
                    m.code
                );
            }
            if crate::testing::lines_with(m.code, bad, config_for_example(m.code, bad)).is_empty() {
                failures.push(format!("{} does not flag its bad example:\n{bad}", m.code));
            }
            let flagged =
                crate::testing::lines_with(m.code, good, config_for_example(m.code, good));
            if !flagged.is_empty() {
                failures.push(format!(
                    "{} flags its good example on lines {flagged:?}:\n{good}",
                    m.code
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    #[test]
    fn catalogue_size() {
        let count = |o: Origin| ALL.iter().filter(|e| e.meta.origin == o).count();
        assert!(count(Origin::Hadolint) >= 40);
        assert!(count(Origin::Docker) >= 1);
    }
}
