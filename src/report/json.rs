//! The JSON report: one document, versioned by `schema_version`, with stable field names.
//! The schema is documented in `docs/json-schema.md`; a field is never renamed or removed
//! without bumping the version (adding a field does not bump it).

use std::io::{self, Write};

use serde::Serialize;

use super::{origin_parts, Report};

/// The version of the document's shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    command: &'static str,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    severity: &'static str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    origin: JsonOrigin<'a>,
    secret_redacted: String,
    fingerprint: &'a str,
    blocking: bool,
    remediation: Remediation<'a>,
}

#[derive(Serialize)]
struct JsonOrigin<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

#[derive(Serialize)]
struct Remediation<'a> {
    revoke: &'a str,
    url: &'a str,
    instead: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files_scanned: usize,
    bytes_scanned: u64,
    binary_skipped: usize,
    too_large_skipped: usize,
    findings: usize,
    blocking: usize,
}

/// Writes `report` as one pretty-printed JSON document followed by a newline. Secrets appear
/// only redacted, whatever `show_secrets` says.
///
/// # Errors
/// Writing fails.
pub fn write(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let findings = report
        .findings
        .iter()
        .map(|f| {
            let (kind, commit) = origin_parts(&f.origin);
            let (end_line, end_column) = f.end();
            JsonFinding {
                rule_id: f.rule.id(),
                rule_name: f.rule.name(),
                severity: f.severity.as_str(),
                path: &f.path,
                line: f.line,
                column: f.column,
                end_line,
                end_column,
                origin: JsonOrigin { kind, commit },
                secret_redacted: f.secret.redacted(),
                fingerprint: &f.fingerprint,
                blocking: report.is_blocking(f),
                remediation: Remediation {
                    revoke: f.rule.revoke(),
                    url: f.rule.url(),
                    instead: f.rule.instead(),
                },
            }
        })
        .collect();
    let stats = report.stats;
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool { name: "leakgate", version: env!("CARGO_PKG_VERSION") },
        command: report.context.as_str(),
        findings,
        summary: Summary {
            files_scanned: stats.files_scanned,
            bytes_scanned: stats.bytes_scanned,
            binary_skipped: stats.binary_skipped.len(),
            too_large_skipped: stats.too_large_skipped.len(),
            findings: report.findings.len(),
            blocking: report.blocking(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
    writeln!(out)
}
