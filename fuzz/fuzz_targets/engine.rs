//! The engine with the built-in catalog on arbitrary bytes: never panics, and every finding is
//! consistent with the text (its span holds exactly the secret, its line and column point at the
//! span's start, its redacted form and fingerprint are well formed).
#![no_main]

use std::sync::LazyLock;

use leakgate::rules::BUILTIN;
use leakgate::scan::Engine;
use leakgate::source::{Fragment, Origin};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new(BUILTIN.iter().collect()).expect("engine"));

fuzz_target!(|data: &[u8]| {
    // The first byte picks the line number the fragment starts at (fragments of added lines
    // start anywhere in a file), and the path a few rules look at.
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let first_line = 1 + u32::from(pick) * 1000;
    let path = ["src/config.py", ".env", "id_rsa", "deploy/settings.yaml"][usize::from(pick % 4)];
    let origin = Origin::File;
    let fragment = Fragment { origin: &origin, path, first_line, text };
    let mut findings = Vec::new();
    ENGINE.scan(&fragment, &mut findings).expect("built-in rules compile");
    let _ = ENGINE.scan_path(path, &origin, &mut findings);
    for f in &findings {
        if f.line == 0 {
            continue; // a finding about the file name
        }
        assert!(f.span.end <= text.len(), "{}: span past the end", f.rule.id());
        assert_eq!(&text[f.span.clone()], f.secret.expose(), "{}: span and secret differ", f.rule.id());
        let before = &text[..f.span.start];
        let newlines = before.iter().filter(|&&b| b == b'\n').count() as u32;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        assert_eq!(f.line, first_line + newlines, "{}: wrong line", f.rule.id());
        assert_eq!(f.column as usize, f.span.start - line_start + 1, "{}: wrong column", f.rule.id());
        assert!(f.end() >= (f.line, 0));
        assert!(f.fingerprint.starts_with("lg1:") && f.fingerprint.len() == 20);
        let shown = f.secret.redacted();
        let value = f.secret.expose();
        if value.len() >= 12 {
            assert!(
                !shown.as_bytes().windows(value.len()).any(|w| w == value),
                "{}: redaction shows it",
                f.rule.id()
            );
        }
        assert_eq!(format!("{}", f.secret), shown);
    }
});
