use std::io::Write;

use anyhow::{Context, Result};
use git2::Repository;

use super::policy::{apply_bypass, exceptions_added, write_hook_notes};
use super::{write_report_file, Bypass, Collector, Outcome, UsageError};
use crate::audit;
use crate::cli::PreCommitArgs;
use crate::env::Env;
use crate::policy::ExceptionKind;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Format, Report};
use crate::scan::allow::{Exception, Filter};
use crate::scan::Engine;
use crate::scan::Finding;
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
    let policy = policy::resolve(env, Some(root))?;
    // Leaked on purpose: the process ends right after the scan, and freeing every compiled
    // pattern and its caches would cost a few percent of a typical hook run.
    let engine: &'static Engine = Box::leak(Box::new(Engine::new(policy.rules())?));
    let filter = Filter::new(&policy)?;
    let mut collector = Collector::filtered(engine, &filter);
    let limits = Limits { max_file_bytes: policy.max_file_bytes };
    let stats =
        source::staged::scan(&repo, env.git_index_file.as_deref(), &args.files, limits, &mut collector)?;
    let touched = std::mem::take(&mut collector.policy_files_touched);
    let mut collected = collector.into_collected();
    let added = exceptions_added(&repo, root, env, &collected, &touched);
    let mut notes = Vec::new();
    let (findings, bypass) = apply_bypass(env, &policy, std::mem::take(&mut collected.findings), &mut notes);
    collected.findings = findings;

    let report = Report {
        context: report::Context::Commit,
        findings: &collected.findings,
        stats: &stats,
        block_severity: policy.block_severity,
        max_file_bytes: policy.max_file_bytes,
        show_secrets: false,
    };
    // Recorded before anything is printed, so a closed stderr cannot lose the event.
    let audit_problem = record(env, &repo, &report, &collected.allowed, bypass.as_ref());
    term::apply(color, env, Stream::Stderr);
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    report::human::write(&mut err, &report).context("writing the report")?;
    write_hook_notes(&mut err, &policy, &filter, &collected, &added, &notes, verbose)
        .context("writing the report")?;
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

/// Appends the hook's decisions to the audit log: findings that block or warn, findings an
/// exception allowed, and findings a bypass let through. A failure is returned as a warning to
/// print, never a block; a run with nothing to say writes nothing.
pub(super) fn record(
    env: &Env,
    repo: &Repository,
    report: &Report<'_>,
    allowed: &[(Finding, Exception)],
    bypass: Option<&Bypass>,
) -> Option<String> {
    if report.findings.is_empty() && allowed.is_empty() && bypass.is_none() {
        return None;
    }
    let Some(log) = audit::Log::locate(env) else {
        return Some("no data directory is known (HOME unset?): the audit log was not written".to_string());
    };
    let place = place(repo);
    let time = audit::now_rfc3339();
    let mut events = audit::events(&place, report.findings, report.block_severity);
    for (finding, exception) in allowed {
        let kind = match exception.kind {
            ExceptionKind::Inline => audit::EventKind::AllowedInline,
            _ => audit::EventKind::Ignored,
        };
        events.push(audit::event(&place, &time, kind, finding, Some(exception.to_string())));
    }
    for finding in bypass.map(|b| b.findings.as_slice()).unwrap_or_default() {
        let reason = bypass.map(|b| b.reason.clone());
        events.push(audit::event(&place, &time, audit::EventKind::Bypassed, finding, reason));
    }
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
