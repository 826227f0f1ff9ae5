//! Docker's build checks (`docker build --check`), their names kept as codes.

pub(crate) mod copy_ignored_file;
pub(crate) mod duplicate_stage_name;
pub(crate) mod empty_continuation;
pub(crate) mod expose_invalid_format;
pub(crate) mod expose_proto_casing;
pub(crate) mod from_as_casing;
pub(crate) mod from_platform_const;
pub(crate) mod instruction_casing;
pub(crate) mod invalid_base_image_platform;
pub(crate) mod invalid_default_arg_in_from;
pub(crate) mod invalid_definition_description;
pub(crate) mod json_args_recommended;
pub(crate) mod legacy_key_value;
pub(crate) mod maintainer_deprecated;
pub(crate) mod multiple_instructions;
pub(crate) mod redundant_target_platform;
pub(crate) mod reserved_stage_name;
pub(crate) mod secrets_in_arg_env;
pub(crate) mod stage_name_casing;
pub(crate) mod undefined_arg_in_from;
pub(crate) mod undefined_var;
pub(crate) mod workdir_relative_path;
