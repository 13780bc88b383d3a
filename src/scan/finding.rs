//! A finding: which rule matched what, where.

use std::ops::Range;

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
    /// Byte range of the secret within the scanned fragment's text (empty for a finding about
    /// the file itself). Lets a filter replace the value in place (`leakgate redact`).
    pub span: Range<usize>,
}

impl Finding {
    /// 1-based line and column just past the end of the secret (the column is exclusive, as in
    /// SARIF's `endColumn`), computed from its length and line breaks; `(line, column)` for a
    /// finding about the file itself.
    pub fn end(&self) -> (u32, u32) {
        let value = self.secret.expose();
        if self.line == 0 || value.is_empty() {
            return (self.line, self.column);
        }
        let breaks = value.iter().filter(|&&b| b == b'\n').count();
        let tail = value.iter().rposition(|&b| b == b'\n').map_or(value.len(), |p| value.len() - p - 1);
        let lines = u32::try_from(breaks).unwrap_or(u32::MAX);
        let tail = u32::try_from(tail).unwrap_or(u32::MAX);
        if breaks == 0 {
            (self.line, self.column.saturating_add(tail))
        } else {
            (self.line.saturating_add(lines), tail.saturating_add(1))
        }
    }
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
