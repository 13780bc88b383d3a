//! Files and directories on disk: walked like ripgrep does (`.gitignore` respected, the `.git`
//! directory skipped, hidden files such as `.env` included), each file scanned whole.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{in_parallel, is_binary, Fragment, Limits, Origin, Sink, SourceStats};

/// Files from which [`scan_parallel`] spreads the work over every core.
const PARALLEL_FROM: usize = 64;

/// Scans every file under `roots`.
///
/// # Errors
/// A root does not exist or a file cannot be read.
pub fn scan(roots: &[impl AsRef<Path>], limits: Limits, sink: &mut dyn Sink) -> Result<SourceStats> {
    let mut stats = SourceStats::default();
    for path in walk(roots)? {
        scan_file(&path, limits, &Origin::File, sink, &mut stats)?;
    }
    Ok(stats)
}

/// [`scan`] with one sink per worker thread (made by `new_sink`) when there are many files; the
/// sinks come back in walk order.
///
/// # Errors
/// A root does not exist or a file cannot be read.
pub fn scan_parallel<S, F>(
    roots: &[impl AsRef<Path>],
    limits: Limits,
    new_sink: F,
) -> Result<(Vec<S>, SourceStats)>
where
    S: Sink + Send,
    F: Fn() -> S + Sync,
{
    let files = walk(roots)?;
    if files.len() < PARALLEL_FROM || rayon::current_num_threads() < 2 {
        let mut sink = new_sink();
        let mut stats = SourceStats::default();
        for path in &files {
            scan_file(path, limits, &Origin::File, &mut sink, &mut stats)?;
        }
        return Ok((vec![sink], stats));
    }
    // Small chunks: file sizes vary a lot in a source tree.
    let chunk = files.len().div_ceil(rayon::current_num_threads() * 16);
    in_parallel(&files, chunk, new_sink, |part, sink, stats| {
        for path in part {
            scan_file(path, limits, &Origin::File, sink, stats)?;
        }
        Ok(())
    })
}

/// The files under `roots`, in walk order.
fn walk(roots: &[impl AsRef<Path>]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for root in roots {
        let root = root.as_ref();
        std::fs::metadata(root).with_context(|| format!("cannot scan {}", root.display()))?;
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .parents(true)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            let entry = entry.with_context(|| format!("walking {}", root.display()))?;
            if entry.file_type().is_some_and(|t| t.is_file()) {
                files.push(entry.into_path());
            }
        }
    }
    Ok(files)
}

fn scan_file(
    path: &Path,
    limits: Limits,
    origin: &Origin,
    sink: &mut dyn Sink,
    stats: &mut SourceStats,
) -> Result<()> {
    let display = path.strip_prefix("./").unwrap_or(path).to_string_lossy().replace('\\', "/");
    sink.file(&display, origin)?;
    let size = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    if size > limits.max_file_bytes {
        stats.too_large_skipped.push((display, size));
        return Ok(());
    }
    let content = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if is_binary(&content) {
        stats.binary_skipped.push(display);
        return Ok(());
    }
    stats.files_scanned += 1;
    stats.bytes_scanned += content.len() as u64;
    sink.fragment(&Fragment { origin, path: &display, first_line: 1, text: &content })
}
