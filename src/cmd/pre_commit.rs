use std::io::Write;

use anyhow::{Context, Result};

use super::{Collector, Outcome};
use crate::cli::PreCommitArgs;
use crate::env::Env;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Report};
use crate::scan::Engine;
use crate::source::{self, Limits};
use crate::{git, policy};

/// The hook: scan exactly what the commit will record; report on stderr (git shows it).
pub fn run(args: &PreCommitArgs, env: &Env, color: ColorChoice, verbose: bool) -> Result<Outcome> {
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
    };
    term::apply(color, env, Stream::Stderr);
    let mut err = std::io::stderr().lock();
    report::human::write(&mut err, &report).context("writing the report")?;
    if verbose && report.findings.is_empty() {
        report::human::write_summary(&mut err, &report).context("writing the report")?;
    }
    err.flush().ok();
    Ok(if report.blocking() > 0 { Outcome::Blocked } else { Outcome::Clean })
}
