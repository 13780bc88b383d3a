use std::io::Write;

use anyhow::{Context, Result};

use super::policy::{apply_bypass, exceptions_added, write_hook_notes};
use super::{record_audit, write_report_file, Collector, Outcome, UsageError};
use crate::cli::PreCommitArgs;
use crate::env::Env;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Format, Report};
use crate::scan::allow::Filter;
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
    let repo = git::Repo::for_hook(env.git_relocated)?;
    let root = git::workdir(&repo)?;
    let policy = policy::resolve(env, Some(root))?;
    // Leaked on purpose: the process ends right after the scan, and freeing every compiled
    // pattern and its caches would cost a few percent of a typical hook run.
    let engine: &'static Engine = Box::leak(Box::new(Engine::new(policy.rules())?));
    let filter = Filter::new(&policy)?;
    let limits = Limits { max_file_bytes: policy.max_file_bytes };
    let (parts, stats) =
        source::staged::scan_parallel(&repo, env.git_index_file.as_deref(), &args.files, limits, || {
            Collector::filtered(engine, &filter)
        })?;
    let mut collector = Collector::merge(parts, engine, Some(&filter));
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
    let audit_problem = record_audit(env, &repo, &report, &collected.allowed, bypass.as_ref());
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
