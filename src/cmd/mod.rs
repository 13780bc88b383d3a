//! One module per subcommand; each returns an [`Outcome`] and leaves exit codes to `main`.

mod audit;
mod baseline;
mod doctor;
mod install;
mod policy;

pub use policy::Bypass;
mod pre_commit;
mod pre_push;
mod redact;
mod rules;
mod scan;

use std::fmt;

use anyhow::Result;

use crate::cli::{Cli, Color, Command, Format};
use crate::env::Env;
use crate::report;
use crate::report::term::ColorChoice;
use crate::scan::allow::{self, Exception, Filter, Marker};
use crate::scan::{Engine, Finding};
use crate::source::{Fragment, Origin, Sink};

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing blocks.
    Clean,
    /// Findings block (the commit is refused).
    Blocked,
}

/// The user asked for something that cannot be done as asked (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs the parsed command line.
///
/// # Errors
/// Whatever the command fails with; `main` maps [`UsageError`] and policy errors to exit 2 and
/// anything else to 3.
pub fn run(cli: &Cli, env: &Env) -> Result<Outcome> {
    let with_config;
    let env = if cli.config.is_empty() {
        env
    } else {
        with_config = Env { cli_config: cli.config.clone(), ..env.clone() };
        &with_config
    };
    let color = match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    };
    match &cli.command {
        Command::PreCommit(args) => pre_commit::run(args, env, color, cli.verbose),
        Command::PrePush(args) => pre_push::run(args, env, color, cli.verbose),
        Command::Scan(args) => scan::run(args, env, color, cli.verbose),
        Command::Redact => redact::run(env, cli.verbose),
        Command::Audit(args) => audit::run(args, env, color),
        Command::Install(args) => install::install(args),
        Command::Uninstall(args) => install::uninstall(args),
        Command::Doctor => doctor::run(),
        Command::Rules { format } => rules::run(*format),
        Command::Policy(args) => policy::run(args, env),
        Command::Baseline(args) => baseline::run(args, env),
    }
}

/// Scans commits (oldest first) in parallel; each secret is reported once, at the commit that
/// introduced it, with the number of other places that carry it. The policy's exceptions apply.
fn scan_commits(
    repo: &git2::Repository,
    commits: &[git2::Oid],
    policy: &crate::policy::ResolvedPolicy,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(Vec<Finding>, crate::source::SourceStats)> {
    let filter = Filter::new(policy)?;
    let (collected, stats) = scan_commits_with(repo, commits, policy, Some(&filter), progress)?;
    Ok((collected.findings, stats))
}

impl From<Format> for report::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Human => report::Format::Human,
            Format::Json => report::Format::Json,
            Format::Sarif => report::Format::Sarif,
        }
    }
}

/// Writes `report` in `format` to the file `path` (owner-only, created fresh), without colour.
fn write_report_file(
    path: &std::path::Path,
    format: report::Format,
    report: &report::Report<'_>,
) -> Result<()> {
    use anyhow::Context as _;
    colored::control::set_override(false);
    let mut buf = Vec::new();
    report::write(format, &mut buf, report).context("rendering the report")?;
    if format == report::Format::Human && buf.is_empty() {
        report::human::write_summary(&mut buf, report).context("rendering the report")?;
    }
    report::file::write_private(path, &buf)
        .with_context(|| format!("writing the report to {}", path.display()))
}

/// [`scan_commits`] with an explicit filter (none: every finding, for `baseline`), keeping what
/// the filter decided.
fn scan_commits_with(
    repo: &git2::Repository,
    commits: &[git2::Oid],
    policy: &crate::policy::ResolvedPolicy,
    filter: Option<&Filter<'_>>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(Collected, crate::source::SourceStats)> {
    let engine = Engine::new(policy.rules())?;
    let limits = crate::source::Limits { max_file_bytes: policy.max_file_bytes };
    let (sinks, stats) = crate::source::commits::scan(
        repo.path(),
        commits,
        limits,
        || Collector { filter, ..Collector::new(&engine) },
        progress,
    )?;
    let mut all = Collector::merge(sinks, &engine, filter).into_collected();
    all.findings = crate::scan::dedup_by_secret(all.findings);
    Ok((all, stats))
}

/// What a scan kept, and what the policy's exceptions did.
#[derive(Debug, Default)]
struct Collected {
    findings: Vec<Finding>,
    /// Findings an exception allowed.
    allowed: Vec<(Finding, Exception)>,
    /// Findings that still count although exceptions matched them (enforced rules, invalid
    /// exceptions), with the refused exceptions and why.
    refused: Vec<(Finding, Vec<(Exception, String)>)>,
    /// Inline markers on the added lines.
    markers: Vec<Marker>,
}

/// Feeds a source's output to the engine, applies the policy's exceptions, and keeps the
/// findings.
struct Collector<'e> {
    engine: &'e Engine,
    filter: Option<&'e Filter<'e>>,
    findings: Vec<Finding>,
    allowed: Vec<(Finding, Exception)>,
    refused: Vec<(Finding, Vec<(Exception, String)>)>,
    markers: Vec<Marker>,
    /// Paths seen (only the policy files are remembered).
    policy_files_touched: Vec<String>,
}

impl<'e> Collector<'e> {
    fn new(engine: &'e Engine) -> Self {
        Collector {
            engine,
            filter: None,
            findings: Vec::new(),
            allowed: Vec::new(),
            refused: Vec::new(),
            markers: Vec::new(),
            policy_files_touched: Vec::new(),
        }
    }

    fn filtered(engine: &'e Engine, filter: &'e Filter<'e>) -> Self {
        Collector { filter: Some(filter), ..Collector::new(engine) }
    }

    fn judge(&mut self, start: usize, fragment: Option<&Fragment<'_>>) {
        let Some(filter) = self.filter else {
            return;
        };
        let fresh: Vec<Finding> = self.findings.drain(start..).collect();
        for finding in fresh {
            let (line, previous) = fragment.map_or((None, None), |f| allow::lines_at(f, finding.line));
            let judged = filter.judge(&finding, line, previous);
            match judged.allowed_by {
                Some(exception) => self.allowed.push((finding, exception)),
                None => {
                    if !judged.refused.is_empty() {
                        self.refused.push((finding.clone(), judged.refused));
                    }
                    self.findings.push(finding);
                }
            }
        }
    }

    /// One collector holding what the per-thread collectors of a parallel scan kept, in order.
    fn merge(parts: Vec<Collector<'e>>, engine: &'e Engine, filter: Option<&'e Filter<'e>>) -> Self {
        let mut all = Collector { filter, ..Collector::new(engine) };
        for part in parts {
            all.findings.extend(part.findings);
            all.allowed.extend(part.allowed);
            all.refused.extend(part.refused);
            all.markers.extend(part.markers);
            all.policy_files_touched.extend(part.policy_files_touched);
        }
        all
    }

    fn into_collected(self) -> Collected {
        Collected {
            findings: self.findings,
            allowed: self.allowed,
            refused: self.refused,
            markers: self.markers,
        }
    }
}

impl Sink for Collector<'_> {
    fn file(&mut self, path: &str, origin: &Origin) -> Result<()> {
        if path == crate::policy::REPO_POLICY_FILE || path == crate::policy::IGNORE_FILE {
            self.policy_files_touched.push(path.to_string());
        }
        let start = self.findings.len();
        self.engine.scan_path(path, origin, &mut self.findings)?;
        self.judge(start, None);
        Ok(())
    }

    fn fragment(&mut self, fragment: &Fragment<'_>) -> Result<()> {
        let start = self.findings.len();
        self.engine.scan(fragment, &mut self.findings)?;
        self.judge(start, Some(fragment));
        if let Some(filter) = self.filter {
            self.markers.extend(filter.markers_in(fragment));
        }
        Ok(())
    }
}

/// Appends the hook's decisions to the audit log: findings that block or warn, findings an
/// exception allowed, and findings a bypass let through. A failure is returned as a warning to
/// print, never a block; a run with nothing to say writes nothing.
fn record_audit(
    env: &Env,
    repo: &crate::git::Repo,
    report: &report::Report<'_>,
    allowed: &[(Finding, Exception)],
    bypass: Option<&Bypass>,
) -> Option<String> {
    if report.findings.is_empty() && allowed.is_empty() && bypass.is_none() {
        return None;
    }
    let Some(log) = crate::audit::Log::locate(env) else {
        return Some("no data directory is known (HOME unset?): the audit log was not written".to_string());
    };
    let place = place(repo);
    let time = crate::audit::now_rfc3339();
    let mut events = crate::audit::events(&place, report.findings, report.block_severity);
    for (finding, exception) in allowed {
        let kind = match exception.kind {
            crate::policy::ExceptionKind::Inline => crate::audit::EventKind::AllowedInline,
            _ => crate::audit::EventKind::Ignored,
        };
        events.push(crate::audit::event(&place, &time, kind, finding, Some(exception.to_string())));
    }
    for finding in bypass.map(|b| b.findings.as_slice()).unwrap_or_default() {
        let reason = bypass.map(|b| b.reason.clone());
        events.push(crate::audit::event(&place, &time, crate::audit::EventKind::Bypassed, finding, reason));
    }
    match log.append(&events) {
        Ok(()) => None,
        Err(e) => Some(format!("could not write the audit log {}: {e}", log.path().display())),
    }
}

/// The repository (remote `origin` without credentials, else the work-tree path) and branch.
/// The URL is the configured one, as written (see [`crate::git::Repo::origin_url`]): looking the
/// remote up would copy every configuration entry into a snapshot and parse its refspecs for this
/// one value.
fn place(repo: &crate::git::Repo) -> crate::audit::Place {
    let remote = repo.origin_url().map(|url| crate::audit::strip_credentials(&url));
    let repository = remote.unwrap_or_else(|| {
        let dir = repo.workdir().unwrap_or_else(|| repo.path());
        dir.to_string_lossy().trim_end_matches('/').to_string()
    });
    crate::audit::Place { repository, branch: repo.head_branch() }
}
