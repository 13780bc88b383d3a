//! The staged diff: what `git commit` is about to record, read from the index git is committing
//! and the object database. A work-tree file stands in for its staged blob only when it hashes to
//! the blob's id, so the bytes judged are always the staged ones.

use std::collections::HashSet;
use std::ffi::OsStr;

use anyhow::Result;

use super::changes::scan_changes;
use super::{in_parallel, Limits, Origin, Sink, SourceStats};
use crate::git::{self, Change, Repo};

/// Feeds every added line of the staged change to `sink`.
///
/// When `only` names paths (the pre-commit framework passes file names), just those are
/// scanned: their added lines if they are in the staged change, else their whole staged blob —
/// so `pre-commit run --all-files` checks every file instead of passing vacuously.
///
/// # Errors
/// Git cannot be read (corrupt index, missing object) — the caller must fail closed.
pub fn scan(
    repo: &Repo,
    index_file: Option<&OsStr>,
    only: &[String],
    limits: Limits,
    sink: &mut dyn Sink,
) -> Result<SourceStats> {
    let changes = select(repo, index_file, only)?;
    let mut stats = SourceStats::default();
    scan_changes(repo, &changes, &Origin::Index, limits, None, sink, &mut stats)?;
    Ok(stats)
}

/// Staged files from which [`scan_parallel`] spreads the work over every core: below it, the
/// thread pool and the extra repository handles cost more than they save.
const PARALLEL_FROM: usize = 128;

/// [`scan`] with one sink per worker thread (made by `new_sink`) when the change is large; the
/// sinks come back in path order.
///
/// # Errors
/// Git cannot be read (corrupt index, missing object) — the caller must fail closed.
pub fn scan_parallel<S, F>(
    repo: &Repo,
    index_file: Option<&OsStr>,
    only: &[String],
    limits: Limits,
    new_sink: F,
) -> Result<(Vec<S>, SourceStats)>
where
    S: Sink + Send,
    F: Fn() -> S + Sync,
{
    let changes = select(repo, index_file, only)?;
    // Asking rayon for its thread count starts its pool: only for a large change.
    if changes.len() < PARALLEL_FROM || rayon::current_num_threads() < 2 {
        let mut sink = new_sink();
        let mut stats = SourceStats::default();
        scan_changes(repo, &changes, &Origin::Index, limits, None, &mut sink, &mut stats)?;
        return Ok((vec![sink], stats));
    }
    let chunk = changes.len().div_ceil(rayon::current_num_threads() * 4);
    let reopen = repo.reopener();
    in_parallel(&changes, chunk, new_sink, |part, sink, stats| {
        // libgit2 handles are not shared between threads; each worker opens the repository the
        // way the hook did (same environment, same directory).
        let repo = reopen()?;
        scan_changes(&repo, part, &Origin::Index, limits, None, sink, stats)
    })
}

/// The changes to scan: the staged diff, narrowed to `only` when names are given.
fn select(repo: &Repo, index_file: Option<&OsStr>, only: &[String]) -> Result<Vec<Change>> {
    let mut changes = git::staged_changes(repo, index_file)?;
    if !only.is_empty() {
        let named: HashSet<&str> = only.iter().map(String::as_str).collect();
        changes.retain(|c| named.contains(c.path.as_str()));
        let staged: HashSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        let unchanged: Vec<&String> = only.iter().filter(|p| !staged.contains(p.as_str())).collect();
        let whole = git::index_entries(repo, index_file, &unchanged)?;
        changes.extend(whole);
    }
    Ok(changes)
}
