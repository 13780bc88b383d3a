//! The human report: findings grouped by file, then what to do, then one summary line.

use std::io::{self, Write};

use colored::Colorize;

use super::{Context, Report};
use crate::rules::{RuleDef, Severity};
use crate::scan::Finding;
use crate::source::Origin;

/// Writes `report` for a person.
///
/// # Errors
/// Writing fails.
pub fn write(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    write_skips(out, report)?;
    if report.findings.is_empty() {
        return Ok(());
    }
    write_headline(out, report)?;
    write_findings(out, report)?;
    if report.blocking() > 0 {
        write_remedies(out, report)?;
    }
    write_summary(out, report)
}

fn write_skips(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    for (path, size) in &report.stats.too_large_skipped {
        writeln!(
            out,
            "{} {path} was not scanned: {} is over the {} limit (max-file-bytes in .leakgate.toml)",
            "warning:".yellow().bold(),
            human_bytes(*size),
            human_bytes(report.max_file_bytes)
        )?;
    }
    Ok(())
}

/// First line, so that a commit dialog showing only the top of the output still says why.
fn write_headline(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let blocking = report.blocking();
    let files = {
        let mut paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        paths.len()
    };
    let what = match (report.context, blocking) {
        (Context::Commit, 0) => "this commit may add secrets (warnings only)".to_string(),
        (Context::Commit, n) => {
            format!("commit blocked: it adds {n} secret{} in {files} file{}", plural(n), plural(files))
        }
        (Context::Push, 0) => "this push may carry secrets (warnings only)".to_string(),
        (Context::Push, n) => {
            format!("push blocked: its commits add {n} secret{} in {files} file{}", plural(n), plural(files))
        }
        (Context::Scan | Context::History, _) => {
            let n = report.findings.len();
            format!("{n} possible secret{} in {files} file{}", plural(n), plural(files))
        }
    };
    let painted = if blocking > 0 { what.red().bold() } else { what.yellow() };
    writeln!(out, "leakgate: {painted}")
}

fn write_findings(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let mut current: Option<(&Origin, &str)> = None;
    for finding in report.findings {
        if current != Some((&finding.origin, finding.path.as_str())) {
            match &finding.origin {
                Origin::Commit(commit) => writeln!(
                    out,
                    "\n{}  {}",
                    finding.path.bold(),
                    format!("(commit {} by {}: {})", commit.short_id(), commit.author, commit.summary)
                        .dimmed()
                )?,
                _ => writeln!(out, "\n{}", finding.path.bold())?,
            }
            current = Some((&finding.origin, &finding.path));
        }
        let location = if finding.line == 0 {
            "file".to_string()
        } else {
            format!("{}:{}", finding.line, finding.column)
        };
        let verdict = if finding.severity >= report.block_severity { "" } else { " (warning only)" };
        let elsewhere = match finding.also_elsewhere {
            0 => String::new(),
            n => format!(" (also in {n} other place{})", plural(n)),
        };
        writeln!(
            out,
            "  {:<8} {}  {} [{}]  {}  {}{}{}",
            location,
            finding.rule.id.yellow(),
            finding.rule.name,
            paint(finding.severity),
            finding.secret.redacted().cyan(),
            finding.fingerprint.dimmed(),
            verdict,
            elsewhere
        )?;
    }
    writeln!(out)
}

fn paint(severity: Severity) -> colored::ColoredString {
    match severity {
        Severity::Critical | Severity::High => severity.as_str().red().bold(),
        Severity::Medium => severity.as_str().yellow(),
        Severity::Low => severity.as_str().normal(),
    }
}

fn write_remedies(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let blocking: Vec<&Finding> =
        report.findings.iter().filter(|f| f.severity >= report.block_severity).collect();
    let mut paths: Vec<&str> = blocking.iter().map(|f| f.path.as_str()).collect();
    paths.dedup();
    let mut rules: Vec<&RuleDef> = Vec::new();
    for f in &blocking {
        if !rules.iter().any(|r| r.id == f.rule.id) {
            rules.push(f.rule);
        }
    }
    writeln!(out, "{}", "What to do now".bold())?;
    match report.context {
        Context::Commit => {
            writeln!(out, "  1. Take the secret out of this commit: remove the value from the file, then stage it again")?;
            for path in &paths {
                writeln!(out, "       git add {path}    (or unstage the file: git restore --staged {path})")?;
            }
        }
        Context::Push => {
            writeln!(
                out,
                "  1. Take the secret out of the commits above before pushing again: remove the value, then"
            )?;
            writeln!(out, "       git commit --amend                  if it is in the last commit only, or")?;
            writeln!(out, "       git rebase -i <first listed commit>^  and edit each listed commit;")?;
            writeln!(out, "     a later commit that deletes the line is not enough: the earlier commit would still be pushed.")?;
        }
        Context::Scan | Context::History => {
            writeln!(
                out,
                "  1. Take the secret out of the files (and, for history, treat it as leaked: see 2 and 3)"
            )?;
        }
    }
    writeln!(out, "     and replace it with a reference read at run time:")?;
    for rule in &rules {
        if !rule.instead.is_empty() {
            writeln!(out, "       {}: {}", rule.id.yellow(), rule.instead)?;
        }
    }
    writeln!(out, "  2. If the value was ever real, revoke and rotate it at the provider:")?;
    for rule in &rules {
        let url = if rule.url.is_empty() { String::new() } else { format!(" {}", rule.url.underline()) };
        writeln!(out, "       {}: {}{url}", rule.id.yellow(), rule.revoke)?;
    }
    writeln!(
        out,
        "  3. If it was already pushed or shared, rewriting history is not enough: revoke it first.\n"
    )
}

/// Writes the one-line summary (also used alone in verbose mode when nothing was found).
///
/// # Errors
/// Writing fails.
pub fn write_summary(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let stats = report.stats;
    let blocking = report.blocking();
    let mut line = format!(
        "{} finding{} ({blocking} blocking) in {} file{} scanned",
        report.findings.len(),
        plural(report.findings.len()),
        stats.files_scanned,
        plural(stats.files_scanned)
    );
    if !stats.binary_skipped.is_empty() {
        line.push_str(&format!(", {} binary skipped", stats.binary_skipped.len()));
    }
    if !stats.too_large_skipped.is_empty() {
        line.push_str(&format!(", {} too large skipped", stats.too_large_skipped.len()));
    }
    if stats.commits_scanned > 0 {
        line.push_str(&format!(" across {} commit{}", stats.commits_scanned, plural(stats.commits_scanned)));
    }
    let verdict = match (report.context, blocking > 0) {
        (Context::Commit, true) => "commit blocked".red().bold().to_string(),
        (Context::Commit, false) => "commit allowed".green().to_string(),
        (Context::Push, true) => "push blocked".red().bold().to_string(),
        (Context::Push, false) => "push allowed".green().to_string(),
        (Context::Scan | Context::History, true) => "secrets found".red().bold().to_string(),
        (Context::Scan | Context::History, false) => "no blocking secrets".green().to_string(),
    };
    writeln!(out, "leakgate: {line}: {verdict}")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}
