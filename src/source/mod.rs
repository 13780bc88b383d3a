//! Sources turn "what is about to leave" into [`Fragment`]s: runs of added lines with the path
//! and line number where they start. Sources know git (through `crate::git`); the engine that
//! consumes fragments does not.

mod changes;
pub mod commits;
pub mod paths;
pub mod staged;
pub mod stdin;

pub use changes::fragments_from_buffers;

use std::sync::Arc;

/// Where a fragment's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A blob in the index about to be committed.
    Index,
    /// A commit being pushed or scanned in history.
    Commit(Arc<CommitInfo>),
    /// A file on disk.
    File,
    /// Standard input.
    Stdin,
}

/// What a report says about a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full object id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// First line of the message.
    pub summary: String,
}

impl CommitInfo {
    /// The abbreviated id used in reports.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(10)]
    }
}

/// A run of consecutive added lines (or a whole file), borrowed from its blob.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    /// Where it comes from.
    pub origin: &'a Origin,
    /// Repository-relative path with forward slashes (or the file path / `-` for stdin).
    pub path: &'a str,
    /// 1-based line number, in the new file, of the first byte of `text`.
    pub first_line: u32,
    /// The content; not necessarily UTF-8.
    pub text: &'a [u8],
}

/// Size limits for one scan.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Files (blobs) larger than this are skipped and reported as skipped, never silently.
    pub max_file_bytes: u64,
}

/// What a source read and what it skipped, so that a clean result is never a silent one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SourceStats {
    /// Files (blobs) whose added content was scanned.
    pub files_scanned: usize,
    /// Bytes handed to the engine.
    pub bytes_scanned: u64,
    /// Binary files skipped (NUL byte in the first 8 KiB, as git decides).
    pub binary_skipped: Vec<String>,
    /// Files over the size limit, skipped: (path, size in bytes).
    pub too_large_skipped: Vec<(String, u64)>,
    /// Submodule pointer changes (not descended into).
    pub submodules_skipped: Vec<String>,
    /// Commits whose changes were scanned (push, range and history scans).
    pub commits_scanned: usize,
}

/// Scans `items` in chunks of `chunk` on rayon's pool, each chunk into a fresh sink from
/// `new_sink` by `work`; the sinks come back in the items' order, with the counts summed.
///
/// # Errors
/// The first error any chunk met.
fn in_parallel<T, S, F, W>(
    items: &[T],
    chunk: usize,
    new_sink: F,
    work: W,
) -> anyhow::Result<(Vec<S>, SourceStats)>
where
    T: Sync,
    S: Sink + Send,
    F: Fn() -> S + Sync,
    W: Fn(&[T], &mut S, &mut SourceStats) -> anyhow::Result<()> + Sync,
{
    use rayon::prelude::*;
    let parts: Vec<(S, SourceStats)> = items
        .par_chunks(chunk.max(1))
        .map(|part| {
            let mut sink = new_sink();
            let mut stats = SourceStats::default();
            work(part, &mut sink, &mut stats)?;
            Ok((sink, stats))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut total = SourceStats::default();
    let mut sinks = Vec::with_capacity(parts.len());
    for (sink, stats) in parts {
        total.absorb(stats);
        sinks.push(sink);
    }
    Ok((sinks, total))
}

impl SourceStats {
    /// Adds another part's counts to this one (parallel scans).
    pub fn absorb(&mut self, other: SourceStats) {
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.binary_skipped.extend(other.binary_skipped);
        self.too_large_skipped.extend(other.too_large_skipped);
        self.submodules_skipped.extend(other.submodules_skipped);
        self.commits_scanned += other.commits_scanned;
    }
}

/// Whether content is binary the way git decides: a NUL byte in the first 8000 bytes.
pub fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(8000)].contains(&0)
}

/// Where a source delivers what it reads: file names (for rules about files that must not be
/// committed at all) and fragments of content.
pub trait Sink {
    /// A file about to leave (or being scanned), before its content.
    ///
    /// # Errors
    /// The consumer failed (a custom rule that does not compile).
    fn file(&mut self, path: &str, origin: &Origin) -> anyhow::Result<()>;

    /// A run of content to scan.
    ///
    /// # Errors
    /// The consumer failed.
    fn fragment(&mut self, fragment: &Fragment<'_>) -> anyhow::Result<()>;
}
