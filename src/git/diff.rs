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
    let input = InternedInput::new(byte_lines_with_terminator(old), byte_lines_with_terminator(new));
    let mut runs = Vec::new();
    diff(Algorithm::Myers, &input, |_: Range<u32>, added: Range<u32>| {
        if !added.is_empty() {
            runs.push(LineRange { start: added.start + 1, count: added.len() as u32 });
        }
    });
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(old: &str, new: &str) -> Vec<(u32, u32)> {
        added_line_runs(old.as_bytes(), new.as_bytes()).iter().map(|r| (r.start, r.count)).collect()
    }

    #[test]
    fn added_and_changed_lines_are_runs_of_the_new_file() {
        assert_eq!(runs("", "a\nb\n"), vec![(1, 2)]);
        assert_eq!(runs("a\nb\nc\n", "a\nx\ny\nb\nc\nz\n"), vec![(2, 2), (6, 1)]);
        assert_eq!(runs("a\nb\nc\n", "a\nB\nc\n"), vec![(2, 1)]);
        assert_eq!(runs("a\nb\n", "a\n"), vec![]);
        assert_eq!(runs("a\nb", "a\nb\n"), vec![(2, 1)], "a new line terminator changes the line");
        assert_eq!(runs("a\r\nb\r\n", "a\r\nb\n"), vec![(2, 1)]);
    }
}
