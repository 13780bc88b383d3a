//! The redact filter: copies a stream with every secret replaced by
//! `[REDACTED:<rule>:<fingerprint prefix>]` and every other byte unchanged, in constant memory.
//!
//! The input is read in [`READ_CHUNK`] pieces into a window. Each round scans the whole window
//! and writes out the part that can no longer change: everything up to the last line break, minus
//! the lines from an unfinished `-----BEGIN …` block or PuTTY key file (so a multi-line private
//! key split across reads is still caught whole, up to [`MAX_CARRY`] bytes). Findings that start in the kept tail
//! are dropped and found again in the next round, when the tail is scanned with what follows it.
//! A line longer than [`MAX_LINE`] is cut, keeping an [`OVERLAP`] so that a secret across the cut
//! is seen whole. Peak memory is therefore about `MAX_LINE + READ_CHUNK`, whatever the input size.

use std::io::{self, Read, Write};

use anyhow::{Context, Result};

use crate::scan::{Engine, Finding};
use crate::source::{Fragment, Origin};

/// Bytes read per round.
pub const READ_CHUNK: usize = 64 * 1024;
/// The longest unfinished key block kept back for the next round.
pub const MAX_CARRY: usize = 256 * 1024;
/// A line longer than this is cut (with an overlap).
pub const MAX_LINE: usize = 1024 * 1024;
/// What is kept of a cut line, so that a secret across the cut is still matched.
pub const OVERLAP: usize = 4 * 1024;

/// What the filter did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Bytes read.
    pub bytes: u64,
    /// Secrets replaced.
    pub replaced: u64,
}

/// The placeholder written in place of a finding's value.
pub fn placeholder(finding: &Finding) -> String {
    let prefix = finding.fingerprint.get(..12).unwrap_or(&finding.fingerprint);
    format!("[REDACTED:{}:{prefix}]", finding.rule.id())
}

/// Copies `input` to `output`, replacing every secret the engine finds.
///
/// # Errors
/// Reading or writing fails, or a rule does not compile.
pub fn filter(engine: &Engine, input: &mut dyn Read, output: &mut dyn Write) -> Result<Stats> {
    let origin = Origin::Stdin;
    let mut stats = Stats::default();
    let mut window: Vec<u8> = Vec::with_capacity(READ_CHUNK * 2);
    let mut findings: Vec<Finding> = Vec::new();
    let mut eof = false;
    loop {
        if !eof {
            let n = read_chunk(input, &mut window).context("reading standard input")?;
            stats.bytes += n as u64;
            eof = n == 0;
        }
        let cut = if eof { window.len() } else { settled(&window) };
        if cut == 0 {
            if eof {
                break;
            }
            continue;
        }
        findings.clear();
        engine.scan(&Fragment { origin: &origin, path: "-", first_line: 1, text: &window }, &mut findings)?;
        findings.retain(|f| f.span.start < cut && !f.span.is_empty());
        findings.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
        let mut written = 0;
        for f in &findings {
            if f.span.start < written {
                continue; // inside a value already replaced
            }
            output.write_all(&window[written..f.span.start]).context("writing standard output")?;
            output.write_all(placeholder(f).as_bytes()).context("writing standard output")?;
            written = f.span.end;
            stats.replaced += 1;
        }
        let end = cut.max(written);
        output.write_all(&window[written..end]).context("writing standard output")?;
        window.drain(..end);
        if eof && window.is_empty() {
            break;
        }
    }
    output.flush().context("writing standard output")?;
    Ok(stats)
}

/// Appends up to [`READ_CHUNK`] bytes; 0 at end of input.
fn read_chunk(input: &mut dyn Read, window: &mut Vec<u8>) -> io::Result<usize> {
    let old = window.len();
    window.resize(old + READ_CHUNK, 0);
    let result = loop {
        match input.read(&mut window[old..]) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => break other,
        }
    };
    let n = *result.as_ref().unwrap_or(&0);
    window.truncate(old + n);
    result
}

/// How much of the window can be written out now (0: read more first).
fn settled(window: &[u8]) -> usize {
    let mut cut = match window.iter().rposition(|&b| b == b'\n') {
        Some(p) => p + 1,
        None if window.len() >= MAX_LINE => window.len() - OVERLAP,
        None => return 0,
    };
    // An unfinished key block in the complete lines: keep it for the next round.
    let complete = cut;
    for (start, end) in BLOCKS {
        if let Some(begin) = rfind(&window[..complete], start) {
            if find(&window[begin..complete], end).is_none() {
                let line_start = window[..begin].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                if window.len() - line_start <= MAX_CARRY {
                    cut = cut.min(line_start);
                }
            }
        }
    }
    cut
}

/// How the multi-line secrets of the built-in rules start and end: PEM blocks (private keys,
/// PGP) and PuTTY key files, whose private lines come before the closing `Private-MAC` line.
/// Every other built-in pattern matches within one line.
const BLOCKS: [(&[u8], &[u8]); 2] = [(b"-----BEGIN", b"-----END"), (b"PuTTY-User-Key-File-", b"Private-MAC")];

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::example::{alphabet, Rng};
    use crate::rules::BUILTIN;

    fn engine() -> Engine {
        Engine::new(BUILTIN.iter().collect()).expect("engine")
    }

    fn token(rng: &mut Rng) -> String {
        // A checksummed classic token: 30 random characters and their base62 CRC-32.
        let body = rng.string(alphabet("alnum").expect("alnum"), 30);
        let check = crate::rules::validate::base62_6(crate::rules::validate::crc32(body.as_bytes()));
        ["gh", "p_"].concat() + &body + &check
    }

    fn pem(rng: &mut Rng) -> String {
        let kind = ["RSA PRIV", "ATE KEY"].concat();
        let body: Vec<String> = (0..8).map(|_| rng.string(alphabet("base64").expect("b64"), 64)).collect();
        format!("-----BEGIN {kind}-----\n{}\n-----END {kind}-----", body.join("\n"))
    }

    /// A reader that returns at most `n` bytes per call, to split the input anywhere.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn run(input: &[u8], step: usize) -> (Vec<u8>, Stats) {
        let mut out = Vec::new();
        let stats = filter(&engine(), &mut Trickle(input, step), &mut out).expect("filter");
        (out, stats)
    }

    #[test]
    fn secrets_are_replaced_and_everything_else_kept_byte_for_byte() {
        let mut rng = Rng::new(7);
        let t = token(&mut rng);
        let key = pem(&mut rng);
        let mut input = b"caf\xc3\xa9 \xff\xfe not utf-8\r\n".to_vec();
        input.extend_from_slice(format!("using {t} now\n\nkey:\n{key}\ntail without newline").as_bytes());
        for step in [1, 7, 100, READ_CHUNK] {
            let (out, stats) = run(&input, step);
            let text = String::from_utf8_lossy(&out);
            assert!(!text.contains(&t), "token leaked at step {step}");
            assert!(!text.contains(&key[40..80]), "key body leaked at step {step}");
            assert_eq!(stats.replaced, 2, "step {step}: {text}");
            assert!(
                out.starts_with(b"caf\xc3\xa9 \xff\xfe not utf-8\r\nusing [REDACTED:github.pat-classic:lg1:")
            );
            assert!(text.contains("now\n\nkey:\n[REDACTED:private-key.rsa:lg1:"));
            assert!(text.ends_with("]\ntail without newline"));
            assert_eq!(stats.bytes, input.len() as u64);
        }
    }

    #[test]
    fn clean_input_passes_unchanged_and_empty_input_is_fine() {
        let input = b"line one\nline two\n\n-----BEGIN NOTHING\nno end".repeat(3000);
        let (out, stats) = run(&input, 4096);
        assert_eq!(out, input);
        assert_eq!(stats.replaced, 0);
        assert_eq!(run(b"", 10).0, b"");
    }

    #[test]
    fn a_secret_across_a_cut_in_a_very_long_line_is_caught() {
        let mut rng = Rng::new(8);
        let t = token(&mut rng);
        let mut input = vec![b'x'; MAX_LINE - OVERLAP - 10];
        input.push(b' ');
        input.extend_from_slice(t.as_bytes());
        input.push(b' ');
        input.extend(std::iter::repeat_n(b'y', MAX_LINE));
        let (out, stats) = run(&input, READ_CHUNK);
        assert_eq!(stats.replaced, 1);
        assert!(!String::from_utf8_lossy(&out).contains(&t));
        assert_eq!(out.len(), input.len() - t.len() + placeholder_len("github.pat-classic"));
    }

    /// Found by the property tests: a PuTTY key file (multi-line, but no `-----BEGIN` block) that
    /// arrived in several reads was written out line by line, before the rule could see it whole.
    #[test]
    fn a_putty_key_read_in_pieces_is_caught_whole() {
        for id in ["private-key.putty", "private-key.putty-encrypted"] {
            let rule = crate::rules::builtin(id).expect("rule");
            let example = crate::rules::example::expand(
                rule.examples().iter().next().expect("an example"),
                &mut Rng::new(5),
            )
            .expect("template");
            let secret = &example.text[example.secret.clone().expect("marked secret")];
            let input = format!("before\n{}\nafter\n", example.text);
            for step in [1, 7, 100, READ_CHUNK] {
                let (out, stats) = run(input.as_bytes(), step);
                assert_eq!(stats.replaced, 1, "{id} step {step}");
                assert!(!String::from_utf8_lossy(&out).contains(secret), "{id} leaked at step {step}");
                assert!(String::from_utf8_lossy(&out).starts_with("before\n"));
            }
        }
    }

    fn placeholder_len(rule: &str) -> usize {
        "[REDACTED:".len() + rule.len() + 1 + 12 + 1
    }
}
