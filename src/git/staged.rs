use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, Index, ObjectType, Tree};

use super::{ObjectId, Repo};

/// What kind of entry a staged change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    pub old: Option<ObjectId>,
    /// The staged blob.
    pub new: ObjectId,
    /// File, symlink or submodule.
    pub kind: ChangeKind,
    /// During a merge: the blob at this path in each other parent (`MERGE_HEAD`), so that only
    /// lines new relative to every parent are reported.
    pub other_parents: Vec<Option<ObjectId>>,
}

/// The changes the commit being made will contain: `HEAD` (empty on an unborn branch) against
/// the index git is committing — the one named by `GIT_INDEX_FILE` when git sets it.
///
/// `index_file` is the raw value of `GIT_INDEX_FILE`; a relative value is resolved against the
/// work-tree root, where git runs hooks.
///
/// # Errors
/// The index or `HEAD` cannot be read, or the fallback to git's plumbing fails.
pub fn staged_changes(repo: &Repo, index_file: Option<&OsStr>) -> Result<Vec<Change>> {
    let root = super::workdir(repo)?;
    let index_path = index_path(repo, index_file)?;
    if let Some(mut changes) = changes_from_cache_tree(repo, &index_path)? {
        attach_merge_parents(repo, &mut changes)?;
        return Ok(changes);
    }
    let head = head_tree(repo)?;
    let mut changes = match Index::open(&index_path) {
        Ok(mut index) => changes_from_index(repo, head.as_ref(), &mut index)?,
        Err(e) if unsupported_index(&e) => changes_from_plumbing(repo, root, head.as_ref(), &index_path)?,
        Err(e) => return Err(e).with_context(|| format!("cannot read the index {}", index_path.display())),
    };
    attach_merge_parents(repo, &mut changes)?;
    Ok(changes)
}

/// The changes from `HEAD` to the tree the index's cache-tree names (see [`super::cachetree`]),
/// or `None` when the index has no valid cache-tree or its root tree is not in the object
/// database. Git has just written the index's trees as loose objects, and they are read
/// without libgit2 (see [`super::loose`]).
///
/// # Errors
/// `HEAD`, or a tree named by `HEAD` or the cache-tree, cannot be read.
fn changes_from_cache_tree(repo: &Repo, index_path: &Path) -> Result<Option<Vec<Change>>> {
    let Some(staged) = super::cachetree::staged_tree(index_path) else {
        return Ok(None);
    };
    let root = staged.root;
    let mut trees = super::TreeCache::reading_loose(repo).building(staged);
    let head = match repo.head_commit()? {
        Some(commit) => Some(trees.commit_tree(repo, commit).context("reading the commit of HEAD")?),
        None => None,
    };
    if !trees.has_tree(repo, root) {
        return Ok(None);
    }
    super::commits::tree_diff(repo, &mut trees, head, root)
        .context("comparing the staged tree with HEAD")
        .map(Some)
}

/// The index file git is committing: `GIT_INDEX_FILE` (relative to the work-tree root, where
/// git runs hooks) or the repository's own index.
fn index_path(repo: &Repo, index_file: Option<&OsStr>) -> Result<PathBuf> {
    Ok(match index_file {
        Some(p) if Path::new(p).is_absolute() => Path::new(p).to_path_buf(),
        Some(p) => super::workdir(repo)?.join(p),
        None => repo.path().join("index"),
    })
}

/// The staged blobs of `paths`, as whole-file changes (for paths named by the pre-commit
/// framework that have no staged change, e.g. under `pre-commit run --all-files`). Paths not in
/// the index (deleted, untracked) are skipped.
///
/// # Errors
/// The index cannot be read.
pub fn index_entries(repo: &Repo, index_file: Option<&OsStr>, paths: &[&String]) -> Result<Vec<Change>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let index_path = index_path(repo, index_file)?;
    let entries: Vec<(String, ObjectId, u32)> = match Index::open(&index_path) {
        Ok(index) => paths
            .iter()
            .filter_map(|p| {
                index.get_path(Path::new(p.as_str()), 0).map(|e| ((*p).clone(), e.id.into(), e.mode))
            })
            .collect(),
        Err(e) if unsupported_index(&e) => ls_files(super::workdir(repo)?, &index_path, paths)?,
        Err(e) => return Err(e).with_context(|| format!("cannot read the index {}", index_path.display())),
    };
    Ok(entries
        .into_iter()
        .map(|(path, new, mode)| Change {
            path,
            old: None,
            new,
            kind: kind_of_raw(mode),
            other_parents: Vec::new(),
        })
        .collect())
}

/// `git ls-files -s` for indexes libgit2 cannot read.
fn ls_files(root: &Path, index_path: &Path, paths: &[&String]) -> Result<Vec<(String, ObjectId, u32)>> {
    let output = Command::new("git")
        .current_dir(root)
        .env("GIT_INDEX_FILE", index_path)
        .args(["ls-files", "-s", "-z", "--"])
        .args(paths.iter().map(|p| p.as_str()))
        .output()
        .context("libgit2 cannot read this index and running `git ls-files` failed; is git on PATH?")?;
    if !output.status.success() {
        bail!("`git ls-files -s` failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let mut entries = Vec::new();
    for record in output.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let (meta, path) = record.split_once('\t').context("malformed `git ls-files` output")?;
        let mut fields = meta.split(' ');
        let (Some(mode), Some(oid)) = (fields.next(), fields.next()) else {
            bail!("malformed `git ls-files` output: {meta:?}");
        };
        let mode = u32::from_str_radix(mode, 8).context("malformed file mode from git")?;
        entries.push((
            path.to_string(),
            ObjectId::from_hex(oid.as_bytes()).context("malformed object id from git")?,
            mode,
        ));
    }
    Ok(entries)
}

fn kind_of_raw(mode: u32) -> ChangeKind {
    match mode {
        0o120_000 => ChangeKind::Symlink,
        0o160_000 => ChangeKind::Submodule,
        _ => ChangeKind::File,
    }
}

fn head_tree(repo: &Repo) -> Result<Option<Tree<'_>>> {
    let Some(commit) = repo.head_commit()? else {
        return Ok(None);
    };
    let commit = repo.git()?.find_commit(commit.to_git()).context("reading the commit of HEAD")?;
    Ok(Some(commit.tree().context("reading the tree of HEAD")?))
}

/// libgit2 cannot read split-index (`link`) or sparse-index (`sdir`) extensions.
fn unsupported_index(e: &git2::Error) -> bool {
    e.message().contains("unsupported mandatory extension")
}

fn changes_from_index(repo: &Repo, head: Option<&Tree<'_>>, index: &mut Index) -> Result<Vec<Change>> {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).skip_binary_check(true).context_lines(0);
    let mut diff = repo
        .git()?
        .diff_tree_to_index(head, Some(index), Some(&mut opts))
        .context("comparing the index with HEAD")?;
    // A moved file is not new content: pair deletions with additions so only edits are scanned.
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find)).context("detecting renamed files")?;
    Ok(changes_from_diff(&diff))
}

/// The added, modified, renamed and type-changed entries of a diff (deletions carry nothing).
pub(super) fn changes_from_diff(diff: &git2::Diff<'_>) -> Vec<Change> {
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
        let old_blob = (!old.id().is_zero() && is_content(old.mode())).then(|| old.id().into());
        changes.push(Change {
            path,
            old: old_blob,
            new: new.id().into(),
            kind: kind_of(new.mode()),
            other_parents: Vec::new(),
        });
    }
    changes
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
    repo: &Repo,
    root: &Path,
    head: Option<&Tree<'_>>,
    index_path: &Path,
) -> Result<Vec<Change>> {
    let base = match head {
        Some(tree) => tree.id(),
        None => git2::Oid::hash_object(ObjectType::Tree, b"").context("computing the empty tree id")?,
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
fn parse_raw_diff(_repo: &Repo, raw: &[u8]) -> Result<Vec<Change>> {
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
        let old = ObjectId::from_hex(old_oid.as_bytes()).context("malformed object id from git")?;
        let mode = u32::from_str_radix(new_mode, 8).context("malformed file mode from git")?;
        let old_is_content = matches!(old_mode, "100644" | "100755" | "120000");
        changes.push(Change {
            path: String::from_utf8_lossy(path).into_owned(),
            old: (!old.is_zero() && old_is_content).then_some(old),
            new: ObjectId::from_hex(new_oid.as_bytes()).context("malformed object id from git")?,
            kind: kind_of_raw(mode),
            other_parents: Vec::new(),
        });
    }
    Ok(changes)
}

/// During a merge (`MERGE_HEAD` exists), records each other parent's blob at every changed
/// path: what a parent already had is not new content of this commit.
fn attach_merge_parents(repo: &Repo, changes: &mut [Change]) -> Result<()> {
    let heads = match std::fs::read_to_string(repo.path().join("MERGE_HEAD")) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                ObjectId::from_hex(l.trim().as_bytes())
                    .with_context(|| format!("MERGE_HEAD holds {l:?}, not an object id"))
            })
            .collect::<Result<Vec<_>>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).context("reading MERGE_HEAD"),
    };
    let mut trees = Vec::with_capacity(heads.len());
    for oid in heads {
        let commit =
            repo.git()?.find_commit(oid.to_git()).with_context(|| format!("reading merge parent {oid}"))?;
        trees.push(commit.tree().context("reading a merge parent's tree")?);
    }
    for change in changes.iter_mut() {
        change.other_parents =
            trees.iter().map(|t| t.get_path(Path::new(&change.path)).ok().map(|e| e.id().into())).collect();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{git, write};
    use super::*;

    fn key(c: &Change) -> (String, Option<ObjectId>, ObjectId, ChangeKind) {
        (c.path.clone(), c.old, c.new, c.kind)
    }

    /// What the cache-tree path finds, the index-entry path finds too: staged edits in nested
    /// and new directories, a deletion, a rename, a file that becomes a directory, a symlink, a
    /// mode change and a submodule pointer; in index versions 2, 3 (an entry with extended
    /// flags) and 4 (compressed paths).
    #[test]
    fn cache_tree_changes_match_the_index_entries() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        let long: String =
            (0..40).map(|i| format!("line {i} of a file long enough to pair a rename\n")).collect();
        for path in ["a/b/c.txt", "a/b/d.txt", "top.txt", "x", "old/name.txt", "gone.txt"] {
            write(dir, path, &format!("{path}\n{long}"));
        }
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-qm", "root"]);
        write(dir, "a/b/c.txt", "edited\n");
        write(dir, "a/new/e.txt", "three\n");
        std::fs::remove_file(dir.join("x")).expect("rm");
        write(dir, "x/inside.txt", "now a dir\n");
        std::fs::remove_file(dir.join("gone.txt")).expect("rm");
        std::fs::rename(dir.join("old/name.txt"), dir.join("new-name.txt")).expect("mv");
        #[cfg(unix)]
        std::os::unix::fs::symlink("top.txt", dir.join("link")).expect("symlink");
        git(dir, &["add", "-A"]);
        git(dir, &["update-index", "--chmod=+x", "top.txt"]);
        git(
            dir,
            &["update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,sub"],
        );

        let repo = Repo::from(git2::Repository::open(dir).expect("repo"));
        let head = head_tree(&repo).expect("head");
        let index_path = dir.join(".git/index");
        assert!(
            changes_from_cache_tree(&repo, &index_path).expect("read").is_none(),
            "git add leaves the cache-tree out of date"
        );
        for version in ["2", "3", "4"] {
            git(dir, &["update-index", "--index-version", version]);
            if version == "3" {
                // An entry with extended flags, which only version 3 can hold.
                git(dir, &["update-index", "--skip-worktree", "a/b/d.txt"]);
            }
            // What `git commit` does before running the hook: bring the cache-tree up to date.
            git(dir, &["write-tree"]);
            let fast =
                changes_from_cache_tree(&repo, &index_path).expect("read").expect("a valid cache-tree");
            let mut index = Index::open(&index_path).expect("index");
            let slow = changes_from_index(&repo, head.as_ref(), &mut index).expect("diff");
            let mut fast: Vec<_> = fast.iter().map(key).collect();
            let mut slow: Vec<_> = slow.iter().map(key).collect();
            fast.sort();
            slow.sort();
            assert_eq!(fast, slow, "index version {version}");
            assert!(
                fast.iter().any(|k| k.0 == "new-name.txt" && k.1.is_some()),
                "the rename is paired: {fast:?}"
            );
        }
        // git keeps no valid cache-tree while an intent-to-add entry exists: the entries are read.
        write(dir, "later.txt", "intent to add\n");
        git(dir, &["add", "--intent-to-add", "later.txt"]);
        git(dir, &["write-tree"]);
        assert!(changes_from_cache_tree(&repo, &index_path).expect("read").is_none());
    }
}
