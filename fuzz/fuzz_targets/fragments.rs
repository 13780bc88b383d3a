//! The fragment builder (diff of two versions of a file → runs of added lines): never panics,
//! every fragment is a run of whole lines of the new version starting at the line it claims, and
//! every line of the new version that appears nowhere in the old one is in some fragment.
#![no_main]

use leakgate::source::{fragments_from_buffers, Fragment, Origin, Sink, SourceStats};
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Collect(Vec<(u32, usize, usize)>, usize);

impl Sink for Collect {
    fn file(&mut self, _: &str, _: &Origin) -> anyhow::Result<()> {
        self.1 += 1;
        Ok(())
    }
    fn fragment(&mut self, f: &Fragment<'_>) -> anyhow::Result<()> {
        // Recorded as (first line, offset, length) within the new buffer.
        self.0.push((f.first_line, f.text.as_ptr() as usize, f.text.len()));
        Ok(())
    }
}

/// Byte offset where each line starts (a final newline does not start a line).
fn line_starts(content: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(content.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i + 1));
    if starts.last() == Some(&content.len()) && !content.is_empty() {
        starts.pop();
    }
    starts
}

fn lines(content: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = content.split(|&b| b == b'\n').collect();
    if content.ends_with(b"\n") || content.is_empty() {
        v.pop();
    }
    v
}

fuzz_target!(|data: &[u8]| {
    // Input: old version, a 0xFF separator, new version (no separator: a new file).
    let (old, new) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (Some(&data[..at]), &data[at + 1..]),
        None => (None, data),
    };
    let origin = Origin::Index;
    let mut sink = Collect::default();
    let mut stats = SourceStats::default();
    fragments_from_buffers(old, new, "f.txt", &origin, &mut sink, &mut stats).expect("diffing two buffers");

    let base = new.as_ptr() as usize;
    let starts = line_starts(new);
    let new_lines = lines(new);
    let mut covered = vec![false; new_lines.len()];
    let mut bytes = 0u64;
    for &(first_line, ptr, len) in &sink.0 {
        assert!(first_line >= 1, "line numbers are 1-based");
        let offset = ptr.wrapping_sub(base);
        assert!(offset + len <= new.len() || len == 0, "a fragment outside the new version");
        let index = first_line as usize - 1;
        if len > 0 {
            assert_eq!(
                starts.get(index),
                Some(&offset),
                "fragment at line {first_line} does not start there"
            );
            let end = offset + len;
            assert!(end == new.len() || new[end - 1] == b'\n', "a fragment ends mid-line");
            let n =
                new[offset..end].iter().filter(|&&b| b == b'\n').count() + usize::from(new[end - 1] != b'\n');
            for c in covered.iter_mut().skip(index).take(n) {
                *c = true;
            }
        }
        bytes += len as u64;
    }
    assert_eq!(stats.bytes_scanned, bytes);
    match old {
        None => assert!(new.is_empty() || covered.iter().all(|&c| c), "a new file is scanned whole"),
        Some(old) => {
            let old_lines: std::collections::HashSet<&[u8]> = lines(old).into_iter().collect();
            for (i, line) in new_lines.iter().enumerate() {
                assert!(
                    covered[i] || old_lines.contains(line),
                    "line {} is new but not in any fragment",
                    i + 1
                );
            }
        }
    }
});
