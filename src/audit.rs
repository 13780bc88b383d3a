//! The local audit log: an append-only JSON Lines file of hook decisions, holding fingerprints
//! and places, never a value. It answers "where else on this machine has this secret been seen?"
//! (`leakgate audit --fingerprint`), so that every copy can be found before rotation.
//!
//! - Location: `$LEAKGATE_DATA_DIR/audit.jsonl`, else the platform data dir
//!   (`ProjectDirs::from("", "", "leakgate").data_dir()`, e.g. `~/.local/share/leakgate`).
//! - Permissions: directory `0700`, file `0600` (tightened if found looser).
//! - Size cap: when an append would take the file over [`MAX_BYTES`], it is renamed to
//!   `audit.jsonl.1` (replacing the previous one) and a new file is started; readers read both.
//! - What is logged: one event per finding of a hook run that had findings (`blocked` for
//!   findings that block, `warned` for those below the blocking severity). A clean commit writes
//!   nothing: it has nothing to trace, and the hook must stay invisible when clean.
//! - Failure to write is the caller's warning, never a block.
//!
//! This module knows nothing of git: the caller says where the event happened ([`Place`]).

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::rules::Severity;
use crate::scan::Finding;
use crate::source::Origin;

/// The log's file name inside the data dir.
pub const FILE_NAME: &str = "audit.jsonl";
/// The rotated file's name.
pub const ROTATED_NAME: &str = "audit.jsonl.1";
/// Size cap of the current file.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;

/// What happened to a finding. Open-ended: the log stores the name, and readers keep names they
/// do not know, so later versions can add kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// The finding blocked the commit (or push).
    Blocked,
    /// The finding was reported below the blocking severity; the operation went on.
    Warned,
    /// Allowed by an inline `leakgate:allow` (reserved).
    AllowedInline,
    /// Allowed by the ignore file (reserved).
    Ignored,
    /// Accepted into the baseline (reserved).
    Baselined,
    /// The hook was bypassed with a reason (reserved).
    Bypassed,
}

impl EventKind {
    /// The name written to the log.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Blocked => "blocked",
            EventKind::Warned => "warned",
            EventKind::AllowedInline => "allowed-inline",
            EventKind::Ignored => "ignored",
            EventKind::Baselined => "baselined",
            EventKind::Bypassed => "bypassed",
        }
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// RFC 3339 UTC time (`2026-11-23T10:50:32Z`).
    pub time: String,
    /// An [`EventKind`] name (unknown names are kept as read).
    pub event: String,
    /// The `origin` remote URL without credentials, or the work-tree path.
    pub repository: String,
    /// The branch checked out (`(detached)`, `(unborn)` when there is none).
    pub branch: String,
    /// The commit the finding is in: an object id, or `(staged)` for a commit being made.
    pub commit: String,
    /// Repository-relative path.
    pub file: String,
    /// 1-based line (0 for a finding about the file itself).
    pub line: u32,
    /// Rule id.
    pub rule: String,
    /// The finding's fingerprint (a hash: it does not reveal the value).
    pub fingerprint: String,
    /// Why, for decisions that need one (`bypassed`, `ignored`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a hook ran.
#[derive(Debug, Clone)]
pub struct Place {
    /// See [`Event::repository`].
    pub repository: String,
    /// See [`Event::branch`].
    pub branch: String,
}

/// The events for one hook run's findings: `blocked`, or `warned` below the blocking severity.
pub fn events(place: &Place, findings: &[Finding], block_severity: Severity) -> Vec<Event> {
    let time = now_rfc3339();
    findings
        .iter()
        .map(|f| {
            let kind = if f.severity >= block_severity { EventKind::Blocked } else { EventKind::Warned };
            event(place, &time, kind, f, None)
        })
        .collect()
}

/// One event about one finding (an exception that allowed it, a bypass that let it through).
pub fn event(place: &Place, time: &str, kind: EventKind, f: &Finding, reason: Option<String>) -> Event {
    Event {
        time: time.to_string(),
        event: kind.as_str().to_string(),
        repository: place.repository.clone(),
        branch: place.branch.clone(),
        commit: match &f.origin {
            Origin::Commit(commit) => commit.id.clone(),
            _ => "(staged)".to_string(),
        },
        file: f.path.clone(),
        line: f.line,
        rule: f.rule.id().to_string(),
        fingerprint: f.fingerprint.clone(),
        reason,
    }
}

/// The audit log in one directory.
#[derive(Debug, Clone)]
pub struct Log {
    dir: PathBuf,
}

impl Log {
    /// The log named by the environment (`LEAKGATE_DATA_DIR`) or the platform data dir; `None`
    /// when neither is known (no home directory).
    pub fn locate(env: &Env) -> Option<Log> {
        let dir = env.leakgate_data_dir.clone().or_else(|| {
            directories::ProjectDirs::from("", "", "leakgate").map(|p| p.data_dir().to_path_buf())
        })?;
        Some(Log { dir })
    }

    /// A log in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Log {
        Log { dir: dir.into() }
    }

    /// The current file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Appends `events` (one write), rotating first if the file would exceed [`MAX_BYTES`].
    ///
    /// # Errors
    /// The directory or file cannot be created or written.
    pub fn append(&self, events: &[Event]) -> io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(events.len() * 256);
        for event in events {
            serde_json::to_writer(&mut buf, event).map_err(io::Error::from)?;
            buf.push(b'\n');
        }
        // Every hook run with findings comes here: the usual case costs a stat of the directory,
        // an open, an fstat and the write.
        create_private_dir(&self.dir)?;
        let path = self.path();
        let (mut file, len) = open_append_private(&path)?;
        if len > 0 && len + buf.len() as u64 > MAX_BYTES {
            drop(file);
            fs::rename(&path, self.dir.join(ROTATED_NAME))?;
            file = open_append_private(&path)?.0;
        }
        file.write_all(&buf)
    }

    /// Every event, oldest first (the rotated file, then the current one), and the number of
    /// lines that could not be read as events.
    ///
    /// # Errors
    /// A file exists but cannot be read.
    pub fn read(&self) -> io::Result<(Vec<Event>, usize)> {
        let mut events = Vec::new();
        let mut bad = 0;
        for name in [ROTATED_NAME, FILE_NAME] {
            let file = match fs::File::open(self.dir.join(name)) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for line in io::BufReader::new(file).split(b'\n') {
                let line = line?;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<Event>(&line) {
                    Ok(event) => events.push(event),
                    Err(_) => bad += 1,
                }
            }
        }
        Ok((events, bad))
    }
}

/// Whether `fingerprint` is `query` or starts with it; the `lg1:` scheme prefix is optional in
/// the query. Queries shorter than 6 hex characters match nothing (too ambiguous).
pub fn fingerprint_matches(fingerprint: &str, query: &str) -> bool {
    let strip = |s: &str| s.split_once(':').map_or(s, |(_, h)| h).to_ascii_lowercase();
    let (fp, q) = (strip(fingerprint), strip(query.trim()));
    q.len() >= 6 && fp.starts_with(&q)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let meta = match fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
            fs::metadata(dir)?
        }
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "it exists and is not a directory"));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// The file at `path` opened for appending (created `0600`, tightened if found looser), and its
/// length.
#[cfg(unix)]
fn open_append_private(path: &Path) -> io::Result<(fs::File, u64)> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
    let meta = file.metadata()?;
    if meta.permissions().mode() & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok((file, meta.len()))
}

#[cfg(not(unix))]
fn open_append_private(path: &Path) -> io::Result<(fs::File, u64)> {
    let file = OpenOptions::new().append(true).create(true).open(path)?;
    let len = file.metadata()?.len();
    Ok((file, len))
}

/// A remote URL with any user name, password or token removed (`https://user:tok@host/x` →
/// `https://host/x`, `git@host:org/x` → `host:org/x`), and without a query or fragment (where
/// tokens also hide). Local paths are returned as they are.
pub fn strip_credentials(url: &str) -> String {
    let url = url.trim();
    if let Some((scheme, rest)) = url.split_once("://") {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let tail = tail.split(['?', '#']).next().unwrap_or("");
        return format!("{scheme}://{host}{tail}");
    }
    // scp-like syntax: [user@]host:path, where no slash comes before the colon.
    if let Some(colon) = url.find(':') {
        let before = &url[..colon];
        if !before.contains('/') {
            if let Some((_, host)) = before.rsplit_once('@') {
                return format!("{host}{}", &url[colon..]);
            }
        }
    }
    url.to_string()
}

/// The current time as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`1970-01-01T00:00:00Z`), proleptic Gregorian.
pub fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339(1_709_164_800), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn credentials_are_stripped_from_remote_urls() {
        let secret_url = ["https://deploy:", "pass", "word@git.example.com/org/app.git"].concat();
        assert_eq!(strip_credentials(&secret_url), "https://git.example.com/org/app.git");
        assert_eq!(
            strip_credentials("https://git.example.com/a.git?private_token=x#f"),
            "https://git.example.com/a.git"
        );
        assert_eq!(strip_credentials("ssh://git@host:22/org/app.git"), "ssh://host:22/org/app.git");
        assert_eq!(strip_credentials("git@github.com:org/app.git"), "github.com:org/app.git");
        assert_eq!(strip_credentials("/srv/git/app.git"), "/srv/git/app.git");
        assert_eq!(strip_credentials("../up/app"), "../up/app");
    }

    #[test]
    fn fingerprint_prefixes_match_with_or_without_the_scheme() {
        assert!(fingerprint_matches("lg1:0123456789abcdef", "lg1:0123456789abcdef"));
        assert!(fingerprint_matches("lg1:0123456789abcdef", "0123456789"));
        assert!(fingerprint_matches("lg1:0123456789abcdef", "lg1:01234567"));
        assert!(!fingerprint_matches("lg1:0123456789abcdef", "lg1:0123"));
        assert!(!fingerprint_matches("lg1:0123456789abcdef", "lg1:9999999999"));
    }

    #[cfg(unix)]
    #[test]
    fn the_log_is_private_and_rotates_at_the_cap() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let log = Log::in_dir(tmp.path().join("data/leakgate"));
        let event = Event {
            time: now_rfc3339(),
            event: "blocked".into(),
            repository: "r".into(),
            branch: "main".into(),
            commit: "(staged)".into(),
            file: "f".into(),
            line: 1,
            rule: "x.y".into(),
            fingerprint: "lg1:00".into(),
            reason: None,
        };
        log.append(std::slice::from_ref(&event)).expect("append");
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&log.path()), 0o600);
        assert_eq!(mode(&tmp.path().join("data/leakgate")), 0o700);
        let big = vec![event.clone(); (MAX_BYTES / 100) as usize];
        log.append(&big).expect("big append");
        log.append(std::slice::from_ref(&event)).expect("append after cap");
        assert!(tmp.path().join("data/leakgate").join(ROTATED_NAME).exists());
        assert!(fs::metadata(log.path()).expect("meta").len() < 1000);
        let (all, bad) = log.read().expect("read");
        assert_eq!((all.len(), bad), (big.len() + 1, 0), "the current file rotated away the first event");

        // Found looser, both are tightened; a file where the directory should be is an error.
        let dir = tmp.path().join("data/leakgate");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod dir");
        fs::set_permissions(log.path(), fs::Permissions::from_mode(0o644)).expect("chmod file");
        log.append(std::slice::from_ref(&event)).expect("append to loose permissions");
        assert_eq!((mode(&dir), mode(&log.path())), (0o700, 0o600));
        fs::write(tmp.path().join("not-a-dir"), "x").expect("file");
        assert!(Log::in_dir(tmp.path().join("not-a-dir")).append(std::slice::from_ref(&event)).is_err());
    }
}
