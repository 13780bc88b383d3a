//! leakgate stops secrets at the commit.
//!
//! ```text
//! argv/env ─► cli ─► policy::resolve (built-in < organisation < repository < --config; enforced floor)
//!                       │
//! source::{staged, paths, stdin} ─► Fragment { origin, path, first_line, text }
//!                       │
//! scan::Engine: keyword prefilter (aho-corasick) ─► rule regex (compiled lazily)
//!               ─► validators (entropy, placeholders, structure) ─► Finding
//!               ─► scan::allow (allowlists, inline markers, .leakgate-ignore; never for
//!                  enforced rules) in cmd's Collector
//!                       │
//! report::{human, json, sarif} (redacted)   audit log (fingerprints only)   redact filter
//!                       │
//! exit code 0 clean / 1 blocked / 2 usage or policy / 3 internal
//! ```
//!
//! Sources know git (only `git` touches libgit2); the engine knows nothing of git; reports know
//! nothing of scanning.

pub mod audit;
pub mod cli;
pub mod cmd;
pub mod env;
pub mod git;
pub mod hook;
pub mod policy;
pub mod redact;
pub mod report;
pub mod rules;
pub mod scan;
pub mod secret;
pub mod source;
