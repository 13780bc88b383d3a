use std::io::Write;

use anyhow::{Context, Result};
use git2::Repository;

use super::{write_report_file, Collector, Outcome, UsageError};
use crate::audit;
use crate::cli::PreCommitArgs;
use crate::env::Env;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Format, Report};
use crate::scan::Engine;
use crate::source::{self, Limits};
use crate::{git, policy};

/// The hook: scan exactly what the commit will record; report on stderr (git shows it), and
/// optionally to a file; record findings in the audit log.
pub fn run(args: &PreCommitArgs, env: &Env, color: ColorChoice, verbose: bool) -> Result<Outcome> {
    let format = Format::from(args.format);
    if format != Format::Human && args.output.is_none() {
        return Err(UsageError(
            "--format json|sarif needs -o FILE in a hook: git shows the hook's output to people as text"
                .to_string(),
        )
        .into());
    }
    let repo = git::open_for_hook()?;
    let root = git::workdir(&repo)?;
    let policy = policy::resolve(Some(root))?;
    let engine = Engine::new(policy.rules())?;
    let mut collector = Collector::new(&engine);
    let limits = Limits { max_file_bytes: policy.max_file_bytes };
    let stats =
        source::staged::scan(&repo, env.git_index_file.as_deref(), &args.files, limits, &mut collector)?;

    let report = Report {
        context: report::Context::Commit,
        findings: &collector.findings,
        stats: &stats,
        block_severity: policy.block_severity,
        max_file_bytes: policy.max_file_bytes,
        show_secrets: false,
    };
    // Recorded before anything is printed, so a closed stderr cannot lose the event.
    let audit_problem = if report.findings.is_empty() { None } else { record(env, &repo, &report) };
    term::apply(color, env, Stream::Stderr);
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    report::human::write(&mut err, &report).context("writing the report")?;
    if verbose && report.findings.is_empty() {
        report::human::write_summary(&mut err, &report).context("writing the report")?;
    }
    if let Some(problem) = audit_problem {
        report::human::write_warning(&mut err, &problem).ok();
    }
    err.flush().ok();
    drop(err);
    if let Some(path) = &args.output {
        write_report_file(path, format, &report)?;
    }
    Ok(if report.blocking() > 0 { Outcome::Blocked } else { Outcome::Clean })
}

/// Appends the findings to the audit log. A failure is returned as a warning to print, never
/// a block.
pub(super) fn record(env: &Env, repo: &Repository, report: &Report<'_>) -> Option<String> {
    let Some(log) = audit::Log::locate(env) else {
        return Some("no data directory is known (HOME unset?): the audit log was not written".to_string());
    };
    let events = audit::events(&place(repo), report.findings, report.block_severity);
    match log.append(&events) {
        Ok(()) => None,
        Err(e) => Some(format!("could not write the audit log {}: {e}", log.path().display())),
    }
}

/// The repository (remote `origin` without credentials, else the work-tree path) and branch.
fn place(repo: &Repository) -> audit::Place {
    let remote = repo.find_remote("origin").ok().and_then(|r| r.url().map(audit::strip_credentials));
    let repository = remote.unwrap_or_else(|| {
        let dir = repo.workdir().unwrap_or_else(|| repo.path());
        dir.to_string_lossy().trim_end_matches('/').to_string()
    });
    let branch = match repo.find_reference("HEAD") {
        Ok(head) => match head.symbolic_target() {
            Some(target) => target.strip_prefix("refs/heads/").unwrap_or(target).to_string(),
            None => "(detached)".to_string(),
        },
        Err(_) => "(unknown)".to_string(),
    };
    audit::Place { repository, branch }
}
