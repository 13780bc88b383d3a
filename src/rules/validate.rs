//! Checks that cut false positives without a network call: Shannon entropy, placeholder values,
//! and structural validators named by rules (`validator = "..."` in the catalog).

/// Shannon entropy of `bytes`, in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark a value as a stand-in rather than a credential.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "xxxx",
    "****",
    "....",
    "your_",
    "your-",
    "yourapikey",
    "yourtoken",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "$(",
    "%(",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "redacted",
    "placeholder",
    "insert_",
    "replace_me",
    "replaceme",
    "notasecret",
    "not_a_secret",
    "not-a-secret",
    "secret_here",
    "token_here",
    "key_here",
];

/// Whether `value` looks like a placeholder: a documented example, a template variable, a
/// masked value, or a run of one repeated character.
pub fn is_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    let contains = |needle: &str| lower.windows(needle.len()).any(|w| w == needle.as_bytes());
    if PLACEHOLDER_WORDS.iter().any(|w| contains(w)) {
        return true;
    }
    // Shell/Make style references: `$VAR`, `$env:VAR`, `%VAR%`.
    if lower.first() == Some(&b'$') || (lower.first() == Some(&b'%') && lower.last() == Some(&b'%')) {
        return true;
    }
    let distinct = {
        let mut seen = [false; 256];
        lower.iter().filter(|&&b| !std::mem::replace(&mut seen[b as usize], true)).count()
    };
    distinct <= 2
}

/// The structural validators a rule can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// A JSON Web Token: three base64url parts whose header decodes to JSON with `alg`.
    Jwt,
}

impl Validator {
    /// Every validator name the catalog may use.
    pub const NAMES: &'static [&'static str] = &["jwt"];

    /// Looks a validator up by name.
    pub fn parse(name: &str) -> Option<Validator> {
        match name {
            "jwt" => Some(Validator::Jwt),
            _ => None,
        }
    }

    /// Whether `secret` passes the validator.
    pub fn accepts(self, secret: &[u8]) -> bool {
        match self {
            Validator::Jwt => jwt_header_ok(secret),
        }
    }
}

fn jwt_header_ok(secret: &[u8]) -> bool {
    let header = secret.split(|&b| b == b'.').next().unwrap_or_default();
    match base64url_decode(header) {
        Some(json) => {
            let json = String::from_utf8_lossy(&json);
            json.trim_start().starts_with('{') && json.contains("\"alg\"")
        }
        None => false,
    }
}

/// Decodes unpadded (or padded) base64url / base64; `None` on an invalid character.
pub fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_random_above_repetitive() {
        assert!(entropy(b"aaaaaaaaaaaa") < 0.01);
        assert!(entropy(b"q8Zk2LmP0xWv7RtY") > 3.5);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in
            ["changeme", "${API_TOKEN}", "your_api_key_here", "<token>", "xxxxxxxxxxxx", "$SECRET", "%TOKEN%"]
        {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        assert!(!is_placeholder(b"q8Zk2LmP0xWv7RtY"));
    }

    #[test]
    fn jwt_validator_decodes_the_header() {
        // {"alg":"HS256"} in base64url, assembled so the source holds no token-shaped string.
        let header = ["eyJhbGciOi", "JIUzI1NiJ9"].concat();
        assert!(Validator::Jwt.accepts(format!("{header}.e30.sig").as_bytes()));
        assert!(!Validator::Jwt.accepts(b"abc.def.ghi"));
    }
}
