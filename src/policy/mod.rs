//! The policy in force: built-in defaults, overridden by the repository's `.leakgate.toml`.
//!
//! Every file is parsed into its exact TOML shape (`deny_unknown_fields`, so a typo fails loudly
//! with file:line:column) and resolved once into an immutable [`ResolvedPolicy`].

mod file;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::rules::{RuleDef, Severity, BUILTIN};

pub use file::PolicyFile;

/// The repository layer's file name, at the work-tree root.
pub const REPO_POLICY_FILE: &str = ".leakgate.toml";

/// Default size limit for a scanned file: larger files are skipped and reported.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Default limit on the commits one push may carry.
pub const DEFAULT_MAX_PUSH_COMMITS: usize = 10_000;

/// The policy after every layer has been applied.
#[derive(Debug, Clone)]
pub struct ResolvedPolicy {
    /// Findings at or above this severity block; lower ones are reported as warnings.
    pub block_severity: Severity,
    /// Files larger than this are skipped (and said so).
    pub max_file_bytes: u64,
    /// A push or range with more commits than this is refused whole, never scanned in part.
    pub max_push_commits: usize,
    /// Rules switched off by id.
    pub disabled: Vec<String>,
    /// The repository policy file that was applied, if any.
    pub repo_file: Option<PathBuf>,
}

impl Default for ResolvedPolicy {
    fn default() -> Self {
        ResolvedPolicy {
            block_severity: Severity::Medium,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_push_commits: DEFAULT_MAX_PUSH_COMMITS,
            disabled: Vec::new(),
            repo_file: None,
        }
    }
}

impl ResolvedPolicy {
    /// The rules to run.
    pub fn rules(&self) -> Vec<&'static RuleDef> {
        BUILTIN.iter().filter(|r| !self.disabled.iter().any(|d| d == r.id)).collect()
    }
}

/// A policy file that cannot be used, with the place and a sentence saying what to change.
#[derive(Debug)]
pub struct PolicyError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for PolicyError {}

/// Resolves the policy for a repository whose work tree is `root` (or none, for scans outside
/// a repository).
///
/// # Errors
/// The repository policy file exists but cannot be read or is invalid.
pub fn resolve(root: Option<&Path>) -> Result<ResolvedPolicy, PolicyError> {
    let mut policy = ResolvedPolicy::default();
    let Some(root) = root else {
        return Ok(policy);
    };
    let path = root.join(REPO_POLICY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(policy),
        Err(e) => {
            return Err(PolicyError {
                file: path,
                position: None,
                message: format!("cannot read the policy file: {e}"),
            })
        }
    };
    let file = PolicyFile::parse(&text).map_err(|(position, message)| PolicyError {
        file: path.clone(),
        position,
        message,
    })?;
    file.apply(&mut policy).map_err(|message| PolicyError { file: path.clone(), position: None, message })?;
    policy.repo_file = Some(path);
    Ok(policy)
}
