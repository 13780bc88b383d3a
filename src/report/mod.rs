//! Reports: what was found (redacted), where, and what to do now. Reporters write to a
//! `&mut dyn Write` handed to them; they know nothing of scanning or git.
//!
//! - [`human`]: for people (colour decided per stream by [`term`]);
//! - [`json`]: a versioned document for machines (`docs/json-schema.md`);
//! - [`sarif`]: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers;
//! - [`file`]: `-o FILE`, created fresh with owner-only permissions.
//!
//! No reporter ever writes a secret value: they print [`crate::secret::Secret::redacted`] and the
//! fingerprint. The one exception is the human report under `scan --show-secrets`.

pub mod audit;
pub mod file;
pub mod human;
pub mod json;
pub mod remediation;
pub mod sarif;
pub mod term;

use std::io::{self, Write};

use crate::rules::Severity;
use crate::scan::Finding;
use crate::source::{Origin, SourceStats};

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

impl Context {
    /// The name used in machine formats.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Commit => "pre-commit",
            Context::Push => "pre-push",
            Context::History => "history",
            Context::Scan => "scan",
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For people.
    #[default]
    Human,
    /// The versioned JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
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
    /// Show full secret values in the human report (`scan --show-secrets` only).
    pub show_secrets: bool,
}

impl Report<'_> {
    /// Number of findings that block.
    pub fn blocking(&self) -> usize {
        self.findings.iter().filter(|f| self.is_blocking(f)).count()
    }

    /// Whether `finding` blocks under the policy in force.
    pub fn is_blocking(&self, finding: &Finding) -> bool {
        finding.severity >= self.block_severity
    }
}

/// Writes `report` in `format`. The human format writes nothing when there is nothing to say
/// (a clean commit is silent); machine formats always write a complete document.
///
/// # Errors
/// Writing fails.
pub fn write(format: Format, out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    match format {
        Format::Human => human::write(out, report),
        Format::Json => json::write(out, report),
        Format::Sarif => sarif::write(out, report),
    }
}

/// The origin of a finding as a kind name and, for commits, the object id.
pub fn origin_parts(origin: &Origin) -> (&'static str, Option<&str>) {
    match origin {
        Origin::Index => ("index", None),
        Origin::Commit(commit) => ("commit", Some(commit.id.as_str())),
        Origin::File => ("file", None),
        Origin::Stdin => ("stdin", None),
    }
}

/// The SARIF / JSON severity scale: a number GitHub maps to critical (≥ 9), high (≥ 7),
/// medium (≥ 4) and low.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::builtin;
    use crate::secret::Secret;

    fn commit_finding() -> Finding {
        let rule = builtin("aws.access-key-id").expect("rule");
        let secret = Secret::new(b"not-a-real-value-0000");
        Finding {
            rule,
            severity: rule.severity(),
            origin: Origin::Commit(std::sync::Arc::new(crate::source::CommitInfo {
                id: "ab".repeat(20),
                author: "Dev".to_string(),
                summary: "add config".to_string(),
            })),
            path: "deploy/env.sh".to_string(),
            line: 7,
            column: 5,
            fingerprint: secret.fingerprint(rule.id()),
            secret,
            span: 0..21,
            also_elsewhere: 0,
        }
    }

    fn render(format: Format, findings: &[Finding]) -> String {
        let stats = SourceStats { files_scanned: 1, bytes_scanned: 100, ..SourceStats::default() };
        let report = Report {
            context: Context::Scan,
            findings,
            stats: &stats,
            block_severity: Severity::Medium,
            max_file_bytes: 1 << 20,
            show_secrets: false,
        };
        colored::control::set_override(false);
        let mut out = Vec::new();
        write(format, &mut out, &report).expect("render");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn commit_findings_carry_their_commit_in_every_format() {
        let findings = [commit_finding()];
        let oid = "ab".repeat(20);
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json, &findings)).expect("json");
        assert_eq!(json["findings"][0]["origin"]["kind"], "commit");
        assert_eq!(json["findings"][0]["origin"]["commit"], oid.as_str());
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/json-report.schema.json")).expect("schema");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        assert!(validator.is_valid(&json), "a commit finding does not match the documented schema");
        let sarif: serde_json::Value =
            serde_json::from_str(&render(Format::Sarif, &findings)).expect("sarif");
        let result = &sarif["runs"][0]["results"][0];
        assert_eq!(result["properties"]["commit"], oid.as_str());
        assert!(result["message"]["text"].as_str().is_some_and(|m| m.contains(&oid)));
        assert!(!result["partialFingerprints"]["leakgate/v1"]
            .as_str()
            .is_some_and(|f| f.contains(&oid[..8])));
        let human = render(Format::Human, &findings);
        assert!(human.contains("deploy/env.sh (commit ababababab)"), "{human}");
        assert!(human.contains("in history since commit ababababab"), "{human}");
        for text in [human, render(Format::Json, &findings), render(Format::Sarif, &findings)] {
            assert!(!text.contains("not-a-real-value-0000"));
        }
    }
}
