//! Expands rule example templates into concrete test texts.
//!
//! A scanner's own repository must not contain strings that look like live credentials, so rule
//! examples are stored as templates and the random part is generated when the tests run:
//!
//! - `{{gen:CLASS:LEN}}` — `LEN` random characters of `CLASS` (`upper`, `lower`, `digit`, `alnum`,
//!   `alnum-upper`, `alnum-lower`, `hex`, `hex-upper`, `base32`, `base64`, `base64url`);
//! - `{{crc32-b62}}` — the six-character base62 CRC32 of the token body written so far (the run
//!   of ASCII letters and digits just before the directive, e.g. the 30 characters after `ghp_`):
//!   the checksum GitHub and npm append to their tokens, so examples pass their validator;
//! - `{{b64json}}` — base64url of a small JSON object with random claims (a JWT payload);
//! - `{{b64basic}}` — standard base64 of `deploy:<random password>` (HTTP Basic, Docker auths);
//! - `{{open}}` and `{{close}}` — literal `{{` and `}}` (for template syntax such as
//!   `{{ secrets.TOKEN }}` in negative examples);
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
        "bech32" => b"qpzry9x8gf2tvdw0s3jn54khce6mua7l",
        "bech32-upper" => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
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
            "b64json" => {
                // A JWT-style payload: base64url of a small JSON object with random claims.
                let json = format!(
                    "{{\"sub\":\"{}\",\"iat\":{},\"scope\":\"{}\"}}",
                    rng.string(alphabet("alnum").unwrap_or(b"a"), 12),
                    1_600_000_000 + rng.below(200_000_000),
                    rng.string(alphabet("lower").unwrap_or(b"a"), 6)
                );
                text.push_str(&base64url_encode(json.as_bytes()));
            }
            "b64basic" => {
                // An HTTP Basic / Docker `auths` value: base64 of user:password.
                let pair = format!("deploy:{}", rng.string(alphabet("alnum").unwrap_or(b"a"), 20));
                text.push_str(&base64_encode(pair.as_bytes()));
            }
            "open" => text.push_str("{{"),
            "close" => text.push_str("}}"),
            "crc32-b62" => {
                let body_start = text.bytes().rposition(|b| !b.is_ascii_alphanumeric()).map_or(0, |p| p + 1);
                let crc = super::validate::crc32(&text.as_bytes()[body_start..]);
                text.push_str(&super::validate::base62_6(crc));
            }
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

/// Unpadded base64url encoding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    encode(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false)
}

/// Standard, padded base64 encoding.
pub fn base64_encode(bytes: &[u8]) -> String {
    encode(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true)
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
        if pad {
            out.extend(std::iter::repeat_n('=', 3 - chunk.len()));
        }
    }
    out
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
    fn checksum_directive_covers_the_token_body_so_far() {
        let mut rng = Rng::new(3);
        let e = expand("ghp_{{gen:alnum:30}}{{crc32-b62}}", &mut rng).expect("valid template");
        assert_eq!(e.text.len(), 40);
        let body = &e.text[4..34];
        let sum = &e.text[34..];
        assert_eq!(sum, super::super::validate::base62_6(super::super::validate::crc32(body.as_bytes())));
        assert!(super::super::validate::Validator::GithubChecksum.accepts(e.text.as_bytes()));
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
