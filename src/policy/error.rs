//! `PolicyError`: a policy (or ignore) file that cannot be used, with the place and a sentence
//! saying what to change. `main` maps it to exit code 2.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// A policy file that cannot be used, with the place and a sentence saying what to change.
#[derive(Debug, Clone)]
pub struct PolicyError {
    /// The file (or `git-url@rev:path` for a pinned git source).
    pub file: PathBuf,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what to do.
    pub message: String,
}

impl PolicyError {
    /// An error about the whole file.
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> PolicyError {
        PolicyError { file: file.into(), position: None, message: message.into() }
    }

    /// An error at a byte span of `text`.
    pub fn at(
        file: impl Into<PathBuf>,
        text: &str,
        span: &Range<usize>,
        message: impl Into<String>,
    ) -> PolicyError {
        PolicyError { file: file.into(), position: Some(line_col(text, span.start)), message: message.into() }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for PolicyError {}

/// 1-based (line, column) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |p| before[p + 1..].chars().count()) + 1;
    (line, col)
}
