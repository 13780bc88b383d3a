//! A policy distributed as a file in a git repository, pinned to a commit: fetched with git2
//! into a bare cache repository (opened by explicit path, never from the environment) and read
//! from there, so hooks need no network once `leakgate policy update` has run.
//!
//! This is the only part of `policy` that may touch the network, and only when asked to fetch.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use sha2::{Digest, Sha256};

use super::file::GitSource;

/// When a pinned source may be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Never (read the cache only).
    Never,
    /// Once, when the pinned commit is not cached.
    OnMiss,
    /// `leakgate policy update`: fetch whatever is not cached.
    Update,
}

/// What happened while loading a git source (for `policy update`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// Read from the cache.
    Cached,
    /// Fetched now.
    Fetched,
}

/// Whether `rev` is a full commit id (SHA-1 or SHA-256).
pub fn is_full_commit_id(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The cache repository for `url` under `cache_root`.
pub fn cache_repo_path(cache_root: &Path, url: &str) -> PathBuf {
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    cache_root.join("policy").join(format!("{hex}.git"))
}

/// Loads the pinned file's text.
///
/// # Errors
/// A sentence saying what is wrong and what to do (the caller adds file and position).
pub fn load(src: &GitSource, cache_root: Option<&Path>, fetch: Fetch) -> Result<(String, Loaded), String> {
    if !is_full_commit_id(&src.rev) {
        return Err(format!(
            "rev = {:?} is not a full commit id; pin the policy to a commit (`git rev-parse <branch>` in the policy \
             repository gives it) — branch and tag names are rejected because they move",
            src.rev
        ));
    }
    let Some(cache_root) = cache_root else {
        return Err("there is no cache directory (no home directory); set LEAKGATE_CACHE_DIR".to_string());
    };
    let oid = Oid::from_str(&src.rev).map_err(|e| format!("rev {:?}: {}", src.rev, e.message()))?;
    let path = cache_repo_path(cache_root, &src.git);
    let unavailable = || {
        format!(
            "the policy {}@{} is not available offline; run `leakgate policy update` when the source is reachable",
            src.git, src.rev
        )
    };
    if path.exists() {
        if let Ok(repo) = Repository::open_bare(&path) {
            if let Some(text) = read_pinned(&repo, oid, src)? {
                check_digest(src, &text)?;
                return Ok((text, Loaded::Cached));
            }
        }
    }
    if fetch == Fetch::Never {
        return Err(unavailable());
    }
    let repo =
        open_or_init(&path).map_err(|e| format!("cannot create the policy cache {}: {e}", path.display()))?;
    if let Err(e) = fetch_pinned(&repo, &src.git, &src.rev) {
        return Err(format!("{}; fetching it failed: {e}", unavailable()));
    }
    match read_pinned(&repo, oid, src)? {
        Some(text) => {
            check_digest(src, &text)?;
            Ok((text, Loaded::Fetched))
        }
        None => Err(format!(
            "pin mismatch: commit {} is not in {} (fetched it, the commit is not there); check the rev",
            src.rev, src.git
        )),
    }
}

/// The optional `sha256` pin.
fn check_digest(src: &GitSource, text: &str) -> Result<(), String> {
    let Some(want) = &src.sha256 else {
        return Ok(());
    };
    let got: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    if got.eq_ignore_ascii_case(want.trim()) {
        Ok(())
    } else {
        Err(format!(
            "digest mismatch: {:?} at commit {} has sha256 {got}, the policy pins {want}; check the pin with the \
             policy's owners (nothing falls back to another version)",
            src.path, src.rev
        ))
    }
}

fn open_or_init(path: &Path) -> Result<Repository, git2::Error> {
    match Repository::open_bare(path) {
        Ok(repo) => Ok(repo),
        Err(_) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| git2::Error::from_str(&e.to_string()))?;
            }
            Repository::init_bare(path)
        }
    }
}

/// `Ok(None)` when the commit is not in the cache.
fn read_pinned(repo: &Repository, oid: Oid, src: &GitSource) -> Result<Option<String>, String> {
    let Ok(commit) = repo.find_commit(oid) else {
        return Ok(None);
    };
    let tree = commit.tree().map_err(|e| format!("reading commit {}: {}", src.rev, e.message()))?;
    let entry = tree
        .get_path(Path::new(&src.path))
        .map_err(|_| format!("commit {} of {} has no file {:?}; check `path`", src.rev, src.git, src.path))?;
    let blob = entry
        .to_object(repo)
        .and_then(|o| o.peel_to_blob())
        .map_err(|_| format!("{:?} at commit {} is not a file", src.path, src.rev))?;
    String::from_utf8(blob.content().to_vec())
        .map(Some)
        .map_err(|_| format!("{:?} at commit {} is not UTF-8 text", src.path, src.rev))
}

/// Fetches the commit by id; where the server refuses that, fetches branches and tags.
fn fetch_pinned(repo: &Repository, url: &str, rev: &str) -> Result<(), String> {
    let mut remote = repo.remote_anonymous(url).map_err(|e| e.message().to_string())?;
    let by_id = remote.fetch(&[rev], None, None);
    if by_id.is_ok() && repo.find_commit(Oid::from_str(rev).map_err(|e| e.to_string())?).is_ok() {
        return Ok(());
    }
    remote
        .fetch(&["+refs/heads/*:refs/leakgate/heads/*", "+refs/tags/*:refs/leakgate/tags/*"], None, None)
        .map_err(|e| e.message().to_string())
}
