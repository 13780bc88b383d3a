//! The staged diff: what `git commit` is about to record, read from the index git is committing
//! and the object database — never from the working tree.

use std::ffi::OsStr;

use anyhow::{Context, Result};
use git2::Repository;

use super::{is_binary, Fragment, Limits, Origin, Sink, SourceStats};
use crate::git::{self, ChangeKind, LineRange};

/// Feeds every added line of the staged change to `sink`.
///
/// # Errors
/// Git cannot be read (corrupt index, missing object) — the caller must fail closed.
pub fn scan(
    repo: &Repository,
    index_file: Option<&OsStr>,
    limits: Limits,
    sink: &mut dyn Sink,
) -> Result<SourceStats> {
    let changes = git::staged_changes(repo, index_file)?;
    let origin = Origin::Index;
    let mut stats = SourceStats::default();
    let odb = repo.odb().context("opening the object database")?;
    for change in &changes {
        if change.kind == ChangeKind::Submodule {
            stats.submodules_skipped.push(change.path.clone());
            continue;
        }
        sink.file(&change.path, &origin)?;
        let (size, _) = odb.read_header(change.new).with_context(|| {
            format!("the staged blob of {} ({}) is missing from the object database", change.path, change.new)
        })?;
        if size as u64 > limits.max_file_bytes {
            stats.too_large_skipped.push((change.path.clone(), size as u64));
            continue;
        }
        let blob = repo
            .find_blob(change.new)
            .with_context(|| format!("reading the staged blob of {}", change.path))?;
        let content = blob.content();
        if is_binary(content) {
            stats.binary_skipped.push(change.path.clone());
            continue;
        }
        let ranges = added_ranges(repo, change, content)?;
        stats.files_scanned += 1;
        emit(content, &ranges, &change.path, &origin, sink, &mut stats)?;
    }
    Ok(stats)
}

/// Hands each run of lines to the sink as one fragment; `None` means the whole content.
pub(crate) fn emit(
    content: &[u8],
    ranges: &Option<Vec<LineRange>>,
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
    let starts = line_starts(content);
    for range in ranges {
        let first = (range.start as usize).saturating_sub(1).min(starts.len());
        let last = (first + range.count as usize).min(starts.len());
        let begin = starts.get(first).copied().unwrap_or(content.len());
        let end = starts.get(last).copied().unwrap_or(content.len());
        let text = &content[begin..end];
        stats.bytes_scanned += text.len() as u64;
        sink.fragment(&Fragment { origin, path, first_line: range.start, text })?;
    }
    Ok(())
}

/// The lines of `content` that are new in this commit: relative to the `HEAD` version, and
/// during a merge relative to every other parent too. `None` means every line.
fn added_ranges(repo: &Repository, change: &git::Change, content: &[u8]) -> Result<Option<Vec<LineRange>>> {
    let mut ranges: Option<Vec<LineRange>> = None;
    for parent_blob in change.old.iter().chain(change.other_parents.iter().flatten()) {
        if *parent_blob == change.new {
            return Ok(Some(Vec::new()));
        }
        let old = repo
            .find_blob(*parent_blob)
            .with_context(|| format!("reading the committed version of {}", change.path))?;
        let added = git::added_lines(old.content(), content)?;
        ranges = Some(match ranges {
            None => added,
            Some(previous) => intersect(&previous, &added),
        });
    }
    Ok(ranges)
}

/// Byte offset of the start of every line.
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

    #[test]
    fn line_starts_ignore_the_final_newline() {
        assert_eq!(line_starts(b"a\nb\n"), vec![0, 2]);
        assert_eq!(line_starts(b"a\nb"), vec![0, 2]);
        assert_eq!(line_starts(b""), vec![0]);
    }
}
