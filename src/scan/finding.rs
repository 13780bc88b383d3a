//! A finding: which rule matched what, where.

use crate::rules::{RuleDef, Severity};
use crate::secret::Secret;
use crate::source::Origin;

/// One secret found in one place.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that matched.
    pub rule: &'static RuleDef,
    /// Severity in force (the rule's, possibly changed by policy).
    pub severity: Severity,
    /// Where the content came from.
    pub origin: Origin,
    /// Path of the file.
    pub path: String,
    /// 1-based line in the new file (0 for a finding about the file itself).
    pub line: u32,
    /// 1-based byte column in that line (0 for a finding about the file itself).
    pub column: u32,
    /// The value (redacted whenever displayed).
    pub secret: Secret,
    /// Stable fingerprint of rule and value.
    pub fingerprint: String,
}
