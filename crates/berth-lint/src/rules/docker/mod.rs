//! Docker's build checks (`docker build --check`), their names kept as codes.

// In registry order: `--list-rules` and SARIF list them so.
rule_modules![
    instruction_casing,
    copy_ignored_file,
    duplicate_stage_name,
    expose_invalid_format,
    expose_proto_casing,
    from_as_casing,
    from_platform_const,
    invalid_base_image_platform,
    invalid_default_arg_in_from,
    invalid_definition_description,
    json_args_recommended,
    legacy_key_value,
    maintainer_deprecated,
    multiple_instructions,
    empty_continuation,
    redundant_target_platform,
    reserved_stage_name,
    secrets_in_arg_env,
    stage_name_casing,
    undefined_arg_in_from,
    undefined_var,
    workdir_relative_path,
];
