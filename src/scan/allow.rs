//! Exceptions, applied after the engine: `[[allow]]` entries (paths, secret and line regexes,
//! stopwords), inline markers (`leakgate:allow`, `leakgate:allow-next-line`, and other
//! scanners' markers) and the ignore file (`.leakgate-ignore`: fingerprint, rule, path,
//! reason, owner, expires).
//!
//! An exception never applies to a rule the organisation enforces, unless it comes from an
//! organisation layer or the organisation lists its kind in `enforce.exceptions`; the finding
//! then still blocks and carries the refused exception, so the report can name both the
//! enforced rule and the setting that tried to weaken it.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use serde::Deserialize;
use toml::Spanned;

use super::Finding;
use crate::policy::{ExceptionKind, PolicyError, ResolvedPolicy};
use crate::source::Fragment;

/// The markers leakgate recognises, and whether each is one of leakgate's own.
const MARKERS: &[(&str, bool)] = &[
    ("leakgate:allow-next-line", true),
    ("leakgate:allow", true),
    ("gitleaks:allow", false),
    ("pragma: allowlist secret", false),
    ("trufflehog:ignore", false),
    ("kingfisher:ignore", false),
];

/// An exception that matched a finding.
#[derive(Debug, Clone)]
pub struct Exception {
    /// Its kind.
    pub kind: ExceptionKind,
    /// Where it is (`path:line marker`, `.leakgate-ignore:3`, or the policy setting).
    pub place: String,
    /// Its reason, if it gives one.
    pub reason: Option<String>,
    /// Declared by an organisation layer (honoured even for enforced rules).
    pub from_org: bool,
}

impl std::fmt::Display for Exception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.place)?;
        match &self.reason {
            Some(r) => write!(f, " (reason: {r:?})"),
            None => f.write_str(" (no reason given)"),
        }
    }
}

/// What the filter decided about one finding.
#[derive(Debug, Clone, Default)]
pub struct Judged {
    /// The exception that allows it (the finding does not count).
    pub allowed_by: Option<Exception>,
    /// Exceptions that matched but are not honoured, each with why.
    pub refused: Vec<(Exception, String)>,
}

/// An inline marker on an added line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// The marker text.
    pub marker: &'static str,
    /// `reason="..."`, if given.
    pub reason: Option<String>,
}

/// One `.leakgate-ignore` entry.
#[derive(Debug, Clone)]
pub struct IgnoreEntry {
    /// The finding's fingerprint (`lg1:...`).
    pub fingerprint: Option<String>,
    /// The rule id.
    pub rule: Option<String>,
    /// The path (exact, or a glob).
    pub path: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Who answers for it.
    pub owner: Option<String>,
    /// Last day it applies, as days since 1970-01-01.
    pub expires: Option<i64>,
    /// `YYYY-MM-DD` as written.
    pub expires_text: Option<String>,
    /// 1-based line in the file.
    pub line: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFileSpec {
    #[serde(default)]
    ignore: Vec<Spanned<IgnoreSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreSpec {
    fingerprint: Option<String>,
    rule: Option<String>,
    path: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<Spanned<toml::value::Datetime>>,
}

/// Parses `.leakgate-ignore` text.
///
/// # Errors
/// Bad TOML, unknown keys, an entry with neither fingerprint nor path, a bad date.
pub fn parse_ignore_file(file: &Path, text: &str) -> Result<Vec<IgnoreEntry>, PolicyError> {
    let spec: IgnoreFileSpec = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => PolicyError::at(file, text, &span, e.message().trim()),
        None => PolicyError::file(file, e.message().trim()),
    })?;
    let mut out = Vec::new();
    for entry in spec.ignore {
        let span: Range<usize> = entry.span();
        let e = entry.into_inner();
        if e.fingerprint.is_none() && e.path.is_none() {
            return Err(PolicyError::at(
                file,
                text,
                &span,
                "this [[ignore]] entry names neither a fingerprint nor a path; add the fingerprint the report shows",
            ));
        }
        let (expires, expires_text) = match &e.expires {
            None => (None, None),
            Some(d) => match d.get_ref().date {
                Some(date) if d.get_ref().time.is_none() => (
                    Some(days_from_civil(i64::from(date.year), u32::from(date.month), u32::from(date.day))),
                    Some(date.to_string()),
                ),
                _ => {
                    return Err(PolicyError::at(
                        file,
                        text,
                        &d.span(),
                        "expires must be a date: expires = 2026-12-31",
                    ))
                }
            },
        };
        out.push(IgnoreEntry {
            fingerprint: e.fingerprint,
            rule: e.rule,
            path: e.path,
            reason: e.reason.filter(|r| !r.trim().is_empty()),
            owner: e.owner.filter(|o| !o.trim().is_empty()),
            expires,
            expires_text,
            line: crate::policy::line_col(text, span.start).0,
        });
    }
    Ok(out)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Today, as days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    secs / 86_400
}

/// The civil date of a day number (for messages and `baseline`).
pub fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Applies the exceptions of a resolved policy.
pub struct Filter<'p> {
    policy: &'p ResolvedPolicy,
    ignore: Vec<IgnoreEntry>,
    ignore_path: String,
    /// Built on the first text that may hold a marker (see [`may_hold_marker`]).
    markers: OnceLock<AhoCorasick>,
    /// Warnings about the ignore file (expired or invalid entries, the file switched off).
    pub problems: Vec<String>,
}

impl<'p> Filter<'p> {
    /// Loads the ignore file (if it exists) and judges its entries against the policy.
    ///
    /// # Errors
    /// The ignore file cannot be read or parsed.
    pub fn new(policy: &'p ResolvedPolicy) -> Result<Filter<'p>, PolicyError> {
        Filter::with_ignore_file(policy, policy.ignore_file_path(), today())
    }

    /// As [`Filter::new`], with an explicit ignore file and date (tests).
    ///
    /// # Errors
    /// As [`Filter::new`].
    pub fn with_ignore_file(
        policy: &'p ResolvedPolicy,
        path: Option<PathBuf>,
        today: i64,
    ) -> Result<Filter<'p>, PolicyError> {
        let mut filter = Filter {
            policy,
            ignore: Vec::new(),
            ignore_path: crate::policy::IGNORE_FILE.to_string(),
            markers: OnceLock::new(),
            problems: Vec::new(),
        };
        let Some(path) = path else {
            return Ok(filter);
        };
        if let Some(root) = &policy.root {
            if path.symlink_metadata().is_ok() {
                crate::policy::confine(root, &path).map_err(|problem| PolicyError::file(&path, problem))?;
            }
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(filter),
            Err(e) => return Err(PolicyError::file(&path, format!("cannot read the ignore file: {e}"))),
        };
        let entries = parse_ignore_file(&path, &text)?;
        let s = &policy.settings;
        if !s.ignore_file.value {
            if !entries.is_empty() {
                filter.problems.push(format!(
                    "{}: its {} entries are not honoured: the ignore file is switched off by {}",
                    filter.ignore_path,
                    entries.len(),
                    s.ignore_file.from
                ));
            }
            return Ok(filter);
        }
        for entry in entries {
            let at = format!("{}:{}", filter.ignore_path, entry.line);
            let fp = entry.fingerprint.as_deref().unwrap_or("(no fingerprint)");
            let problem = if entry.expires.is_some_and(|d| d < today) {
                Some(format!(
                    "{at}: the entry for {fp} expired on {}; it no longer suppresses anything — fix the finding, or renew \
                     the entry with a new expiry and reason",
                    entry.expires_text.as_deref().unwrap_or("?")
                ))
            } else if s.require_reason.value && entry.reason.is_none() {
                Some(format!(
                    "{at}: the entry for {fp} has no reason, which {} requires; it is not honoured",
                    s.require_reason.from
                ))
            } else if s.require_owner.value && entry.owner.is_none() {
                Some(format!(
                    "{at}: the entry for {fp} has no owner, which {} requires; it is not honoured",
                    s.require_owner.from
                ))
            } else if let Some(max) = s.max_ignore_days.value {
                match entry.expires {
                    None => Some(format!(
                        "{at}: the entry for {fp} has no expiry; {} allows at most {max} days: add expires = {}",
                        s.max_ignore_days.from,
                        civil_from_days(today + i64::from(max))
                    )),
                    Some(d) if d > today + i64::from(max) => Some(format!(
                        "{at}: the entry for {fp} expires after the {max} days {} allows; it is not honoured — use \
                         expires = {} or earlier",
                        s.max_ignore_days.from,
                        civil_from_days(today + i64::from(max))
                    )),
                    Some(_) => None,
                }
            } else {
                None
            };
            match problem {
                Some(p) => filter.problems.push(p),
                None => filter.ignore.push(entry),
            }
        }
        Ok(filter)
    }

    /// Judges one finding; `line` is the line holding it (when known) and `previous` the line
    /// before it, if that line is part of the same added content.
    pub fn judge(&self, finding: &Finding, line: Option<&[u8]>, previous: Option<&[u8]>) -> Judged {
        let mut matched: Vec<(Exception, Option<String>)> = Vec::new();
        self.match_allowlists(finding, line, &mut matched);
        self.match_inline(finding, line, previous, &mut matched);
        self.match_ignore_file(finding, &mut matched);
        let enforced = self.policy.enforced_by(finding.rule);
        let mut judged = Judged::default();
        for (exception, invalid) in matched {
            let why = match (invalid, enforced) {
                (Some(why), _) => Some(why),
                (None, Some(by))
                    if !exception.from_org
                        && !self.policy.exception_allowed(finding.rule, exception.kind) =>
                {
                    Some(format!(
                        "{} is enforced by {by}, which does not honour {} exceptions for it",
                        finding.rule.id(),
                        exception.kind.as_str()
                    ))
                }
                _ => None,
            };
            match why {
                Some(why) => judged.refused.push((exception, why)),
                None if judged.allowed_by.is_none() => judged.allowed_by = Some(exception),
                None => {}
            }
        }
        judged
    }

    fn match_allowlists(
        &self,
        finding: &Finding,
        line: Option<&[u8]>,
        out: &mut Vec<(Exception, Option<String>)>,
    ) {
        for entry in self.policy.allow.iter().filter(|e| e.covers(finding.rule.id())) {
            let secret = finding.secret.expose();
            let lower = String::from_utf8_lossy(secret).to_lowercase();
            let hit = entry.paths.is_match(&finding.path)
                || entry.secrets.iter().any(|r| r.is_match(secret))
                || line.is_some_and(|l| entry.lines.iter().any(|r| r.is_match(l)))
                || entry.stopwords.iter().any(|w| lower.contains(w.as_str()));
            if hit {
                out.push((
                    Exception {
                        kind: ExceptionKind::Allowlist,
                        place: entry.from.to_string(),
                        reason: entry.reason.clone(),
                        from_org: entry.from.kind.is_org(),
                    },
                    None,
                ));
            }
        }
    }

    fn match_inline(
        &self,
        finding: &Finding,
        line: Option<&[u8]>,
        previous: Option<&[u8]>,
        out: &mut Vec<(Exception, Option<String>)>,
    ) {
        let s = &self.policy.settings;
        let mut found: Vec<(&'static str, Option<String>, u32)> = Vec::new();
        if let Some(line) = line {
            for (marker, reason) in self.markers_on(line) {
                if marker != "leakgate:allow-next-line" {
                    found.push((marker, reason, finding.line));
                }
            }
        }
        if let Some(prev) = previous {
            for (marker, reason) in self.markers_on(prev) {
                if marker == "leakgate:allow-next-line" {
                    found.push((marker, reason, finding.line.saturating_sub(1)));
                }
            }
        }
        for (marker, reason, at) in found {
            let own = MARKERS.iter().any(|(m, own)| *m == marker && *own);
            let invalid = if !s.inline_ignores.value {
                Some(format!("inline ignores are switched off by {}", s.inline_ignores.from))
            } else if !own && !s.foreign_markers.value {
                Some(format!("other scanners' markers are switched off by {}", s.foreign_markers.from))
            } else if s.require_reason.value && reason.is_none() {
                Some(format!("it gives no reason=\"...\", which {} requires", s.require_reason.from))
            } else {
                None
            };
            out.push((
                Exception {
                    kind: ExceptionKind::Inline,
                    place: format!("{}:{at} `{marker}`", finding.path),
                    reason,
                    from_org: false,
                },
                invalid,
            ));
        }
    }

    fn match_ignore_file(&self, finding: &Finding, out: &mut Vec<(Exception, Option<String>)>) {
        for entry in &self.ignore {
            let fp = entry.fingerprint.as_ref().is_none_or(|f| *f == finding.fingerprint);
            let rule =
                entry.rule.as_ref().is_none_or(|r| crate::policy::merge::id_glob_match(r, finding.rule.id()));
            let path = entry.path.as_ref().is_none_or(|p| {
                *p == finding.path
                    || globset::Glob::new(p).is_ok_and(|g| g.compile_matcher().is_match(&finding.path))
            });
            if fp && rule && path {
                out.push((
                    Exception {
                        kind: ExceptionKind::IgnoreFile,
                        place: format!("{}:{}", self.ignore_path, entry.line),
                        reason: entry.reason.clone(),
                        from_org: false,
                    },
                    None,
                ));
            }
        }
    }

    /// Markers on one line, each with its `reason="..."`.
    fn markers_on(&self, line: &[u8]) -> Vec<(&'static str, Option<String>)> {
        let mut out: Vec<(&'static str, Option<String>)> = Vec::new();
        if !may_hold_marker(line) {
            return out;
        }
        for hit in self.markers().find_iter(line) {
            let marker = MARKERS[hit.pattern().as_usize()].0;
            out.push((marker, reason_after(&line[hit.end()..])));
        }
        out
    }

    /// Inline markers on the added lines of a fragment (for "this commit adds N exceptions").
    pub fn markers_in(&self, fragment: &Fragment<'_>) -> Vec<Marker> {
        if !may_hold_marker(fragment.text) || self.markers().find(fragment.text).is_none() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, line) in fragment.text.split(|&b| b == b'\n').enumerate() {
            for (marker, reason) in self.markers_on(line) {
                let n = fragment.first_line.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
                out.push(Marker { path: fragment.path.to_string(), line: n, marker, reason });
            }
        }
        out
    }

    fn markers(&self) -> &AhoCorasick {
        self.markers.get_or_init(|| {
            // A non-contiguous NFA: the cheapest automaton to build, and plenty fast for six
            // short patterns over the added lines.
            AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(MARKERS.iter().map(|(m, _)| *m))
                .expect("six short literal patterns always build")
        })
    }

    /// The active ignore entries (after expiry and requirement checks).
    pub fn ignore_entries(&self) -> &[IgnoreEntry] {
        &self.ignore
    }
}

/// Whether `text` may hold a marker: every marker has a colon followed by `allow`, ` allow` or
/// `ignore`. Building the marker automaton cost more than a clean commit's whole search for
/// markers, so it is built only once this holds.
fn may_hold_marker(text: &[u8]) -> bool {
    memchr::memchr_iter(b':', text).any(|at| {
        let rest = &text[at + 1..];
        rest.starts_with(b"allow") || rest.starts_with(b" allow") || rest.starts_with(b"ignore")
    })
}

/// `reason="..."` (or `reason='...'`) after a marker.
fn reason_after(rest: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(rest);
    let at = text.find("reason=")?;
    let after = &text[at + "reason=".len()..];
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &after[1..];
    let end = body.find(quote)?;
    let reason = body[..end].trim();
    (!reason.is_empty()).then(|| reason.to_string())
}

/// The line `n` (1-based, in the new file) of a fragment, and the line before it if the fragment
/// holds it.
pub fn lines_at<'a>(fragment: &Fragment<'a>, n: u32) -> (Option<&'a [u8]>, Option<&'a [u8]>) {
    if n < fragment.first_line {
        return (None, None);
    }
    let index = (n - fragment.first_line) as usize;
    let text = fragment.text;
    let line_from =
        |start: usize| &text[start..memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |p| start + p)];
    // Where each line starts: memchr finds the line breaks of a long fragment at a few bytes a
    // cycle, where splitting it byte by byte took 20,000 instructions per finding.
    let mut starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', text).map(|p| p + 1));
    if index == 0 {
        return (starts.next().map(line_from), None);
    }
    let prev = starts.nth(index - 1);
    (starts.next().map(line_from), prev.map(line_from))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The line and the one before it, as splitting the text at its line breaks gives them, for
    /// every line number in and around fragments with and without a final line break.
    #[test]
    fn lines_at_gives_the_line_and_the_one_before() {
        for text in ["", "\n", "a", "a\n", "one\ntwo\n\nfour", "one\ntwo\n\nfour\n", "\n\nx\n"] {
            for first_line in [1, 5] {
                let fragment = Fragment {
                    origin: &crate::source::Origin::Index,
                    path: "f.txt",
                    first_line,
                    text: text.as_bytes(),
                };
                let lines: Vec<&[u8]> = text.as_bytes().split(|&b| b == b'\n').collect();
                for n in 0..first_line + 7 {
                    let expected = match n.checked_sub(first_line).map(|i| i as usize) {
                        None => (None, None),
                        Some(i) => {
                            (lines.get(i).copied(), i.checked_sub(1).and_then(|p| lines.get(p).copied()))
                        }
                    };
                    assert_eq!(lines_at(&fragment, n), expected, "{text:?} from line {first_line}, line {n}");
                }
            }
        }
    }

    /// The cheap check never hides a marker: each one, alone or inside a comment, passes it.
    #[test]
    fn every_marker_passes_the_quick_check() {
        for (marker, _) in MARKERS {
            assert!(may_hold_marker(marker.as_bytes()), "{marker}");
            assert!(may_hold_marker(format!("x = 1  # {marker} reason=\"test\"").as_bytes()), "{marker}");
        }
        assert!(!may_hold_marker(b"allow: ignore, {a: b}"));
    }

    #[test]
    fn dates_round_trip() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 12, 31), (2099, 3, 1)] {
            let n = days_from_civil(y, m, d);
            assert_eq!(civil_from_days(n), format!("{y:04}-{m:02}-{d:02}"));
        }
        assert_eq!(days_from_civil(1970, 1, 2), 1);
    }

    #[test]
    fn reasons_are_parsed_after_the_marker() {
        assert_eq!(reason_after(b" reason=\"test fixture\" -->").as_deref(), Some("test fixture"));
        assert_eq!(reason_after(b" reason='x'").as_deref(), Some("x"));
        assert_eq!(reason_after(b" nothing"), None);
        assert_eq!(reason_after(b" reason=\"\""), None);
    }

    #[test]
    fn ignore_file_entries_need_a_fingerprint_or_path() {
        let err = parse_ignore_file(Path::new("i"), "[[ignore]]\nrule = \"aws.*\"\n").unwrap_err();
        assert!(err.to_string().contains("neither a fingerprint nor a path"), "{err}");
        let ok =
            parse_ignore_file(Path::new("i"), "[[ignore]]\nfingerprint = \"lg1:00\"\nexpires = 2020-01-02\n")
                .unwrap();
        assert_eq!(ok[0].expires, Some(days_from_civil(2020, 1, 2)));
    }
}
