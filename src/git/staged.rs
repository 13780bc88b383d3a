use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, Index, ObjectType, Oid, Repository, Tree};

/// What kind of entry a staged change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A regular (or executable) file.
    File,
    /// A symbolic link: the blob holds the target path.
    Symlink,
    /// A submodule pointer (gitlink): a commit id, not content.
    Submodule,
}

/// One path whose staged content differs from `HEAD`.
#[derive(Debug, Clone)]
pub struct Change {
    /// Repository-relative path with forward slashes (lossy if not UTF-8).
    pub path: String,
    /// The blob this path had in `HEAD` (or under its old name, for a rename).
    pub old: Option<Oid>,
    /// The staged blob.
    pub new: Oid,
    /// File, symlink or submodule.
    pub kind: ChangeKind,
    /// During a merge: the blob at this path in each other parent (`MERGE_HEAD`), so that only
    /// lines new relative to every parent are reported.
    pub other_parents: Vec<Option<Oid>>,
}

/// The changes the commit being made will contain: `HEAD` (empty on an unborn branch) against
/// the index git is committing — the one named by `GIT_INDEX_FILE` when git sets it.
///
/// `index_file` is the raw value of `GIT_INDEX_FILE`; a relative value is resolved against the
/// work-tree root, where git runs hooks.
///
/// # Errors
/// The index or `HEAD` cannot be read, or the fallback to git's plumbing fails.
pub fn staged_changes(repo: &Repository, index_file: Option<&OsStr>) -> Result<Vec<Change>> {
    let head = head_tree(repo)?;
    let root = super::workdir(repo)?;
    let index_path = match index_file {
        Some(p) if Path::new(p).is_absolute() => Path::new(p).to_path_buf(),
        Some(p) => root.join(p),
        None => repo.path().join("index"),
    };
    let mut changes = match Index::open(&index_path) {
        Ok(mut index) => changes_from_index(repo, head.as_ref(), &mut index)?,
        Err(e) if unsupported_index(&e) => changes_from_plumbing(repo, root, head.as_ref(), &index_path)?,
        Err(e) => return Err(e).with_context(|| format!("cannot read the index {}", index_path.display())),
    };
    attach_merge_parents(repo, &mut changes)?;
    Ok(changes)
}

fn head_tree(repo: &Repository) -> Result<Option<Tree<'_>>> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_tree().context("reading the tree of HEAD")?)),
        Err(e) if matches!(e.code(), git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(e).context("reading HEAD"),
    }
}

/// libgit2 cannot read split-index (`link`) or sparse-index (`sdir`) extensions.
fn unsupported_index(e: &git2::Error) -> bool {
    e.message().contains("unsupported mandatory extension")
}

fn changes_from_index(repo: &Repository, head: Option<&Tree<'_>>, index: &mut Index) -> Result<Vec<Change>> {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).skip_binary_check(true).context_lines(0);
    let mut diff = repo
        .diff_tree_to_index(head, Some(index), Some(&mut opts))
        .context("comparing the index with HEAD")?;
    // A moved file is not new content: pair deletions with additions so only edits are scanned.
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find)).context("detecting renamed files")?;
    let mut changes = Vec::new();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let new = delta.new_file();
        let old = delta.old_file();
        let path = new.path_bytes().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
        let old_blob = (!old.id().is_zero() && is_content(old.mode())).then(|| old.id());
        changes.push(Change {
            path,
            old: old_blob,
            new: new.id(),
            kind: kind_of(new.mode()),
            other_parents: Vec::new(),
        });
    }
    Ok(changes)
}

fn is_content(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable | FileMode::BlobGroupWritable | FileMode::Link)
}

fn kind_of(mode: FileMode) -> ChangeKind {
    match mode {
        FileMode::Link => ChangeKind::Symlink,
        FileMode::Commit => ChangeKind::Submodule,
        _ => ChangeKind::File,
    }
}

/// The fallback for indexes libgit2 cannot read: `git diff-index --cached` (read-only, honours
/// `GIT_INDEX_FILE`) lists the changed paths and blob ids; content is then read with libgit2.
fn changes_from_plumbing(
    repo: &Repository,
    root: &Path,
    head: Option<&Tree<'_>>,
    index_path: &Path,
) -> Result<Vec<Change>> {
    let base = match head {
        Some(tree) => tree.id(),
        None => Oid::hash_object(ObjectType::Tree, b"").context("computing the empty tree id")?,
    };
    let output = Command::new("git")
        .current_dir(root)
        .env("GIT_INDEX_FILE", index_path)
        .args(["diff-index", "--cached", "-z", "--raw", "--no-renames", "--abbrev=64"])
        .arg(base.to_string())
        .output()
        .context(
            "libgit2 cannot read this index (split or sparse index) and running `git diff-index` failed; \
             is git on PATH?",
        )?;
    if !output.status.success() {
        bail!(
            "libgit2 cannot read this index (split or sparse index) and `git diff-index --cached` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_raw_diff(repo, &output.stdout)
}

/// Parses `git diff-index -z --raw` records: `:old-mode new-mode old-oid new-oid status\0path\0`.
fn parse_raw_diff(_repo: &Repository, raw: &[u8]) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let mut fields = raw.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(header) = fields.next() {
        let path = fields.next().context("malformed `git diff-index` output: a record has no path")?;
        let header = std::str::from_utf8(header).context("malformed `git diff-index` output")?;
        let parts: Vec<&str> = header.trim_start_matches(':').split(' ').collect();
        let [old_mode, new_mode, old_oid, new_oid, status] = parts[..] else {
            bail!("malformed `git diff-index` output: {header:?}");
        };
        if !matches!(status.chars().next(), Some('A' | 'M' | 'T')) {
            continue;
        }
        let old = Oid::from_str(old_oid).context("malformed object id from git")?;
        let mode = u32::from_str_radix(new_mode, 8).context("malformed file mode from git")?;
        let old_is_content = matches!(old_mode, "100644" | "100755" | "120000");
        changes.push(Change {
            path: String::from_utf8_lossy(path).into_owned(),
            old: (!old.is_zero() && old_is_content).then_some(old),
            new: Oid::from_str(new_oid).context("malformed object id from git")?,
            kind: match mode {
                0o120_000 => ChangeKind::Symlink,
                0o160_000 => ChangeKind::Submodule,
                _ => ChangeKind::File,
            },
            other_parents: Vec::new(),
        });
    }
    Ok(changes)
}

/// During a merge (`MERGE_HEAD` exists), records each other parent's blob at every changed
/// path: what a parent already had is not new content of this commit.
fn attach_merge_parents(repo: &Repository, changes: &mut [Change]) -> Result<()> {
    let heads = match std::fs::read_to_string(repo.path().join("MERGE_HEAD")) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                Oid::from_str(l.trim()).with_context(|| format!("MERGE_HEAD holds {l:?}, not an object id"))
            })
            .collect::<Result<Vec<_>>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).context("reading MERGE_HEAD"),
    };
    let mut trees = Vec::with_capacity(heads.len());
    for oid in heads {
        let commit = repo.find_commit(oid).with_context(|| format!("reading merge parent {oid}"))?;
        trees.push(commit.tree().context("reading a merge parent's tree")?);
    }
    for change in changes.iter_mut() {
        change.other_parents =
            trees.iter().map(|t| t.get_path(Path::new(&change.path)).ok().map(|e| e.id())).collect();
    }
    Ok(())
}
