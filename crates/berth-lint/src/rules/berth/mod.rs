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
