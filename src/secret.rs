//! The one type that holds a secret value, and the one place that turns it into a display form.
//!
//! `Debug` and `Display` print the redacted form, so a secret cannot reach a report, a log line
//! or a panic message by accident; the raw bytes are reachable only through [`Secret::expose`],
//! whose callers are few and named (fingerprinting, the redact filter's offsets).

use sha2::{Digest, Sha256};
use std::fmt;

/// A secret value found by the engine.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps raw bytes.
    pub fn new(bytes: &[u8]) -> Secret {
        Secret(bytes.to_vec())
    }

    /// The raw value. Never print it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The redacted form: at most a fifth of the value, and never more than four characters,
    /// followed by the length. Enough to recognise a provider prefix, never enough to use.
    pub fn redacted(&self) -> String {
        let reveal = (self.0.len() / 5).min(4);
        let shown: String =
            self.0[..reveal].iter().map(|&b| if b.is_ascii_graphic() { b as char } else { '?' }).collect();
        format!("{shown}… ({} chars)", self.0.len())
    }

    /// A stable fingerprint of the rule and value: the same secret found again (on another line,
    /// in another file or repository) gets the same fingerprint. It is a truncated SHA-256, so
    /// it does not reveal the value.
    pub fn fingerprint(&self, rule_id: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"leakgate-fingerprint-v1\0");
        hasher.update(rule_id.as_bytes());
        hasher.update(b"\0");
        hasher.update(&self.0);
        let digest = hasher.finalize();
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("lg1:{hex}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_reveals_at_most_a_fifth_and_four_chars() {
        let s = Secret::new(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        assert_eq!(s.redacted(), "ABCD… (26 chars)");
        assert_eq!(Secret::new(b"hunter22").redacted(), "h… (8 chars)");
        assert!(!format!("{s:?}").contains("EFGH"));
    }

    #[test]
    fn fingerprints_are_stable_and_rule_scoped() {
        let s = Secret::new(b"value-1234");
        assert_eq!(s.fingerprint("a.b"), s.fingerprint("a.b"));
        assert_ne!(s.fingerprint("a.b"), s.fingerprint("a.c"));
        assert!(s.fingerprint("a.b").starts_with("lg1:"));
    }
}
