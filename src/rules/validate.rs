//! Checks that cut false positives without a network call: Shannon entropy, placeholder values,
//! and structural validators named by rules (`validator = "..."` in the catalog).

use super::RuleDef;

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

/// Words that mark a value as a stand-in rather than a credential (matched as substrings of the
/// lower-cased value, for rules whose match has no distinctive provider prefix).
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "xxxx",
    "****",
    "...",
    "•••",
    "your_",
    "your-",
    "yourapikey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "$(",
    "%(",
    "#{",
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "dummy",
    "redacted",
    "placeholder",
    "insert_",
    "insert-",
    "replace_me",
    "replace-me",
    "replaceme",
    "notasecret",
    "not_a_secret",
    "not-a-secret",
    "notreal",
    "not_real",
    "secret_here",
    "token_here",
    "key_here",
    "password_here",
    "fake_",
    "fake-",
    "_fake",
    "-fake",
    "sample_",
    "sample-",
    "test-",
    "test_",
    "mock_",
    "mock-",
    "fixture",
    "os.environ",
    "process.env",
    "getenv",
    "env.",
    "secrets.",
    "vault:",
    "secretsmanager",
    "secretmanager",
    "keyvault",
];

/// Words that mark a provider-prefixed token as a stand-in. Only long words: the random body of
/// a real token must practically never contain one by chance.
const TOKEN_PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "redacted",
    "dummy",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "insert",
    "replace",
    "notreal",
    "fake_",
    "fake-",
    "abcdefgh",
    "12345678",
    "${",
    "{{",
    "}}",
    "<",
    ">",
    "$(",
    "***",
    "...",
    "•",
];

/// Whether `value` looks like a placeholder: a documented example, a template variable, a
/// reference to an environment variable or a secret manager, a masked value, or a run of one
/// repeated character. Broad: meant for values that carry no provider prefix.
pub fn is_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| contains(&lower, w)) {
        return true;
    }
    // Shell/Make style references: `$VAR`, `$env:VAR`, `%VAR%`.
    if lower.first() == Some(&b'$') || (lower.first() == Some(&b'%') && lower.last() == Some(&b'%')) {
        return true;
    }
    distinct(&lower) <= 3 || longest_run(&lower) >= 6
}

/// Whether the body of a provider-prefixed token (the part after the prefix) is a stand-in.
/// Narrow on purpose: a random body that happens to contain `xxxx` is still a token; only
/// long placeholder words, template markers, masks and long runs of one character count.
pub fn is_placeholder_token(body: &[u8]) -> bool {
    let lower = body.to_ascii_lowercase();
    if TOKEN_PLACEHOLDER_WORDS.iter().any(|w| contains(&lower, w)) {
        return true;
    }
    !lower.is_empty() && (distinct(&lower) <= 4 || longest_run(&lower) >= 8)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    let Some(&first) = needle.first() else {
        return true;
    };
    haystack.windows(needle.len()).any(|w| w[0] == first && w == needle)
}

fn distinct(bytes: &[u8]) -> usize {
    let mut seen = [false; 256];
    bytes.iter().filter(|&&b| !std::mem::replace(&mut seen[b as usize], true)).count()
}

fn longest_run(bytes: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for (i, &b) in bytes.iter().enumerate() {
        run = if i > 0 && bytes[i - 1] == b { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

/// SHA-256 digests of credentials that providers publish in their documentation (stored as
/// digests so this file holds none of them): a match is an example, never a leak.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    // jwt.io's HS256 example token
    "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",
    // Stripe's documentation test secret key
    "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
    // GitHub's documentation OAuth token
    "bc3ae723f57c6b9e3fd80b699fcc420f6074b0b1718039669d22631d508ac0a7",
    // AWS's documentation access key id
    "1a5d44a2dca19669d72edf4c4f1c27c4c1ca4b4408fbb17f6ce4ad452d78ddb3",
    // AWS's documentation secret access key
    "78314b11be2e581549ac1c4f616563fad3fdf0c3b71678f6e2299182080e0598",
];

/// Whether `value` is a credential published in a provider's documentation.
pub fn is_documented_example(value: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(value);
    let mut hex = [0u8; 64];
    for (at, byte) in digest.iter().enumerate() {
        hex[2 * at] = DIGITS[usize::from(byte >> 4)];
        hex[2 * at + 1] = DIGITS[usize::from(byte & 15)];
    }
    DOCUMENTED_EXAMPLES.iter().any(|example| example.as_bytes() == hex)
}

/// The full acceptance check the engine applies to a candidate value of `rule`: the structural
/// validator, the entropy minimum, placeholder suppression, and documented provider examples
/// dropped. A value whose checksum validates is never suppressed as a placeholder, and a value
/// that starts with one of the rule's (prefix) keywords is judged by its body only, with the
/// narrow token check.
pub fn accepts(rule: &RuleDef, value: &[u8]) -> bool {
    // Documented examples are checked last (see `passes`): hashing every candidate cost more
    // than all the other checks together.
    passes(rule, value) && !is_documented_example(value)
}

/// [`accepts`] without the documented examples.
fn passes(rule: &RuleDef, value: &[u8]) -> bool {
    let validator = rule.validator().and_then(Validator::parse);
    if let Some(v) = validator {
        if !v.accepts(value) {
            return false;
        }
    }
    if rule.entropy().is_some_and(|min| entropy(value) < min) {
        return false;
    }
    if !rule.placeholders() || validator.is_some_and(|v| v.proves(value)) {
        return true;
    }
    let prefix = rule
        .keywords()
        .iter()
        .filter(|k| value.len() > k.len() && value[..k.len()].eq_ignore_ascii_case(k.as_bytes()))
        .map(|k| k.len())
        .max();
    match prefix {
        Some(len) => !is_placeholder_token(&value[len..]),
        None => !is_placeholder(value),
    }
}

/// CRC-32 (IEEE 802.3, as zlib computes it) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base62 (`0-9A-Za-z`), left-padded with `0` to six characters: the checksum suffix of
/// GitHub's and npm's tokens.
pub fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

/// Whether a `<prefix>_<30 random><6 checksum>` token carries a valid checksum: the last six
/// characters are the base62 CRC-32 of the thirty before them. `None` when the token does not
/// have that shape (older or longer formats, which are then accepted as they are).
pub fn token_checksum(token: &[u8]) -> Option<bool> {
    let underscore = token.iter().position(|&b| b == b'_')?;
    let body = &token[underscore + 1..];
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some(base62_6(crc32(&body[..30])).as_bytes() == &body[30..])
}

/// The structural validators a rule can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// A JSON Web Token: three base64url parts whose header (with `alg`) and payload decode to
    /// JSON objects.
    Jwt,
    /// GitHub `gh?_` tokens: CRC-32 checksum in the last six characters of 36-character bodies.
    GithubChecksum,
    /// npm `npm_` tokens: the same CRC-32 scheme as GitHub's.
    NpmChecksum,
    /// A PEM block whose body is base64 of a plausible size (not `...` or a placeholder).
    PemBody,
    /// An OpenSSH private key whose cipher is `none` (unencrypted), or that cannot be decoded.
    OpensshPlain,
    /// An OpenSSH private key protected by a passphrase (cipher other than `none`).
    OpensshEncrypted,
    /// AWS access key ids: known four-letter prefix and the base32 alphabet, 20 characters.
    AwsKeyId,
    /// Slack tokens and webhooks: the segment structure of each token kind.
    Slack,
    /// Stripe keys: `sk|rk|pk_live|test_` followed by a mixed alphanumeric body.
    Stripe,
    /// Values of the generic assignment rules: not a UUID, hex digest, integrity hash, file path,
    /// identifier or reference.
    Generic,
    /// Hex values under credential-named keys: not a UUID.
    GenericHex,
    /// Base64 of `user:password` (HTTP Basic, Docker `auths`), with a real-looking password.
    BasicAuth,
    /// The password part of a connection URI: not a documented default or a placeholder.
    UriPassword,
}

impl Validator {
    /// Every validator name the catalog may use.
    pub const NAMES: &'static [&'static str] = &[
        "jwt",
        "github-checksum",
        "npm-checksum",
        "pem-body",
        "openssh-plain",
        "openssh-encrypted",
        "aws-key-id",
        "slack",
        "stripe",
        "generic",
        "generic-hex",
        "basic-auth",
        "uri-password",
    ];

    /// Looks a validator up by name.
    pub fn parse(name: &str) -> Option<Validator> {
        Some(match name {
            "jwt" => Validator::Jwt,
            "github-checksum" => Validator::GithubChecksum,
            "npm-checksum" => Validator::NpmChecksum,
            "pem-body" => Validator::PemBody,
            "openssh-plain" => Validator::OpensshPlain,
            "openssh-encrypted" => Validator::OpensshEncrypted,
            "aws-key-id" => Validator::AwsKeyId,
            "slack" => Validator::Slack,
            "stripe" => Validator::Stripe,
            "generic" => Validator::Generic,
            "generic-hex" => Validator::GenericHex,
            "basic-auth" => Validator::BasicAuth,
            "uri-password" => Validator::UriPassword,
            _ => return None,
        })
    }

    /// Whether `secret` passes the validator.
    pub fn accepts(self, secret: &[u8]) -> bool {
        match self {
            Validator::Jwt => jwt_ok(secret),
            Validator::GithubChecksum | Validator::NpmChecksum => token_checksum(secret) != Some(false),
            Validator::PemBody => pem_body(secret).is_some_and(|b| b.len() >= 48),
            Validator::OpensshPlain => openssh_cipher(secret).is_none_or(|c| c == b"none"),
            Validator::OpensshEncrypted => openssh_cipher(secret).is_some_and(|c| c != b"none"),
            Validator::AwsKeyId => aws_key_id_ok(secret),
            Validator::Slack => slack_ok(secret),
            Validator::Stripe => stripe_ok(secret),
            Validator::Generic => generic_ok(secret),
            Validator::GenericHex => !is_uuid(secret),
            Validator::BasicAuth => basic_auth_ok(secret),
            Validator::UriPassword => uri_password_ok(secret),
        }
    }

    /// Whether the validator positively proves `secret` is a real token format (a checksum that
    /// matches), which places it beyond placeholder suppression.
    pub fn proves(self, secret: &[u8]) -> bool {
        matches!(self, Validator::GithubChecksum | Validator::NpmChecksum)
            && token_checksum(secret) == Some(true)
    }
}

fn jwt_ok(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let object = |part: &[u8]| {
        base64url_decode(part)
            .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
            .and_then(|v| v.as_object().cloned())
    };
    match (object(header), object(payload)) {
        (Some(h), Some(_)) => h.contains_key("alg"),
        _ => false,
    }
}

/// The decoded body of a PEM-style block (lines between `-----BEGIN` and `-----END`, header
/// lines such as `Proc-Type:` and an armour checksum line skipped); `None` if it is not base64.
pub fn pem_body(block: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(block).ok()?;
    let unescaped = text.replace("\\r", "").replace("\\n", "\n");
    let mut body = String::new();
    for line in unescaped.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("-----") || line.contains(':') {
            continue;
        }
        if line.starts_with('=') && line.len() <= 5 {
            continue; // PGP armour CRC-24 line
        }
        if !line.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) {
            return None;
        }
        body.push_str(line);
    }
    if body.len() < 32 {
        return None;
    }
    base64url_decode(body.as_bytes())
}

/// The cipher name of an OpenSSH private key (`none` when unencrypted); `None` if the block
/// does not decode to the `openssh-key-v1` format.
fn openssh_cipher(block: &[u8]) -> Option<Vec<u8>> {
    let body = pem_body(block)?;
    let rest = body.strip_prefix(b"openssh-key-v1\0")?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    rest.get(4..4 + len).map(<[u8]>::to_vec)
}

fn aws_key_id_ok(id: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"AKIA", b"ASIA", b"ABIA", b"ACCA", b"AGPA", b"AIDA", b"AIPA", b"ANPA", b"ANVA", b"APKA", b"AROA",
        b"ASCA",
    ];
    id.len() == 20
        && PREFIXES.contains(&&id[..4])
        && id[4..].iter().all(|&b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

fn slack_ok(token: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(token) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let alnum = |s: &str, min: usize| s.len() >= min && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(rest) = text.strip_prefix("https://hooks.slack.com/") {
        let parts: Vec<&str> = rest.split('/').collect();
        return parts.len() == 4 && parts[1].starts_with('T') && alnum(parts[3], 20);
    }
    let parts: Vec<&str> = text.split('-').collect();
    match parts[0] {
        "xoxb" => parts.len() == 4 && digits(parts[1]) && digits(parts[2]) && alnum(parts[3], 20),
        "xoxp" | "xoxa" | "xoxs" | "xoxr" => {
            parts.len() >= 4
                && parts[1..parts.len() - 1].iter().all(|p| digits(p))
                && alnum(parts[parts.len() - 1], 20)
        }
        "xapp" => {
            parts.len() == 4 && digits(parts[1]) && alnum(parts[2], 9) && digits(parts[3]) || {
                parts.len() == 5
                    && digits(parts[1])
                    && alnum(parts[2], 9)
                    && digits(parts[3])
                    && alnum(parts[4], 32)
            }
        }
        p if p.starts_with("xoxe") => {
            parts.len() >= 3 && digits(parts[1]) && alnum(parts[parts.len() - 1], 20)
        }
        _ => false,
    }
}

fn stripe_ok(key: &[u8]) -> bool {
    let Some(at) = key.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let body = &key[at + 1..];
    let classes = [
        body.iter().any(u8::is_ascii_uppercase),
        body.iter().any(u8::is_ascii_lowercase),
        body.iter().any(u8::is_ascii_digit),
    ];
    body.len() >= 24
        && body.iter().all(u8::is_ascii_alphanumeric)
        && classes.iter().filter(|&&c| c).count() >= 2
}

/// Whether `value` is a UUID (any version, either case).
pub fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, &b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

fn basic_auth_ok(value: &[u8]) -> bool {
    let Some(decoded) = base64url_decode(value) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    match text.split_once(':') {
        Some((user, password)) => {
            !user.is_empty()
                && text.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
                && uri_password_ok(password.as_bytes())
                && !is_placeholder(password.as_bytes())
        }
        None => false,
    }
}

/// Passwords that documentation, tutorials and local development set-ups use.
const DEFAULT_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "postgres",
    "mysql",
    "root",
    "admin",
    "administrator",
    "test",
    "testing",
    "guest",
    "changeme",
    "example",
    "dummy",
    "user",
    "username",
    "pw",
    "123456",
    "12345678",
    "redis",
    "mongo",
    "mongodb",
    "rabbitmq",
    "toor",
    "letmein",
    "default",
    "local",
    "dev",
    "sa",
    "qwerty",
    "foobar",
    "foo",
    "bar",
    "mypassword",
    "yourpassword",
    "password123",
    "secret123",
    "app",
    "demo",
    "sample",
];

fn uri_password_ok(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    let decoded = text.replace("%40", "@").replace("%21", "!");
    // `secret1`, `pass123`: a default with a counter is still a default.
    let stem = decoded.trim_end_matches(|c: char| c.is_ascii_digit());
    value.len() >= 3
        && !DEFAULT_PASSWORDS.contains(&decoded.as_str())
        && !DEFAULT_PASSWORDS.contains(&stem)
        && !is_placeholder(value)
}

/// `RootManageSharedAccessKey`, `myTokenName`, `X-Webhook-Secret`, `X-API-Key`: letters only
/// (with `-`, `_` or `.` between words), every word lower-case, Capitalised, camelCase or a
/// short acronym. Identifiers and header names, not secrets.
fn camel_case_words(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !bytes.iter().all(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_' | b'.')) {
        return false;
    }
    text.split(['-', '_', '.']).all(|segment| {
        let s = segment.as_bytes();
        if s.is_empty() || (s.len() <= 4 && s.iter().all(u8::is_ascii_uppercase)) {
            return true;
        }
        let mut run = 0;
        for (i, &b) in s.iter().enumerate() {
            if b.is_ascii_uppercase() {
                if i > 0 && run < 2 {
                    return false;
                }
                run = 0;
            } else {
                run += 1;
            }
        }
        run >= 2
    })
}

/// `keys/deploy.pem`, `alias/prod-key`, `owner/repo#assets/x`: slash-separated lower-case
/// names, i.e. a path or a resource name (random base64 with a `/` has capitals).
fn word_path(text: &str) -> bool {
    text.contains('/')
        && text.bytes().any(|b| b.is_ascii_lowercase())
        && text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.' | b'/' | b'#')
        })
}

/// `SpAcceptCredentialsFn`, `MI_UserCredentials_0`, `KspGetTokenFn`: an identifier made of
/// pronounceable words. Random text fails at least one of: few capitals, at most one run of
/// digits, four or more letters per word on average, a quarter of the letters vowels, and no
/// run of four consonants.
fn identifier_words(text: &str) -> bool {
    let b = text.as_bytes();
    let ident = b.first().is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    if !ident {
        return false;
    }
    let vowel = |c: u8| matches!(c.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let (mut words, mut letters, mut upper, mut vowels, mut digit_runs, mut consonants) = (0, 0, 0, 0, 0, 0);
    let mut prev: Option<u8> = None;
    for &c in b {
        if c.is_ascii_alphabetic() {
            letters += 1;
            upper += usize::from(c.is_ascii_uppercase());
            let starts = prev.is_none_or(|p| {
                !p.is_ascii_alphabetic() || (p.is_ascii_lowercase() && c.is_ascii_uppercase())
            });
            words += usize::from(starts);
            if starts {
                consonants = 0;
            }
            if vowel(c) {
                vowels += 1;
                consonants = 0;
            } else {
                consonants += 1;
                if consonants >= 4 {
                    return false;
                }
            }
        } else {
            consonants = 0;
            digit_runs += usize::from(c.is_ascii_digit() && !prev.is_some_and(|p| p.is_ascii_digit()));
        }
        prev = Some(c);
    }
    let all_caps = upper == letters;
    words > 0
        && letters >= 4 * words
        && (all_caps || upper * 5 <= letters * 2)
        && digit_runs <= 1
        && vowels * 4 >= letters
}

/// `251658240i32`, `0x10UL`, `3600`: a number literal, with a type suffix.
fn number_literal(text: &str) -> bool {
    let trimmed = [
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64",
    ]
    .iter()
    .find_map(|suffix| text.strip_suffix(suffix))
    .unwrap_or(text)
    .trim_end_matches(['u', 'U', 'l', 'L']);
    let digits = trimmed.strip_prefix("0x").unwrap_or(trimmed);
    trimmed.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b'_')
}

fn generic_ok(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let hex = text.bytes().all(|b| b.is_ascii_hexdigit());
    if is_uuid(value) || (hex && matches!(text.len(), 32 | 40 | 56 | 64 | 96 | 128)) {
        return false; // UUIDs, git SHAs and hex digests
    }
    let lower = text.to_ascii_lowercase();
    if ["sha1-", "sha256-", "sha384-", "sha512-", "sha256:", "sha512:", "md5:", "sha1:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return false; // lockfile integrity and digest references
    }
    if text.contains("://") {
        return false; // a URL (credentials inside URLs have their own rules)
    }
    if text.starts_with('/') || text.starts_with("./") || text.starts_with("~/") || text.starts_with("../") {
        return false; // a file path (a mounted secret file is the right way)
    }
    let identifier = |s: &str| {
        !s.is_empty()
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    // Dotted references (`settings.db.password`, `node.or1_token`) and plain words.
    if text.contains('.') && text.split('.').all(identifier) {
        return false;
    }
    // References and pointers in code (`&TokenStream`, `*secret_ptr`).
    if text.starts_with('&') || text.starts_with('*') {
        return false;
    }
    let words = text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-');
    let constant =
        text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') && text.contains('_');
    let numeric = number_literal(text);
    let reference = lower.contains("/secrets/") || lower.starts_with("projects/");
    !(words
        || constant
        || numeric
        || reference
        || camel_case_words(text)
        || word_path(text)
        || identifier_words(text))
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
    use crate::secret::Secret;

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

    use crate::rules::example::{base64_encode, base64url_encode, expand, Rng};

    fn token(template: &str, seed: u64) -> String {
        expand(template, &mut Rng::new(seed)).expect("valid template").text
    }

    #[test]
    fn crc32_and_base62_match_the_reference_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62_6(0), "000000");
        assert_eq!(base62_6(61), "00000z");
        assert_eq!(base62_6(62), "000010");
        assert_eq!(base62_6(u32::MAX), "4gfFC3");
    }

    #[test]
    fn github_and_npm_checksums_are_verified() {
        for seed in 0..32 {
            let good = token("ghp_{{gen:alnum:30}}{{crc32-b62}}", seed);
            assert!(Validator::GithubChecksum.accepts(good.as_bytes()));
            assert!(Validator::GithubChecksum.proves(good.as_bytes()));
            // Changing one character of the body breaks the checksum.
            let mut bad = good.clone().into_bytes();
            bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
            assert!(!Validator::GithubChecksum.accepts(&bad), "{}", Secret::new(&bad).redacted());
            let npm = token("npm_{{gen:alnum:30}}{{crc32-b62}}", seed);
            assert!(Validator::NpmChecksum.accepts(npm.as_bytes()));
        }
        // Other lengths (longer refresh tokens) carry no checksum we know: accepted.
        assert!(Validator::GithubChecksum.accepts(token("ghr_{{gen:alnum:76}}", 1).as_bytes()));
    }

    #[test]
    fn a_validating_token_is_never_a_placeholder() {
        let rule = crate::rules::builtin("github.pat-classic").expect("rule exists");
        for seed in 0..64 {
            // A random body that happens to contain `xxxx` or `EXAMPLE`: still a token.
            for template in [
                "ghp_{{gen:alnum:10}}xxxx{{gen:alnum:16}}{{crc32-b62}}",
                "ghp_EXAMPLE{{gen:alnum:23}}{{crc32-b62}}",
            ] {
                let value = token(template, seed);
                assert!(accepts(rule, value.as_bytes()), "{}", Secret::new(value.as_bytes()).redacted());
            }
        }
        // Without a checksum, a prefixed body is judged narrowly: `xxxx` inside random text is
        // kept, a body of x's is not.
        let stripe = crate::rules::builtin("stripe.live-secret-key").expect("rule exists");
        let random = token("sk_live_{{gen:alnum:8}}xxxx{{gen:alnum:12}}", 3);
        assert!(accepts(stripe, random.as_bytes()));
        let masked = ["sk_live_", &"x".repeat(24)].concat();
        assert!(!accepts(stripe, masked.as_bytes()));
    }

    #[test]
    fn documented_examples_are_suppressed() {
        // AWS's documented key id, assembled so the source holds no credential-shaped string.
        let aws = ["AKIA", "IOSFODNN7", "EXAMPLE"].concat();
        assert!(is_documented_example(aws.as_bytes()));
        let rule = crate::rules::builtin("aws.access-key-id").expect("rule exists");
        assert!(!accepts(rule, aws.as_bytes()));
        assert!(!is_documented_example(token("AKIA{{gen:base32:16}}", 1).as_bytes()));
    }

    #[test]
    fn jwt_needs_a_json_header_and_payload() {
        let header = base64url_encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = base64url_encode(br#"{"sub":"42"}"#);
        let sig = "c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
        assert!(Validator::Jwt.accepts(format!("{header}.{payload}.{sig}").as_bytes()));
        assert!(!Validator::Jwt.accepts(format!("{header}.{sig}.{sig}").as_bytes()));
        assert!(!Validator::Jwt.accepts(format!("{payload}.{payload}.{sig}").as_bytes()), "no alg");
        assert!(!Validator::Jwt.accepts(b"abc.def.ghi"));
    }

    #[test]
    fn pem_bodies_must_be_base64_and_openssh_cipher_is_read() {
        let body = token("{{gen:base64:64}}\n{{gen:base64:64}}", 2);
        let block = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----");
        assert!(Validator::PemBody.accepts(block.as_bytes()));
        let escaped = block.replace('\n', "\\n");
        assert!(Validator::PemBody.accepts(escaped.as_bytes()), "escaped newlines");
        assert!(!Validator::PemBody.accepts(b"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"));
        let mut plain = b"openssh-key-v1\0".to_vec();
        plain.extend_from_slice(&[0, 0, 0, 4]);
        plain.extend_from_slice(b"none");
        plain.extend_from_slice(&[7; 40]);
        let mut encrypted = b"openssh-key-v1\0".to_vec();
        encrypted.extend_from_slice(&[0, 0, 0, 10]);
        encrypted.extend_from_slice(b"aes256-ctr");
        encrypted.extend_from_slice(&[7; 40]);
        let wrap = |bytes: &[u8]| {
            format!(
                "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
                base64_encode(bytes)
            )
        };
        assert!(Validator::OpensshPlain.accepts(wrap(&plain).as_bytes()));
        assert!(!Validator::OpensshEncrypted.accepts(wrap(&plain).as_bytes()));
        assert!(Validator::OpensshEncrypted.accepts(wrap(&encrypted).as_bytes()));
        assert!(!Validator::OpensshPlain.accepts(wrap(&encrypted).as_bytes()));
    }

    #[test]
    fn structural_validators() {
        let id = token("AKIA{{gen:base32:16}}", 4);
        assert!(Validator::AwsKeyId.accepts(id.as_bytes()));
        assert!(!Validator::AwsKeyId.accepts(id.replace('A', "1").as_bytes()), "1 is not base32");
        assert!(!Validator::AwsKeyId.accepts(["AKIA", "ABC"].concat().as_bytes()));
        let bot = token("xoxb-{{gen:digit:12}}-{{gen:digit:13}}-{{gen:alnum:24}}", 5);
        assert!(Validator::Slack.accepts(bot.as_bytes()));
        assert!(!Validator::Slack.accepts(token("xoxb-{{gen:alnum:30}}", 5).as_bytes()));
        let live = token("sk_live_{{gen:alnum:24}}", 6);
        assert!(Validator::Stripe.accepts(live.as_bytes()));
        assert!(!Validator::Stripe.accepts(["sk_live_", &"1".repeat(24)].concat().as_bytes()));
    }

    #[test]
    fn generic_values_that_are_not_secrets_are_rejected() {
        for value in [
            "123e4567-e89b-12d3-a456-426614174000",
            "3f786850e387550fdab836ed7e6dc881de23001b",
            "sha512-deadbeefcafe",
            "/run/secrets/db_password",
            "settings.database.password",
            "MY_APP_SECRET",
            "RootManageSharedAccessKey",
            "X-Webhook-Secret",
            "X-API-Key",
            "keys/deploy.pem",
            "alias/prod-key",
            "projects/acme/secrets/db/versions/latest",
            "SpAcceptCredentialsFn",
            "MI_UserCredentials_0",
            "node.or1_token",
            "&TokenStream",
            "251658240i32",
            "yegor256/home#assets/crates-credentials",
            "https://auth.acme.io/token",
            "bearer",
        ] {
            assert!(!Validator::Generic.accepts(value.as_bytes()), "{value}");
        }
        assert!(Validator::Generic.accepts(token("{{gen:alnum:20}}", 7).as_bytes()));
    }

    #[test]
    fn uri_passwords_and_basic_auth() {
        for default in ["password", "postgres", "guest", "root", "changeme"] {
            assert!(!Validator::UriPassword.accepts(default.as_bytes()), "{default}");
        }
        assert!(!Validator::UriPassword.accepts(b"${DB_PASSWORD}"));
        assert!(Validator::UriPassword.accepts(token("{{gen:alnum:16}}", 8).as_bytes()));
        let pair = format!("deploy:{}", token("{{gen:alnum:16}}", 9));
        assert!(Validator::BasicAuth.accepts(base64_encode(pair.as_bytes()).as_bytes()));
        assert!(!Validator::BasicAuth.accepts(base64_encode(b"user:password").as_bytes()));
        assert!(!Validator::BasicAuth.accepts(base64_encode(b"no colon here").as_bytes()));
    }
}
