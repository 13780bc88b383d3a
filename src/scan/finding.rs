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
    /// In bulk scans, how many other places (commits, files) carry the same secret; this
    /// finding is the first, the one that introduced it.
    pub also_elsewhere: usize,
}

/// Keeps the first finding of each secret (per fingerprint) and counts the others in
/// `also_elsewhere`. Findings must be in scan order (oldest commit first).
pub fn dedup_by_secret(findings: Vec<Finding>) -> Vec<Finding> {
    let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        match first.get(&finding.fingerprint) {
            Some(&at) => kept[at].also_elsewhere += 1,
            None => {
                first.insert(finding.fingerprint.clone(), kept.len());
                kept.push(finding);
            }
        }
    }
    kept
}
