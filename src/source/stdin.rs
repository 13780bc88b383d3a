//! Standard input, scanned as one file named `-` (build logs, chat exports, prompt logs).

use std::io::Read;

use anyhow::{Context, Result};

use super::{Fragment, Origin, Sink, SourceStats};

/// Reads all of `input` and scans it.
///
/// # Errors
/// Reading fails.
pub fn scan(input: &mut dyn Read, sink: &mut dyn Sink) -> Result<SourceStats> {
    let mut content = Vec::new();
    input.read_to_end(&mut content).context("reading standard input")?;
    let origin = Origin::Stdin;
    sink.file("-", &origin)?;
    sink.fragment(&Fragment { origin: &origin, path: "-", first_line: 1, text: &content })?;
    Ok(SourceStats { files_scanned: 1, bytes_scanned: content.len() as u64, ..SourceStats::default() })
}
