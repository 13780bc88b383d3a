use anyhow::{Context, Result};
use git2::{Blob, DiffOptions, Patch};

/// A run of lines in the new version of a file: 1-based `start`, `count` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRange {
    /// First line, 1-based.
    pub start: u32,
    /// Number of lines.
    pub count: u32,
}

/// The runs of lines of `new` that are added relative to `old` (a zero-context diff, so every
/// run is exactly the added lines of one hunk).
///
/// # Errors
/// libgit2 fails to diff the two blobs.
pub fn added_lines(old: &Blob<'_>, new: &Blob<'_>) -> Result<Vec<LineRange>> {
    added_lines_in(old.content(), new.content())
}

/// [`added_lines`] on two buffers: the pure part of the diff (no repository), also the entry
/// point for fuzzing and property tests.
///
/// # Errors
/// libgit2 fails to diff the two buffers.
pub fn added_lines_in(old: &[u8], new: &[u8]) -> Result<Vec<LineRange>> {
    let mut opts = DiffOptions::new();
    opts.context_lines(0).interhunk_lines(0).force_text(true);
    // From buffers, not `Patch::from_blobs`: that one consults the repository's attributes (a
    // `-diff` attribute would hide content, and reading them fails on a sparse index).
    let patch = Patch::from_buffers(old, None, new, None, Some(&mut opts))
        .context("diffing a staged file against its committed version")?;
    let mut runs = Vec::with_capacity(patch.num_hunks());
    for index in 0..patch.num_hunks() {
        let (hunk, _) = patch.hunk(index).context("reading a diff hunk")?;
        if hunk.new_lines() > 0 {
            runs.push(LineRange { start: hunk.new_start(), count: hunk.new_lines() });
        }
    }
    Ok(runs)
}
