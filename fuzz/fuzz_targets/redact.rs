//! The redact filter (`leakgate redact`) on arbitrary bytes read in arbitrary pieces: never
//! panics, counts every byte, and never lets through a secret that a scan of the whole input in
//! one piece finds (when that value occurs once in the input: a value repeated elsewhere in a
//! context no rule matches is not a finding there).
#![no_main]

use std::io::{self, Read};
use std::sync::LazyLock;

use leakgate::redact;
use leakgate::rules::BUILTIN;
use leakgate::scan::Engine;
use leakgate::source::{Fragment, Origin};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new(BUILTIN.iter().collect()).expect("engine"));

/// Returns at most `step` bytes per read, so the filter's window is cut anywhere.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || needle.len() > haystack.len() {
        return 0;
    }
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let step = usize::from(pick).max(1);
    let mut out = Vec::new();
    let stats = redact::filter(&ENGINE, &mut Trickle(input, step), &mut out).expect("filter");
    assert_eq!(stats.bytes, input.len() as u64);
    if stats.replaced == 0 {
        assert_eq!(out, input, "nothing replaced, yet the output differs");
    }

    let origin = Origin::Stdin;
    let mut findings = Vec::new();
    ENGINE
        .scan(&Fragment { origin: &origin, path: "-", first_line: 1, text: input }, &mut findings)
        .expect("scan");
    for f in &findings {
        let value = f.secret.expose();
        if value.len() >= 8 && count(input, value) == 1 {
            assert_eq!(
                count(&out, value),
                0,
                "{} ({} bytes) passed through the filter",
                f.rule.id(),
                value.len()
            );
        }
    }
});
