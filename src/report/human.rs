//! The human report: a headline, findings grouped by file with what to do for that file, then
//! what to do at the provider, then one summary line. The same layout for every command; the
//! wording of the first step follows where the content came from (the index, a commit, a file or
//! standard input).

use std::io::{self, Write};

use colored::Colorize;

use super::remediation::Advice;
use super::{Context, Report};
use crate::rules::{RuleDef, Severity};
use crate::scan::Finding;
use crate::source::Origin;

/// Writes `report` for a person. Writes nothing at all for a clean result without skipped
/// files, so that a clean commit stays silent.
///
/// # Errors
/// Writing fails.
pub fn write(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    write_skips(out, report)?;
    if report.findings.is_empty() {
        return Ok(());
    }
    if report.show_secrets {
        writeln!(
            out,
            "{} --show-secrets: full secret values are printed below; do not share, paste or log this output",
            "warning:".red().bold()
        )?;
    }
    write_headline(out, report)?;
    let advice = Advice::load();
    write_files(out, report, &advice)?;
    write_remedies(out, report)?;
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

/// Consecutive findings with the same path and origin.
fn groups(findings: &[Finding]) -> Vec<&[Finding]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=findings.len() {
        if i == findings.len()
            || findings[i].path != findings[start].path
            || findings[i].origin != findings[start].origin
        {
            out.push(&findings[start..i]);
            start = i;
        }
    }
    out
}

fn write_files(out: &mut dyn Write, report: &Report<'_>, advice: &Advice) -> io::Result<()> {
    for group in groups(report.findings) {
        let first = &group[0];
        match &first.origin {
            Origin::Commit(commit) => writeln!(
                out,
                "\n{} (commit {})  {}",
                first.path.bold(),
                commit.short_id(),
                format!("{}: {}", commit.author, commit.summary).dimmed()
            )?,
            _ => writeln!(out, "\n{}", first.path.bold())?,
        }
        for finding in group {
            write_finding(out, report, finding)?;
        }
        write_first_step(out, report.context, group, advice)?;
    }
    writeln!(out)
}

fn write_finding(out: &mut dyn Write, report: &Report<'_>, finding: &Finding) -> io::Result<()> {
    let location =
        if finding.line == 0 { "file".to_string() } else { format!("{}:{}", finding.line, finding.column) };
    let value = if finding.line == 0 {
        "(the file itself)".to_string()
    } else if report.show_secrets {
        format!("{:?}", String::from_utf8_lossy(finding.secret.expose()))
    } else {
        finding.secret.redacted()
    };
    let verdict = if report.is_blocking(finding) { "" } else { " (warning only)" };
    let elsewhere = match finding.also_elsewhere {
        0 => String::new(),
        n => format!(" (also in {n} other place{})", plural(n)),
    };
    writeln!(
        out,
        "  {:<8} {}  {} [{}]  {}  {}{}{}",
        location,
        finding.rule.id().yellow(),
        finding.rule.name(),
        paint(finding.severity),
        value.cyan(),
        finding.fingerprint.dimmed(),
        verdict,
        elsewhere
    )
}

/// Step 1, for this file: take it out now, with the exact commands, and what to write instead.
fn write_first_step(
    out: &mut dyn Write,
    context: Context,
    group: &[Finding],
    advice: &Advice,
) -> io::Result<()> {
    let first = &group[0];
    let path = first.path.as_str();
    let quoted = shell_quote(path);
    let kind = advice.for_path(path);
    // Rules about the file itself (a key file), or a kind of file that should never be
    // committed (a .env file): the whole file must go, not just the value.
    let whole_file = group.iter().all(|f| f.line == 0) || kind.is_some_and(|k| k.keep_out);
    let step = "1.".bold();
    match &first.origin {
        Origin::Index if whole_file => {
            writeln!(out, "  {step} take the file out of this commit now, and keep it out of git:")?;
            writeln!(out, "       git rm --cached {quoted} && echo {quoted} >> .gitignore")?;
        }
        Origin::Index => {
            writeln!(out, "  {step} take it out of this commit now: delete the value from the file, then")?;
            writeln!(out, "       git add {quoted}")?;
            writeln!(out, "     (or leave the file out of this commit: git restore --staged {quoted})")?;
        }
        Origin::Commit(commit) if context == Context::Push => {
            let oid = commit.short_id();
            writeln!(
                out,
                "  {step} take it out of commit {oid} before it leaves: rewrite the unpushed commits"
            )?;
            writeln!(out, "       git rebase -i {oid}^")?;
            writeln!(
                out,
                "     (mark {oid} as edit; delete the value; git add {quoted}; git commit --amend; git rebase --continue;"
            )?;
            writeln!(
                out,
                "      if it is the last commit, `git commit --amend` alone will do). A later commit that deletes"
            )?;
            writeln!(out, "     the line is not enough: the earlier commit would still be pushed.")?;
        }
        Origin::Commit(commit) => {
            writeln!(
                out,
                "  {step} it is in history since commit {}: treat it as exposed to everyone who has the repository;",
                commit.short_id()
            )?;
            writeln!(out, "     delete the value from {quoted} in a new commit, and revoke it (step 2) before anything else")?;
        }
        Origin::Stdin => {
            writeln!(
                out,
                "  {step} remove it at the source of this text, and share such text only through `leakgate redact`"
            )?;
            return Ok(());
        }
        Origin::File if whole_file => {
            writeln!(out, "  {step} keep this file out of git: add {quoted} to .gitignore")?;
        }
        Origin::File => {
            let where_ = if context == Context::Commit { "this commit" } else { "the file" };
            writeln!(out, "  {step} take it out of {where_} now: delete the value from {quoted}")?;
        }
    }
    let Some(kind) = kind else {
        return Ok(());
    };
    writeln!(out, "     and replace it ({}): {}", kind.label, kind.advice)?;
    // Rules about the file itself name no value to replace.
    let mut rules: Vec<&str> = group.iter().filter(|f| f.line != 0).map(|f| f.rule.id()).collect();
    rules.dedup();
    for rule in rules {
        writeln!(out, "       {}", advice.reference(kind, rule).green())?;
    }
    Ok(())
}

fn paint(severity: Severity) -> colored::ColoredString {
    match severity {
        Severity::Critical | Severity::High => severity.as_str().red().bold(),
        Severity::Medium => severity.as_str().yellow(),
        Severity::Low => severity.as_str().normal(),
    }
}

/// Steps 2 and 3, once per rule: revoke and rotate at the provider, and what pushing changes.
fn write_remedies(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let mut rules: Vec<&RuleDef> = Vec::new();
    for f in report.findings {
        if !rules.iter().any(|r| r.id() == f.rule.id()) {
            rules.push(f.rule);
        }
    }
    writeln!(out, "{}", "Then, for every secret above".bold())?;
    writeln!(out, "  {} if the value was ever real, revoke and rotate it at the provider:", "2.".bold())?;
    for rule in &rules {
        let revoke = if rule.revoke().is_empty() {
            "change it wherever it is accepted, then issue a new one"
        } else {
            rule.revoke()
        };
        writeln!(out, "       {} ({}): {revoke}", rule.id().yellow(), rule.name())?;
        if !rule.url().is_empty() {
            writeln!(out, "         {}", rule.url().underline())?;
        }
        if !rule.instead().is_empty() {
            writeln!(out, "         instead: {}", rule.instead())?;
        }
    }
    writeln!(
        out,
        "  {} if it was already pushed or shared, rewriting history is not enough: revoke it first.",
        "3.".bold()
    )?;
    writeln!(out)
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
    if !stats.submodules_skipped.is_empty() {
        let n = stats.submodules_skipped.len();
        line.push_str(&format!(", {n} submodule{} not descended into", plural(n)));
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

/// The `redact -v` summary line.
///
/// # Errors
/// Writing fails.
pub fn write_redact_summary(out: &mut dyn Write, replaced: u64, bytes: u64) -> io::Result<()> {
    let plural = if replaced == 1 { "" } else { "s" };
    writeln!(out, "leakgate: redacted {replaced} secret{plural} in {}", human_bytes(bytes))
}

/// One warning line (`leakgate: warning: ...`).
///
/// # Errors
/// Writing fails.
pub fn write_warning(out: &mut dyn Write, what: &str) -> io::Result<()> {
    writeln!(out, "leakgate: {} {what}", "warning:".yellow().bold())
}

/// Quotes a path for a POSIX shell when it needs it. A name that is not UTF-8 reaches here with
/// `\u{FFFD}` in place of its invalid bytes; each becomes `*`, which git's pathspecs (and
/// `.gitignore`) match as a glob, so the suggested command still names the real file.
fn shell_quote(path: &str) -> String {
    let globbed;
    let path = if path.contains('\u{FFFD}') {
        globbed = path.replace('\u{FFFD}', "*");
        globbed.as_str()
    } else {
        path
    };
    let plain = !path.is_empty()
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+@%=:,".contains(&b))
        && !path.starts_with('-');
    if plain {
        path.to_string()
    } else if path.starts_with('-') {
        format!("-- '{}'", path.replace('\'', r"'\''"))
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
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

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn paths_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("src/a.py"), "src/a.py");
        assert_eq!(shell_quote("my dir/it's.txt"), r"'my dir/it'\''s.txt'");
        assert_eq!(shell_quote("caf\u{FFFD}.txt"), "'caf*.txt'");
    }
}
