//! Reports: what was found (redacted), where, and what to do now. Reporters write to a
//! `&mut dyn Write` handed to them; they know nothing of scanning or git.

pub mod human;
pub mod term;

use crate::rules::Severity;
use crate::scan::Finding;
use crate::source::SourceStats;

/// Which command produced the report: it decides the wording of the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The pre-commit hook: findings block the commit.
    Commit,
    /// The pre-push hook: findings block the push.
    Push,
    /// A scan of a commit range or of the whole history.
    History,
    /// A scan of paths, stdin or the index on request.
    Scan,
}

/// Everything a reporter needs.
#[derive(Debug)]
pub struct Report<'a> {
    /// The command.
    pub context: Context,
    /// Findings, in source order.
    pub findings: &'a [Finding],
    /// What was read and skipped.
    pub stats: &'a SourceStats,
    /// Findings at or above this severity block.
    pub block_severity: Severity,
    /// The size limit in force (files over it were skipped).
    pub max_file_bytes: u64,
}

impl Report<'_> {
    /// Number of findings that block.
    pub fn blocking(&self) -> usize {
        self.findings.iter().filter(|f| f.severity >= self.block_severity).count()
    }
}
