//! Files and directories on disk: walked like ripgrep does (`.gitignore` respected, the `.git`
//! directory skipped, hidden files such as `.env` included), each file scanned whole.

use std::path::Path;

use anyhow::{Context, Result};

use super::{is_binary, Fragment, Limits, Origin, Sink, SourceStats};

/// Scans every file under `roots`.
///
/// # Errors
/// A root does not exist or a file cannot be read.
pub fn scan(roots: &[impl AsRef<Path>], limits: Limits, sink: &mut dyn Sink) -> Result<SourceStats> {
    let mut stats = SourceStats::default();
    let origin = Origin::File;
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
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            scan_file(entry.path(), limits, &origin, sink, &mut stats)?;
        }
    }
    Ok(stats)
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
