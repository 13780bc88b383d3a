//! Expands rule example templates into concrete test texts.
//!
//! A scanner's own repository must not contain strings that look like live credentials, so rule
//! examples are stored as templates and the random part is generated when the tests run:
//!
//! - `{{gen:CLASS:LEN}}` — `LEN` random characters of `CLASS` (`upper`, `lower`, `digit`, `alnum`,
//!   `alnum-upper`, `alnum-lower`, `hex`, `hex-upper`, `base32`, `base64`, `base64url`);
//! - `{{<}}` and `{{>}}` — mark where the secret starts and ends in the expanded text, so a test
//!   can check the rule captured exactly that.

use std::ops::Range;

/// A template expanded into text, with the marked secret range if the template marks one.
#[derive(Debug, Clone)]
pub struct Expanded {
    /// The text to scan.
    pub text: String,
    /// Byte range of the secret in `text`, when marked with `{{<}}`/`{{>}}`.
    pub secret: Option<Range<usize>>,
}

/// A small deterministic generator (splitmix64): examples are reproducible from a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A random index below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for test data.
        (self.next_u64() % n as u64) as usize
    }

    /// `len` random characters from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| alphabet[self.below(alphabet.len())] as char).collect()
    }
}

/// The alphabet of a character class name.
pub fn alphabet(class: &str) -> Option<&'static [u8]> {
    Some(match class {
        "upper" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "lower" => b"abcdefghijklmnopqrstuvwxyz",
        "digit" => b"0123456789",
        "alnum" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "alnum-upper" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "alnum-lower" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "hex" => b"0123456789abcdef",
        "hex-upper" => b"0123456789ABCDEF",
        "base32" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
        "base64" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "base64url" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        _ => return None,
    })
}

/// Expands `template` with random characters drawn from `rng`.
///
/// # Errors
/// A malformed `{{...}}` directive (unknown class, bad length, unclosed braces).
pub fn expand(template: &str, rng: &mut Rng) -> Result<Expanded, String> {
    let mut text = String::with_capacity(template.len() + 32);
    let (mut start, mut end) = (None, None);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        text.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| format!("unclosed '{{{{' in example {template:?}"))?;
        let directive = &after[..close];
        match directive {
            "<" => start = Some(text.len()),
            ">" => end = Some(text.len()),
            _ => text.push_str(&generate(directive, rng)?),
        }
        rest = &after[close + 2..];
    }
    text.push_str(rest);
    let secret = match (start, end) {
        (Some(s), Some(e)) if s <= e => Some(s..e),
        (None, None) => None,
        _ => return Err(format!("unbalanced {{{{<}}}}/{{{{>}}}} in example {template:?}")),
    };
    Ok(Expanded { text, secret })
}

fn generate(directive: &str, rng: &mut Rng) -> Result<String, String> {
    let mut parts = directive.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("gen"), Some(class), Some(len), None) => {
            let alphabet = alphabet(class).ok_or_else(|| format!("unknown class {class:?}"))?;
            let len: usize = len.parse().map_err(|_| format!("bad length {len:?}"))?;
            Ok(rng.string(alphabet, len))
        }
        _ => Err(format!("unknown directive {{{{{directive}}}}}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_classes_and_marks_the_secret() {
        let mut rng = Rng::new(7);
        let e = expand("k = \"{{<}}AB{{gen:hex:8}}{{>}}\"", &mut rng).expect("valid template");
        let secret = &e.text[e.secret.clone().expect("marked")];
        assert_eq!(secret.len(), 10);
        assert!(secret.starts_with("AB"));
        assert!(secret[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn rejects_malformed_directives() {
        let mut rng = Rng::new(1);
        assert!(expand("{{gen:nope:3}}", &mut rng).is_err());
        assert!(expand("{{gen:hex:x}}", &mut rng).is_err());
        assert!(expand("{{gen:hex:3", &mut rng).is_err());
        assert!(expand("{{<}}abc", &mut rng).is_err());
    }
}
