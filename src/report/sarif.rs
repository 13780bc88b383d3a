//! SARIF 2.1.0, as GitHub code scanning accepts it: rules with help text and a
//! `security-severity`, results with a repository-relative forward-slash URI, a region, and a
//! `partialFingerprints` entry (`leakgate/v1`) so alerts de-duplicate across uploads.
//!
//! Never a snippet, never the value, not even redacted: SARIF files are uploaded and shared.
//! Commit findings carry the commit id in the message and in `properties.commit`, never in a
//! fingerprint.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{origin_parts, security_severity, Report};
use crate::rules::RuleDef;
use crate::scan::Finding;

/// The schema URI written as `$schema`.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Writes `report` as a SARIF 2.1.0 log with one run.
///
/// # Errors
/// Writing fails.
pub fn write(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let mut rules: Vec<&RuleDef> = Vec::new();
    for f in report.findings {
        if !rules.iter().any(|r| r.id() == f.rule.id()) {
            rules.push(f.rule);
        }
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = rules.iter().position(|r| r.id() == f.rule.id()).unwrap_or(0);
            result(report, f, index)
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "leakgate",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(|r| rule(report, r)).collect::<Vec<_>>(),
                }
            },
            "invocations": [{ "executionSuccessful": true }],
            "results": results,
            "properties": {
                "command": report.context.as_str(),
                "filesScanned": report.stats.files_scanned,
                "bytesScanned": report.stats.bytes_scanned,
            },
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    writeln!(out)
}

fn level(blocking: bool) -> &'static str {
    if blocking {
        "error"
    } else {
        "warning"
    }
}

fn rule(report: &Report<'_>, rule: &RuleDef) -> Value {
    let description = if rule.description().is_empty() { rule.name() } else { rule.description() };
    let revoke = if rule.revoke().is_empty() {
        "Change the value wherever it is accepted, then issue a new one."
    } else {
        rule.revoke()
    };
    let url_text = if rule.url().is_empty() { String::new() } else { format!(" ({})", rule.url()) };
    let url_md = if rule.url().is_empty() { String::new() } else { format!(" <{}>", rule.url()) };
    let instead = if rule.instead().is_empty() {
        "Read the value at run time from the environment or a secret manager.".to_string()
    } else {
        rule.instead().to_string()
    };
    let text = format!(
        "{description}\n\nWhat to do:\n\
         1. Take the value out of the file (and out of unpushed commits) and read it at run time from \
         the environment or a secret manager. {instead}\n\
         2. If the value was ever real, revoke and rotate it at the provider: {revoke}{url_text}\n\
         3. If it was already pushed or shared, rewriting history is not enough: revoke it first."
    );
    let markdown = format!(
        "{description}\n\n**What to do**\n\n\
         1. Take the value out of the file (and out of unpushed commits) and read it at run time from \
         the environment or a secret manager. {instead}\n\
         2. If the value was ever real, **revoke and rotate it at the provider**: {revoke}{url_md}\n\
         3. If it was already pushed or shared, rewriting history is not enough: **revoke it first**."
    );
    let mut value = json!({
        "id": rule.id(),
        "name": camel(rule.id()),
        "shortDescription": { "text": rule.name() },
        "fullDescription": { "text": description },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": level(rule.severity() >= report.block_severity) },
        "properties": {
            "tags": ["security", "secret", rule.family()],
            "security-severity": security_severity(rule.severity()),
            // Provider formats are exact; the generic assignment rule is a heuristic.
            "precision": if rule.family() == "generic" { "medium" } else { "high" },
        },
    });
    if !rule.url().is_empty() {
        value["helpUri"] = json!(rule.url());
    }
    value
}

fn result(report: &Report<'_>, f: &Finding, rule_index: usize) -> Value {
    let blocking = report.is_blocking(f);
    let (_, commit) = origin_parts(&f.origin);
    let in_commit = commit.map(|c| format!(" in commit {c}")).unwrap_or_default();
    let message = format!(
        "{} ({}){in_commit}, fingerprint {}. Take it out, then revoke and rotate it at the provider (see the rule's help).",
        f.rule.name(), f.rule.id(), f.fingerprint
    );
    let region = if f.line == 0 {
        json!({ "startLine": 1 })
    } else {
        let (end_line, end_column) = f.end();
        json!({
            "startLine": f.line,
            "startColumn": f.column.max(1),
            "endLine": end_line.max(f.line),
            "endColumn": end_column.max(1),
        })
    };
    let mut properties = json!({ "severity": f.severity.as_str(), "blocking": blocking });
    if let Some(oid) = commit {
        properties["commit"] = json!(oid);
    }
    json!({
        "ruleId": f.rule.id(),
        "ruleIndex": rule_index,
        "level": level(blocking),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&f.path) },
                "region": region,
            }
        }],
        "partialFingerprints": { "leakgate/v1": f.fingerprint },
        "properties": properties,
    })
}

/// A URI reference for a path: repository-relative paths stay relative (forward slashes, as the
/// sources give them); absolute paths become `file://` URIs; anything outside the unreserved set
/// is percent-encoded.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `aws.access-key-id` → `AwsAccessKeyId` (SARIF's `name` is an identifier-like string).
fn camel(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_forward_slash_and_encoded() {
        assert_eq!(uri("src/a.py"), "src/a.py");
        assert_eq!(uri("my dir/ü.txt"), "my%20dir/%C3%BC.txt");
        assert_eq!(uri("/abs/x"), "file:///abs/x");
        assert_eq!(uri("-"), "-");
        assert_eq!(camel("aws.access-key-id"), "AwsAccessKeyId");
    }
}
