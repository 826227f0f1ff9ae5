//! A client for the OCI distribution API (placeholder; filled in by the registry work).
