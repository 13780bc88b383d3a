use std::io::{IsTerminal, Read, Write};

use anyhow::{Context, Result};
use git2::Repository;

use super::policy::{apply_bypass, write_hook_notes};
use super::{scan_commits_with, Outcome, UsageError};
use crate::cli::PrePushArgs;
use crate::env::Env;
use crate::git::{self, PushUpdate};
use crate::policy;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Report};

/// The pre-push hook: every ref line git hands over is checked, each outgoing commit on its own.
pub fn run(args: &PrePushArgs, env: &Env, color: ColorChoice, verbose: bool) -> Result<Outcome> {
    let handle = git::Repo::from(git::open_for_hook()?);
    let repo = handle.git()?;
    let root = repo.workdir().map(std::path::Path::to_path_buf);
    let policy = policy::resolve(env, root.as_deref())?;
    let remote = args
        .remote
        .clone()
        .or_else(|| env.pre_commit_push.remote_name.clone())
        .unwrap_or_else(|| "origin".to_string());
    let updates = read_updates(repo, env)?;
    let commits = git::outgoing_commits(repo, &remote, &updates)?;
    if commits.len() > policy.max_push_commits {
        return Err(UsageError(format!(
            "this push carries {} commits, more than max-push-commits = {}; leakgate refuses it rather than \
             check it in part. Check it with `leakgate scan --range <remote branch>..<local branch>`, then raise \
             max-push-commits in .leakgate.toml or push in smaller steps",
            commits.len(),
            policy.max_push_commits
        ))
        .into());
    }
    let filter = crate::scan::allow::Filter::new(&policy)?;
    let (mut collected, stats) = scan_commits_with(repo, &commits, &policy, Some(&filter), &|_| {})?;
    let mut notes = Vec::new();
    let (findings, bypass) = apply_bypass(env, &policy, std::mem::take(&mut collected.findings), &mut notes);
    collected.findings = findings;
    let findings = &collected.findings;
    let report = Report {
        context: report::Context::Push,
        findings,
        stats: &stats,
        block_severity: policy.block_severity,
        max_file_bytes: policy.max_file_bytes,
        show_secrets: false,
    };
    // Recorded before anything is printed, so a closed stderr cannot lose the event.
    let audit_problem = super::record_audit(env, &handle, &report, &collected.allowed, bypass.as_ref());
    term::apply(color, env, Stream::Stderr);
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    report::human::write(&mut err, &report).context("writing the report")?;
    write_hook_notes(&mut err, &policy, &filter, &collected, &[], &notes, verbose)
        .context("writing the report")?;
    if verbose && findings.is_empty() {
        report::human::write_summary(&mut err, &report).context("writing the report")?;
    }
    if let Some(problem) = audit_problem {
        report::human::write_warning(&mut err, &problem).ok();
    }
    err.flush().ok();
    Ok(if report.blocking() > 0 { Outcome::Blocked } else { Outcome::Clean })
}

/// git's ref lines from stdin; under the pre-commit framework (which consumes stdin itself),
/// the one ref it describes in `PRE_COMMIT_*` variables.
fn read_updates(repo: &Repository, env: &Env) -> Result<Vec<PushUpdate>> {
    let framework = &env.pre_commit_push;
    if framework.to_ref.is_some() || framework.local_branch.is_some() {
        let local = framework.to_ref.as_deref().or(framework.local_branch.as_deref()).unwrap_or_default();
        let local_oid = resolve(repo, local)?;
        let remote_oid = match &framework.from_ref {
            Some(from) if framework.to_ref.is_some() => resolve(repo, from)?,
            _ => "0".repeat(local_oid.len()),
        };
        return Ok(vec![PushUpdate {
            local_ref: local.to_string(),
            local_oid,
            remote_ref: framework.local_branch.clone().unwrap_or_default(),
            remote_oid,
        }]);
    }
    let mut input = String::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin().read_to_string(&mut input).context("reading the pre-push ref lines from stdin")?;
    }
    Ok(git::parse_push_lines(&input)?)
}

fn resolve(repo: &Repository, rev: &str) -> Result<String> {
    let object =
        repo.revparse_single(rev).with_context(|| format!("{rev:?} is not a revision in this repository"))?;
    Ok(object.id().to_string())
}
