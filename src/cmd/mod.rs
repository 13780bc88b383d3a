//! One module per subcommand; each returns an [`Outcome`] and leaves exit codes to `main`.

mod audit;
mod doctor;
mod install;
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
    let color = match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    };
    match &cli.command {
        Command::PreCommit(args) => pre_commit::run(args, env, color, cli.verbose),
        Command::PrePush(args) => pre_push::run(args, env, color, cli.verbose),
        Command::Scan(args) => scan::run(args, env, color, cli.verbose),
        Command::Redact => redact::run(cli.verbose),
        Command::Audit(args) => audit::run(args, env, color),
        Command::Install(args) => install::install(args),
        Command::Uninstall(args) => install::uninstall(args),
        Command::Doctor => doctor::run(),
        Command::Rules => rules::run(),
    }
}

/// Scans commits (oldest first) in parallel; each secret is reported once, at the commit that
/// introduced it, with the number of other places that carry it.
fn scan_commits(
    repo: &git2::Repository,
    commits: &[git2::Oid],
    policy: &crate::policy::ResolvedPolicy,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(Vec<Finding>, crate::source::SourceStats)> {
    let engine = Engine::new(policy.rules())?;
    let limits = crate::source::Limits { max_file_bytes: policy.max_file_bytes };
    let (sinks, stats) =
        crate::source::commits::scan(repo.path(), commits, limits, || Collector::new(&engine), progress)?;
    let findings = sinks.into_iter().flat_map(|c| c.findings).collect();
    Ok((crate::scan::dedup_by_secret(findings), stats))
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

/// Feeds a source's output to the engine and keeps the findings.
struct Collector<'e> {
    engine: &'e Engine,
    findings: Vec<Finding>,
}

impl<'e> Collector<'e> {
    fn new(engine: &'e Engine) -> Self {
        Collector { engine, findings: Vec::new() }
    }
}

impl Sink for Collector<'_> {
    fn file(&mut self, path: &str, origin: &Origin) -> Result<()> {
        self.engine.scan_path(path, origin, &mut self.findings)
    }

    fn fragment(&mut self, fragment: &Fragment<'_>) -> Result<()> {
        self.engine.scan(fragment, &mut self.findings)
    }
}
