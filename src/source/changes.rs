//! Turning changed blobs into fragments: shared by the staged diff and by commit scans.

use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Mutex;

use anyhow::{Context, Result};
use git2::Odb;

use super::{is_binary, Fragment, Limits, Origin, Sink, SourceStats};
use crate::git::{self, Change, ChangeKind, LineRange, ObjectId, Repo};

/// Blob pairs (old, new) already scanned, shared by the threads of a bulk scan: the same change
/// reached through several commits (cherry-picks, rebased branches) is read once.
pub type SeenPairs = Mutex<HashSet<(Option<ObjectId>, ObjectId)>>;

/// What one worker of a bulk scan shares with the others (the blob pairs already scanned) and
/// keeps for itself (the blobs it read last, from repository handle `'r`).
pub struct Bulk<'a, 'r> {
    /// Blob pairs already scanned by any worker.
    pub seen: &'a SeenPairs,
    /// This worker's recently read blobs.
    pub cache: BlobCache<'r>,
}

/// Recently read blobs, by id, kept as libgit2 read them (not copied). In a history, a file's
/// previous version is usually the one the same worker read for an earlier commit of its run,
/// so a commit's diff reads each version once instead of twice.
#[derive(Default)]
pub struct BlobCache<'r> {
    blobs: HashMap<ObjectId, SharedBlob<'r>>,
    order: VecDeque<ObjectId>,
    bytes: usize,
}

/// A blob held by the cache and by the scan using it.
#[derive(Clone)]
struct SharedBlob<'r>(Rc<git2::Blob<'r>>);

impl AsRef<[u8]> for SharedBlob<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.content()
    }
}

impl<'r> BlobCache<'r> {
    /// Bytes kept at most; the oldest blobs go first.
    const MAX_BYTES: usize = 32 << 20;

    fn get_or_read(&mut self, repo: &'r Repo, oid: ObjectId, path: &str) -> Result<SharedBlob<'r>> {
        if let Some(blob) = self.blobs.get(&oid) {
            return Ok(blob.clone());
        }
        let blob = repo
            .git()?
            .find_blob(oid.to_git())
            .with_context(|| format!("reading a version of {path} ({oid})"))?;
        let blob = SharedBlob(Rc::new(blob));
        let len = blob.as_ref().len();
        if len <= Self::MAX_BYTES / 4 {
            self.bytes += len;
            self.blobs.insert(oid, blob.clone());
            self.order.push_back(oid);
            while self.bytes > Self::MAX_BYTES {
                let Some(old) = self.order.pop_front() else { break };
                if let Some(evicted) = self.blobs.remove(&old) {
                    self.bytes -= evicted.as_ref().len();
                }
            }
        }
        Ok(blob)
    }
}

/// Scans the added lines of every change.
///
/// # Errors
/// A blob is missing or unreadable: the caller fails closed.
pub fn scan_changes<'r>(
    repo: &'r Repo,
    changes: &[Change],
    origin: &Origin,
    limits: Limits,
    mut bulk: Option<&mut Bulk<'_, 'r>>,
    sink: &mut dyn Sink,
    stats: &mut SourceStats,
) -> Result<()> {
    let odb = LazyOdb { repo, odb: std::cell::OnceCell::new() };
    // The staged diff's old versions are mostly loose objects; a history's are packed.
    let mut loose = bulk.is_none().then(|| git::LooseObjects::of(repo));
    // The staged diff reads a file's bytes from the work tree when they are the staged ones.
    let mut worktree = match (origin, repo.workdir()) {
        (Origin::Index, Some(root)) if bulk.is_none() => Some(git::DirFiles::new(root.to_path_buf())),
        _ => None,
    };
    for change in changes {
        if change.kind == ChangeKind::Submodule {
            stats.submodules_skipped.push(change.path.clone());
            continue;
        }
        if let Some(bulk) = &bulk {
            let fresh = bulk.seen.lock().map_or(true, |mut s| s.insert((change.old, change.new)));
            if !fresh {
                continue;
            }
        }
        sink.file(&change.path, origin)?;
        let cache = bulk.as_deref_mut().map(|b| &mut b.cache);
        let files = Files { loose: loose.as_mut(), worktree: worktree.as_mut() };
        scan_change(repo, &odb, files, change, origin, limits, cache, sink, stats)?;
    }
    Ok(())
}

/// The repository's object database, opened on first use: libgit2 lists the pack directory when
/// it opens it, which a staged diff whose objects are all loose never needs.
struct LazyOdb<'r> {
    repo: &'r Repo,
    odb: std::cell::OnceCell<Odb<'r>>,
}

impl<'r> LazyOdb<'r> {
    fn get(&self) -> Result<&Odb<'r>> {
        if let Some(odb) = self.odb.get() {
            return Ok(odb);
        }
        let odb = self.repo.git()?.odb().context("opening the object database")?;
        Ok(self.odb.get_or_init(|| odb))
    }
}

/// Where a staged diff reads bytes without libgit2, when it can.
struct Files<'a> {
    /// The repository's loose objects.
    loose: Option<&'a mut git::LooseObjects>,
    /// The work tree, for the staged diff.
    worktree: Option<&'a mut git::DirFiles>,
}

#[allow(clippy::too_many_arguments)]
fn scan_change<'r>(
    repo: &'r Repo,
    odb: &LazyOdb<'r>,
    files: Files<'_>,
    change: &Change,
    origin: &Origin,
    limits: Limits,
    cache: Option<&mut BlobCache<'r>>,
    sink: &mut dyn Sink,
    stats: &mut SourceStats,
) -> Result<()> {
    let Files { mut loose, worktree } = files;
    // The blob must still be in the object database: a repository missing it fails closed below,
    // even though the work tree holds its bytes. Checking costs no inflating.
    if let Some(content) = worktree_copy(worktree, change, limits) {
        let stored = match loose.as_deref_mut().and_then(|l| l.has(change.new)) {
            Some(true) => true,
            _ => odb.get()?.exists(change.new.to_git()),
        };
        if stored {
            return scan_content(
                change,
                &content,
                old_versions(repo, loose, &change.path),
                origin,
                sink,
                stats,
            );
        }
    }
    let (size, _) = odb.get()?.read_header(change.new.to_git()).with_context(|| {
        format!("the blob of {} ({}) is missing from the object database", change.path, change.new)
    })?;
    if size as u64 > limits.max_file_bytes {
        stats.too_large_skipped.push((change.path.clone(), size as u64));
        return Ok(());
    }
    match cache {
        Some(cache) => {
            let blob = cache.get_or_read(repo, change.new, &change.path)?;
            let read_old = |oid| cache.get_or_read(repo, oid, &change.path);
            scan_content(change, blob.as_ref(), read_old, origin, sink, stats)
        }
        None => {
            let blob = git::read_blob(loose.as_deref_mut(), repo, change.new)
                .with_context(|| format!("reading the blob of {}", change.path))?;
            scan_content(change, blob.as_ref(), old_versions(repo, loose, &change.path), origin, sink, stats)
        }
    }
}

/// Reads the versions a change's new content is compared with (`path` names it in errors):
/// loose objects first when `loose` is given.
fn old_versions<'a, 'r: 'a>(
    repo: &'r Repo,
    mut loose: Option<&'a mut git::LooseObjects>,
    path: &'a str,
) -> impl FnMut(ObjectId) -> Result<git::BlobBytes<'r>> + 'a {
    move |oid| {
        git::read_blob(loose.as_deref_mut(), repo, oid)
            .with_context(|| format!("reading the previous version of {path}"))
    }
}

/// The staged bytes of a file, when the work tree holds exactly them (see [`git::staged_copy`]):
/// only for the staged diff (`worktree` is given), and only for regular files.
fn worktree_copy(worktree: Option<&mut git::DirFiles>, change: &Change, limits: Limits) -> Option<Vec<u8>> {
    if change.kind != ChangeKind::File {
        return None;
    }
    git::staged_copy(worktree?, &change.path, change.new, limits.max_file_bytes)
}

/// Scans the added lines of `content`, the new version of `change`; `read_old` reads the
/// versions it is compared with.
fn scan_content<B: AsRef<[u8]>>(
    change: &Change,
    content: &[u8],
    read_old: impl FnMut(ObjectId) -> Result<B>,
    origin: &Origin,
    sink: &mut dyn Sink,
    stats: &mut SourceStats,
) -> Result<()> {
    if is_binary(content) {
        stats.binary_skipped.push(change.path.clone());
        return Ok(());
    }
    let ranges = added_ranges(change, content, read_old)?;
    stats.files_scanned += 1;
    emit(content, ranges.as_deref(), &change.path, origin, sink, stats)
}

/// The fragments of one changed file built from the bytes of its two versions, as the staged and
/// commit scans build them from blobs: the runs of lines of `new` added relative to `old`, or all
/// of `new` when `old` is `None` (a new file). No repository is needed: this is the pure part of
/// the fragment builder, for fuzzing and property tests. Binary content is not filtered here.
///
/// # Errors
/// The sink fails.
pub fn fragments_from_buffers(
    old: Option<&[u8]>,
    new: &[u8],
    path: &str,
    origin: &Origin,
    sink: &mut dyn Sink,
    stats: &mut SourceStats,
) -> Result<()> {
    let ranges = match old {
        Some(old) if old == new => Some(Vec::new()),
        Some(old) => Some(git::added_line_runs(old, new)),
        None => None,
    };
    emit(new, ranges.as_deref(), path, origin, sink, stats)
}

/// Hands each run of lines to the sink as one fragment; `None` means the whole content.
fn emit(
    content: &[u8],
    ranges: Option<&[LineRange]>,
    path: &str,
    origin: &Origin,
    sink: &mut dyn Sink,
    stats: &mut SourceStats,
) -> Result<()> {
    let Some(ranges) = ranges else {
        stats.bytes_scanned += content.len() as u64;
        return sink.fragment(&Fragment { origin, path, first_line: 1, text: content });
    };
    if ranges.is_empty() {
        return Ok(());
    }
    let mut lines = LineCursor { content, line: 1, at: 0 };
    for range in ranges {
        let begin = lines.seek(range.start);
        let end = lines.seek(range.start.saturating_add(range.count));
        let text = &content[begin..end];
        stats.bytes_scanned += text.len() as u64;
        sink.fragment(&Fragment { origin, path, first_line: range.start, text })?;
    }
    Ok(())
}

/// The lines of `content` that are new: relative to the previous version, and for a merge
/// relative to every other parent too. `None` means every line.
fn added_ranges<B: AsRef<[u8]>>(
    change: &Change,
    new: &[u8],
    mut read: impl FnMut(ObjectId) -> Result<B>,
) -> Result<Option<Vec<LineRange>>> {
    let mut ranges: Option<Vec<LineRange>> = None;
    for parent_blob in change.old.iter().chain(change.other_parents.iter().flatten()) {
        if *parent_blob == change.new {
            return Ok(Some(Vec::new()));
        }
        let old = read(*parent_blob)?;
        let added = git::added_line_runs(old.as_ref(), new);
        ranges = Some(match ranges {
            None => added,
            Some(previous) => intersect(&previous, &added),
        });
    }
    Ok(ranges)
}

/// Walks forward through `content` to the starts of lines (ranges come in ascending order), so
/// that a large file with a few added lines is not split into lines whole.
struct LineCursor<'a> {
    content: &'a [u8],
    /// 1-based line that starts at `at`.
    line: u32,
    at: usize,
}

impl LineCursor<'_> {
    /// The byte offset where 1-based `line` starts, or the end of the content.
    fn seek(&mut self, line: u32) -> usize {
        while self.line < line && self.at < self.content.len() {
            self.at = match memchr::memchr(b'\n', &self.content[self.at..]) {
                Some(newline) => self.at + newline + 1,
                None => self.content.len(),
            };
            self.line += 1;
        }
        self.at
    }
}

/// Byte offset of the start of every line.
#[cfg(test)]
fn line_starts(content: &[u8]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(content.len() / 32 + 1);
    starts.push(0);
    starts.extend(content.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i + 1));
    if starts.last() == Some(&content.len()) && !content.is_empty() {
        starts.pop();
    }
    starts
}

/// Lines present in both sets of runs.
fn intersect(a: &[LineRange], b: &[LineRange]) -> Vec<LineRange> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let start = x.start.max(y.start);
            let end = (x.start + x.count).min(y.start + y.count);
            if start < end {
                out.push(LineRange { start, count: end - start });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersect_keeps_common_lines() {
        let a = [LineRange { start: 1, count: 5 }, LineRange { start: 10, count: 2 }];
        let b = [LineRange { start: 4, count: 8 }];
        assert_eq!(
            intersect(&a, &b),
            vec![LineRange { start: 4, count: 2 }, LineRange { start: 10, count: 2 }]
        );
    }

    /// The cursor finds the line starts that splitting the whole content finds.
    #[test]
    fn line_cursor_agrees_with_line_starts() {
        for content in [&b"a\nb\nc\n"[..], b"a\nb\nc", b"", b"\n\n", b"one line"] {
            let starts = line_starts(content);
            for first in 1..6u32 {
                let mut cursor = LineCursor { content, line: 1, at: 0 };
                let expected = starts.get(first as usize - 1).copied().unwrap_or(content.len());
                assert_eq!(cursor.seek(first), expected, "{content:?} line {first}");
            }
        }
    }

    #[test]
    fn line_starts_ignore_the_final_newline() {
        assert_eq!(line_starts(b"a\nb\n"), vec![0, 2]);
        assert_eq!(line_starts(b"a\nb"), vec![0, 2]);
        assert_eq!(line_starts(b""), vec![0]);
    }
}
