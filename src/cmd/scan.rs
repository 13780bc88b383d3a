use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Repository;

use super::{scan_commits, write_report_file, Collector, Outcome, UsageError};
use crate::cli::ScanArgs;
use crate::env::Env;
use crate::policy::ResolvedPolicy;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Format, Report};
use crate::scan::{Engine, Finding};
use crate::source::{self, Limits, SourceStats};
use crate::{git, policy};

/// `leakgate scan`: the staged change, a commit range, the whole history, paths, or stdin; the
/// report goes to stdout or `-o FILE`.
pub fn run(args: &ScanArgs, env: &Env, color: ColorChoice, verbose: bool) -> Result<Outcome> {
    let wants_git = args.staged || args.range.is_some() || args.history;
    let repo = if wants_git { Some(git::open_for_hook()?) } else { Repository::open_from_env().ok() };
    let repo = repo.map(git::Repo::from);
    let root = repo.as_ref().and_then(|r| r.workdir()).map(Path::to_path_buf);
    let policy = policy::resolve(env, root.as_deref())?;
    let (findings, stats, context) = match &repo {
        Some(repo) if args.range.is_some() || args.history => {
            let repo = repo.git()?;
            let commits = match &args.range {
                Some(range) => {
                    repo.revparse(range).map_err(|e| {
                        UsageError(format!(
                            "--range {range:?} does not name commits in this repository: {}",
                            e.message()
                        ))
                    })?;
                    git::range_commits(repo, range)?
                }
                None => git::all_commits(repo)?,
            };
            let (findings, stats) =
                with_progress(commits.len(), |tick| scan_commits(repo, &commits, &policy, tick))?;
            (findings, stats, report::Context::History)
        }
        _ => {
            let (findings, stats) = scan_content(args, repo.as_ref(), env, &policy)?;
            (findings, stats, report::Context::Scan)
        }
    };

    let format = Format::from(args.format);
    // SARIF consumers (GitHub code scanning) need repository-relative URIs, wherever the scan ran.
    let findings = match (&root, format) {
        (Some(root), Format::Sarif) => repo_relative(findings, root),
        _ => findings,
    };
    let report = Report {
        context,
        findings: &findings,
        stats: &stats,
        block_severity: policy.block_severity,
        max_file_bytes: policy.max_file_bytes,
        // Values are shown only in the human report printed to the terminal, never in a file.
        show_secrets: args.show_secrets && format == Format::Human && args.output.is_none(),
    };
    if args.show_secrets && !report.show_secrets {
        let what = "--show-secrets applies only to the human report on standard output; \
                    values stay redacted in files and machine formats";
        report::human::write_warning(&mut std::io::stderr().lock(), what).ok();
    }
    if let Some(path) = &args.output {
        write_report_file(path, format, &report)?;
    } else {
        term::apply(if format == Format::Human { color } else { ColorChoice::Never }, env, Stream::Stdout);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        report::write(format, &mut out, &report).context("writing the report")?;
        if format == Format::Human && verbose && report.findings.is_empty() {
            report::human::write_summary(&mut out, &report).context("writing the report")?;
        }
        out.flush().context("writing the report")?;
    }
    Ok(if report.blocking() > 0 { Outcome::Blocked } else { Outcome::Clean })
}

/// The staged change, paths or stdin, read whole.
fn scan_content(
    args: &ScanArgs,
    repo: Option<&git::Repo>,
    env: &Env,
    policy: &ResolvedPolicy,
) -> Result<(Vec<Finding>, SourceStats)> {
    let engine = Engine::new(policy.rules())?;
    let filter = crate::scan::allow::Filter::new(policy)?;
    let mut collector = Collector::filtered(&engine, &filter);
    let limits = Limits { max_file_bytes: policy.max_file_bytes };
    let stats = match repo {
        Some(repo) if args.staged => {
            source::staged::scan(repo, env.git_index_file.as_deref(), &[], limits, &mut collector)?
        }
        _ if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" => {
            source::stdin::scan(&mut std::io::stdin().lock(), &mut collector)?
        }
        _ => {
            let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
            let (parts, stats) =
                source::paths::scan_parallel(&paths, limits, || Collector::filtered(&engine, &filter))?;
            collector = Collector::merge(parts, &engine, Some(&filter));
            stats
        }
    };
    Ok((collector.findings, stats))
}

/// Runs `work` with a progress bar on stderr when stderr is a terminal (never when piped).
fn with_progress<T>(total: usize, work: impl FnOnce(&(dyn Fn(usize) + Sync)) -> T) -> T {
    if !std::io::stderr().is_terminal() || total < 100 {
        return work(&|_| {});
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} scanning commits {pos}/{len} {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let result = work(&|n| bar.set_position(n as u64));
    bar.finish_and_clear();
    result
}

/// Rewrites the paths of findings in files on disk to be relative to the work-tree `root`
/// (forward slashes); paths outside it are left as they are.
fn repo_relative(mut findings: Vec<Finding>, root: &Path) -> Vec<Finding> {
    let Ok(root) = root.canonicalize() else {
        return findings;
    };
    for f in findings.iter_mut().filter(|f| f.origin == source::Origin::File) {
        let Ok(full) = Path::new(&f.path).canonicalize() else { continue };
        if let Ok(rel) = full.strip_prefix(&root) {
            f.path = rel.to_string_lossy().replace('\\', "/");
        }
    }
    findings
}
