use std::ops::Range;

use imara_diff::intern::InternedInput;
use imara_diff::sources::byte_lines_with_terminator;
use imara_diff::{diff, Algorithm};

/// A run of lines in the new version of a file: 1-based `start`, `count` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRange {
    /// First line, 1-based.
    pub start: u32,
    /// Number of lines.
    pub count: u32,
}

/// The runs of lines of `new` that are added relative to `old`: the inserted side of each change
/// of a line diff (Myers, as git's default), lines compared with their terminators.
///
/// imara-diff rather than libgit2's diff: libgit2 hashes both buffers (SHA-1 with collision
/// detection) before diffing, which cost a tenth of a large commit's scan.
///
/// Pure (no repository): also the entry point for fuzzing and property tests.
pub fn added_line_runs(old: &[u8], new: &[u8]) -> Vec<LineRange> {
    // Lines both versions share at the start and the end are not diffed: most edits touch a few
    // lines, and interning every line of both versions was most of a history scan's diff time.
    let (start, old_end, new_end) = unchanged_edges(old, new);
    let skipped_lines = memchr::memchr_iter(b'\n', &new[..start]).count() as u32;
    let input = InternedInput::new(
        byte_lines_with_terminator(&old[start..old_end]),
        byte_lines_with_terminator(&new[start..new_end]),
    );
    let mut runs = Vec::new();
    diff(Algorithm::Myers, &input, |_: Range<u32>, added: Range<u32>| {
        if !added.is_empty() {
            runs.push(LineRange { start: skipped_lines + added.start + 1, count: added.len() as u32 });
        }
    });
    runs
}

/// Where the differing middles of `old` and `new` start (the same offset in both) and end:
/// whole lines, with the common leading and trailing lines left out.
fn unchanged_edges(old: &[u8], new: &[u8]) -> (usize, usize, usize) {
    let prefix = common_prefix(old, new);
    // Back to the start of the line the first difference is on.
    let start = memchr::memrchr(b'\n', &new[..prefix]).map_or(0, |at| at + 1);
    let room = old.len().min(new.len()) - start;
    let suffix = common_suffix(&old[old.len() - room..], &new[new.len() - room..]);
    // Forward to the start of a line: past the first newline of the common end (the bytes
    // before it may differ, so the line it ends is not common).
    let tail = &new[new.len() - suffix..];
    let kept = match memchr::memchr(b'\n', tail) {
        Some(at) => suffix - (at + 1),
        None => 0,
    };
    (start, old.len() - kept, new.len() - kept)
}

/// Bytes compared at a time while looking for the first difference: whole chunks compile to wide
/// loads, where a byte loop cost a tenth of a history scan.
const CHUNK: usize = 32;

/// The length of the longest common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let equal = a.chunks_exact(CHUNK).zip(b.chunks_exact(CHUNK)).take_while(|(x, y)| x == y).count() * CHUNK;
    equal + a[equal..].iter().zip(&b[equal..]).take_while(|(x, y)| x == y).count()
}

/// The length of the longest common suffix of `a` and `b`.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let equal =
        a.rchunks_exact(CHUNK).zip(b.rchunks_exact(CHUNK)).take_while(|(x, y)| x == y).count() * CHUNK;
    let (a, b) = (&a[..a.len() - equal], &b[..b.len() - equal]);
    equal + a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(old: &str, new: &str) -> Vec<(u32, u32)> {
        added_line_runs(old.as_bytes(), new.as_bytes()).iter().map(|r| (r.start, r.count)).collect()
    }

    #[test]
    fn common_edges_are_found_across_chunks() {
        let base: Vec<u8> = (0..200u8).collect();
        for at in [0, 1, 31, 32, 33, 64, 150, 199] {
            let mut other = base.clone();
            other[at] ^= 0xff;
            assert_eq!(common_prefix(&base, &other), at);
            assert_eq!(common_suffix(&base, &other), 199 - at);
        }
        assert_eq!(common_prefix(&base, &base[..70]), 70);
        assert_eq!(common_suffix(&base, &base[130..]), 70);
        assert_eq!(common_prefix(b"", &base), 0);
    }

    #[test]
    fn added_and_changed_lines_are_runs_of_the_new_file() {
        assert_eq!(runs("", "a\nb\n"), vec![(1, 2)]);
        assert_eq!(runs("a\nb\nc\n", "a\nx\ny\nb\nc\nz\n"), vec![(2, 2), (6, 1)]);
        assert_eq!(runs("a\nb\nc\n", "a\nB\nc\n"), vec![(2, 1)]);
        assert_eq!(runs("a\nb\n", "a\n"), vec![]);
        assert_eq!(runs("a\nb", "a\nb\n"), vec![(2, 1)], "a new line terminator changes the line");
        assert_eq!(runs("a\r\nb\r\n", "a\r\nb\n"), vec![(2, 1)]);
        assert_eq!(runs("a\nb\nc\nd\n", "a\nb\nX\nd\n"), vec![(3, 1)]);
        assert_eq!(runs("a\nb\nc\n", "a\nbb\nc\n"), vec![(2, 1)], "a line that grows at its end");
        assert_eq!(runs("a\nb\nc\n", "a\nxb\nc\n"), vec![(2, 1)], "a line that grows at its start");
        assert_eq!(runs("x\ny\n", "x\ny\nx\ny\n"), vec![(3, 2)]);
        assert_eq!(runs("same\n", "same\n"), vec![]);
    }

    /// The lines not reported as added appear in the old version, in order (so no new line is
    /// hidden), and skipping the common edges reports as many lines as diffing everything.
    #[test]
    fn unreported_lines_are_old_lines_in_order() {
        use proptest::prelude::*;
        let lines = proptest::collection::vec(prop_oneof!["a\n", "b\n", "c\n", "ab\n", "b", "\r\n"], 0..12);
        proptest!(ProptestConfig::with_cases(2000), |(old in lines.clone(), new in lines)| {
            let (old, new) = (old.concat(), new.concat());
            let reported = added_line_runs(old.as_bytes(), new.as_bytes());
            let new_lines: Vec<&[u8]> = new.as_bytes().split_inclusive(|&b| b == b'\n').collect();
            let added = |n: usize| reported.iter().any(|r| (r.start as usize..(r.start + r.count) as usize).contains(&n));
            let kept: Vec<&[u8]> =
                new_lines.iter().enumerate().filter(|(i, _)| !added(i + 1)).map(|(_, l)| *l).collect();
            let mut old_lines = old.as_bytes().split_inclusive(|&b| b == b'\n');
            for line in &kept {
                prop_assert!(old_lines.any(|o| o == *line), "{:?} -> {:?}: {:?}", old, new, reported);
            }
            let whole = InternedInput::new(byte_lines_with_terminator(old.as_bytes()), byte_lines_with_terminator(new.as_bytes()));
            let mut count = 0;
            diff(Algorithm::Myers, &whole, |_: Range<u32>, a: Range<u32>| count += a.len());
            prop_assert_eq!(reported.iter().map(|r| r.count as usize).sum::<usize>(), count);
        });
    }
}
