//! OCI images without a daemon, for `berth package`.
//!
//! This crate owns turning "a base image and some model files" into a new image: reading the base
//! by digest (from a registry or an OCI layout), writing one reproducible layer with the model,
//! deriving the config and manifest (and an index, for a multi-platform base) from the base's, and
//! writing the result to a registry, an OCI layout or a `docker load` archive.
//!
//! It knows nothing of ONNX (checking that a model can be served is the binary's job, with
//! `berth-engine`) and nothing of HTTP serving.

mod archive;
mod base;
mod digest;
mod error;
pub mod image;
mod layer;
pub mod layout;
mod location;
mod package;
pub mod registry;
mod stored_gzip;
mod verify;

pub use digest::{sha256_digest, sha256_hex};
pub use error::OciError;
pub use layer::{GZIP_LEVEL, LayerCompression, LayerDigests, LayerFile, LayerSpec, write_layer};
pub use location::{Location, parse_reference};
pub use package::{
    ImageReport, MODEL_DIRECTORY, PackageOptions, PackageReport, Prepared, package, prepare,
};

/// Result type of this crate.
pub type Result<T, E = OciError> = std::result::Result<T, E>;

pub use image::Platform;
pub use oci_spec::distribution::Reference;
