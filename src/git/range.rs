use std::collections::HashSet;
use std::fmt;

use anyhow::{Context, Result};
use git2::{Oid, Repository, Sort};

/// One line of git's pre-push protocol: `<local ref> <local oid> <remote ref> <remote oid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    /// The local ref (or expression) being pushed; `(delete)` for a deletion.
    pub local_ref: String,
    /// The object being pushed (all zeros for a deletion).
    pub local_oid: String,
    /// The ref being updated on the remote.
    pub remote_ref: String,
    /// What the remote has now (all zeros when the ref is new there).
    pub remote_oid: String,
}

impl PushUpdate {
    /// A deletion pushes nothing.
    pub fn is_deletion(&self) -> bool {
        is_zero(&self.local_oid)
    }
}

/// A pre-push line that does not follow the protocol.
#[derive(Debug)]
pub struct MalformedPushLine {
    /// 1-based line number on stdin.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for MalformedPushLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pre-push input line {} is malformed ({}); expected `<local ref> <local oid> <remote ref> <remote oid>` \
             as git writes it — run leakgate pre-push only from git's pre-push hook",
            self.line, self.reason
        )
    }
}

impl std::error::Error for MalformedPushLine {}

/// Parses git's pre-push stdin. Every line counts: a push of several refs is checked whole.
///
/// # Errors
/// A line that is not four fields with hexadecimal object ids.
pub fn parse_push_lines(input: &str) -> Result<Vec<PushUpdate>, MalformedPushLine> {
    let mut updates = Vec::new();
    for (index, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(' ').collect();
        let [local_ref, local_oid, remote_ref, remote_oid] = fields[..] else {
            return Err(MalformedPushLine { line: index + 1, reason: "not four space-separated fields" });
        };
        if !is_object_id(local_oid) || !is_object_id(remote_oid) {
            return Err(MalformedPushLine {
                line: index + 1,
                reason: "an object id is not 40 or 64 hex digits",
            });
        }
        updates.push(PushUpdate {
            local_ref: local_ref.to_string(),
            local_oid: local_oid.to_string(),
            remote_ref: remote_ref.to_string(),
            remote_oid: remote_oid.to_string(),
        });
    }
    Ok(updates)
}

/// An all-zero object id (40 digits for SHA-1, 64 for SHA-256) means "nothing".
pub fn is_zero(oid: &str) -> bool {
    !oid.is_empty() && oid.bytes().all(|b| b == b'0')
}

fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The commits a push sends that the destination does not have yet, oldest first, each once:
/// for every update, the commits reachable from the pushed object (tags peeled) and not from
/// the remote's current value (when known locally) nor from any remote-tracking ref of the
/// destination (`refs/remotes/<remote>/*`; for a push to a URL, the remotes configured with it).
///
/// # Errors
/// A pushed object is missing or is not a commit (nor a tag of one).
pub fn outgoing_commits(repo: &Repository, remote: &str, updates: &[PushUpdate]) -> Result<Vec<Oid>> {
    let tracking = tracking_globs(repo, remote);
    let mut seen = HashSet::new();
    let mut commits = Vec::new();
    for update in updates.iter().filter(|u| !u.is_deletion()) {
        let local = Oid::from_str(&update.local_oid).context("malformed object id")?;
        let commit = super::peel_commit(repo, local)
            .with_context(|| format!("cannot check the push of {}", update.local_ref))?;
        let mut walk = repo.revwalk().context("starting a commit walk")?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).context("sorting the commit walk")?;
        walk.push(commit.id()).context("walking the pushed commits")?;
        if !is_zero(&update.remote_oid) {
            if let Ok(remote_oid) = Oid::from_str(&update.remote_oid) {
                // After a force push or without a fetch the old tip may be unknown here.
                if let Ok(old) = super::peel_commit(repo, remote_oid) {
                    walk.hide(old.id()).context("hiding what the remote has")?;
                }
            }
        }
        for glob in &tracking {
            walk.hide_glob(glob).context("hiding remote-tracking refs")?;
        }
        for oid in walk {
            let oid = oid.context("walking the pushed commits")?;
            if seen.insert(oid) {
                commits.push(oid);
            }
        }
    }
    Ok(commits)
}

/// Remote-tracking ref globs of the push destination.
fn tracking_globs(repo: &Repository, remote: &str) -> Vec<String> {
    let Ok(names) = repo.remotes() else {
        return Vec::new();
    };
    names
        .iter()
        .flatten()
        .filter(|name| {
            *name == remote
                || repo
                    .find_remote(name)
                    .is_ok_and(|r| r.url() == Some(remote) || r.pushurl() == Some(remote))
        })
        .map(|name| format!("refs/remotes/{name}/*"))
        .collect()
}

/// The commits of `A..B` (or of everything reachable from `B` when given a single revision),
/// oldest first.
///
/// # Errors
/// A revision does not resolve.
pub fn range_commits(repo: &Repository, range: &str) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk().context("starting a commit walk")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).context("sorting the commit walk")?;
    if range.contains("..") {
        walk.push_range(range)
            .with_context(|| format!("{range:?} is not a commit range in this repository"))?;
    } else {
        let commit = repo
            .revparse_single(range)
            .and_then(|o| o.peel_to_commit())
            .with_context(|| format!("{range:?} is not a commit in this repository"))?;
        walk.push(commit.id()).context("walking commits")?;
    }
    walk.map(|oid| oid.context("walking commits")).collect()
}

/// Every commit reachable from any ref (branches, tags, remote-tracking refs, stash), oldest first.
///
/// # Errors
/// The refs cannot be walked.
pub fn all_commits(repo: &Repository) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk().context("starting a commit walk")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).context("sorting the commit walk")?;
    for reference in repo.references().context("listing refs")? {
        let reference = reference.context("reading a ref")?;
        if let Ok(commit) = reference.peel_to_commit() {
            walk.push(commit.id()).context("walking commits")?;
        }
    }
    walk.map(|oid| oid.context("walking commits")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_line_and_recognises_zero_ids_of_both_hash_sizes() {
        let a = "a".repeat(40);
        let z = "0".repeat(40);
        let z64 = "0".repeat(64);
        let input = format!(
            "refs/heads/main {a} refs/heads/main {a}\n(delete) {z} refs/heads/old {a}\nrefs/tags/v1 {a} refs/tags/v1 {z}\n"
        );
        let updates = parse_push_lines(&input).expect("valid");
        assert_eq!(updates.len(), 3);
        assert!(updates[1].is_deletion());
        assert!(!updates[0].is_deletion());
        assert!(is_zero(&z64));
        assert!(!is_zero(""));
    }

    #[test]
    fn rejects_malformed_lines() {
        assert!(parse_push_lines("refs/heads/main abc refs/heads/main def\n").is_err());
        assert!(parse_push_lines("only three fields\n").is_err());
        let e = parse_push_lines("\nx y z\n").expect_err("malformed");
        assert_eq!(e.line, 2);
    }
}
