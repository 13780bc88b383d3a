use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::rc::Rc;

use anyhow::{anyhow, Context, Result};
use git2::{Commit, DiffFindOptions, DiffOptions, FileMode, ObjectType, Tree};

use super::cachetree::StagedTree;
use super::loose::{self, Kind, LooseObjects};
use super::staged::{changes_from_diff, Change, ChangeKind};
use super::{ObjectId, Repo};

/// What a commit itself changes: its tree against its first parent's (the empty tree for a
/// root commit, or when the parent is missing at a shallow-clone boundary — scanning more, never
/// less). For a merge, each change records the other parents' blobs, so that only lines new
/// relative to every parent are reported.
///
/// # Errors
/// The commit's or a parent's tree cannot be read.
pub fn commit_changes(repo: &Repo, commit: &Commit<'_>, trees: &mut TreeCache) -> Result<Vec<Change>> {
    let parent_trees: Vec<Option<ObjectId>> = (0..commit.parent_count())
        .map(|i| {
            commit
                .parent(i)
                .ok()
                .map(|p| ObjectId::from(p.tree_id()))
                .filter(|&id| trees.get(repo, id).is_ok())
        })
        .collect();
    let first = parent_trees.first().copied().flatten();
    let mut changes = tree_diff(repo, trees, first, commit.tree_id().into())
        .with_context(|| format!("diffing commit {}", commit.id()))?;
    let others: Vec<Tree<'_>> = parent_trees
        .iter()
        .skip(1)
        .flatten()
        .filter_map(|&id| repo.git().ok()?.find_tree(id.to_git()).ok())
        .collect();
    if !others.is_empty() {
        for change in &mut changes {
            change.other_parents = others
                .iter()
                .map(|t| t.get_path(Path::new(&change.path)).ok().map(|e| e.id().into()))
                .collect();
        }
    }
    Ok(changes)
}

/// The files added, modified, renamed or type-changed from tree `old` (`None`: the empty tree)
/// to tree `new`, walking only into subtrees whose ids differ.
///
/// # Errors
/// A tree cannot be read.
pub fn tree_diff(
    repo: &Repo,
    trees: &mut TreeCache,
    old: Option<ObjectId>,
    new: ObjectId,
) -> Result<Vec<Change>> {
    let new_tree = trees.get(repo, new).with_context(|| format!("reading tree {new}"))?;
    let old_tree = match old {
        Some(id) => Some(trees.get(repo, id).with_context(|| format!("reading tree {id}"))?),
        None => None,
    };
    let mut changes = Vec::new();
    let mut removed = false;
    tree_changes(
        repo,
        trees,
        old_tree.as_deref(),
        &new_tree,
        &mut String::new(),
        &mut changes,
        &mut removed,
    )?;
    let added = changes.iter().any(|c| c.old.is_none());
    if removed && added {
        // Files went and came: let libgit2 pair the renames, so that a renamed file's old lines
        // do not count as added.
        let git = repo.git()?;
        let old = old.map(|id| git.find_tree(id.to_git())).transpose().context("reading a tree")?;
        let new = git.find_tree(new.to_git()).context("reading a tree")?;
        changes = diff_with_renames(repo, old.as_ref(), &new)?;
    }
    Ok(changes)
}

/// The files that differ between `old` and `new`, walking only into subtrees whose ids differ
/// (libgit2's tree diff walks every entry of both trees, which dominated history scans). Sets
/// `removed` when a file of `old` is gone from `new`.
fn tree_changes(
    repo: &Repo,
    trees: &mut TreeCache,
    old: Option<&RawTree>,
    new: &RawTree,
    prefix: &mut String,
    out: &mut Vec<Change>,
    removed: &mut bool,
) -> Result<()> {
    // Both trees list their entries in git's order: a merge join pairs them by name.
    let mut before = old.map(RawTree::entries).into_iter().flatten().peekable();
    for entry in new.entries() {
        let mut previous = None;
        while let Some(candidate) = before.peek() {
            match git_order(candidate, &entry) {
                Ordering::Less => {
                    *removed = true;
                    before.next();
                }
                Ordering::Equal => {
                    previous = before.next().map(|e| (e.id, e.mode));
                    break;
                }
                Ordering::Greater => break,
            }
        }
        let (id, mode) = (entry.id, entry.mode);
        if previous == Some((id, mode)) {
            continue;
        }
        let length = prefix.len();
        prefix.push_str(&String::from_utf8_lossy(entry.name));
        if mode == TREE {
            let subtree = trees.get(repo, id).with_context(|| format!("reading the tree of {prefix}"))?;
            let old_subtree = match previous {
                Some((old_id, TREE)) => {
                    Some(trees.get(repo, old_id).with_context(|| format!("reading the tree of {prefix}"))?)
                }
                _ => None,
            };
            prefix.push('/');
            tree_changes(repo, trees, old_subtree.as_deref(), &subtree, prefix, out, removed)?;
        } else {
            // A mode-only change is listed too (as git does); its content has no added lines.
            let old_blob = previous.filter(|&(_, m)| is_content_mode(m)).map(|(old_id, _)| old_id);
            let kind = if mode == i32::from(FileMode::Commit) {
                ChangeKind::Submodule
            } else if mode == i32::from(FileMode::Link) {
                ChangeKind::Symlink
            } else {
                ChangeKind::File
            };
            out.push(Change {
                path: prefix.clone(),
                old: old_blob,
                new: id,
                kind,
                other_parents: Vec::new(),
            });
        }
        prefix.truncate(length);
    }
    if before.next().is_some() {
        *removed = true;
    }
    Ok(())
}

const TREE: i32 = 0o040000;

/// A tree object's content: git's list of `<octal mode> <name>\0<20-byte id>` entries, checked
/// to be well-formed when read.
pub struct RawTree(Vec<u8>);

/// One entry of a [`RawTree`].
struct TreeEntry<'a> {
    mode: i32,
    name: &'a [u8],
    id: ObjectId,
}

impl RawTree {
    /// `data` as a tree, if every entry in it is well-formed.
    fn parse(data: Vec<u8>) -> Option<RawTree> {
        let mut rest = data.as_slice();
        while !rest.is_empty() {
            rest = next_entry(rest)?.1;
        }
        Some(RawTree(data))
    }

    fn entries(&self) -> impl Iterator<Item = TreeEntry<'_>> {
        let mut rest = self.0.as_slice();
        std::iter::from_fn(move || {
            let (entry, after) = next_entry(rest)?;
            rest = after;
            Some(entry)
        })
    }
}

/// The first entry of `data` and what follows it.
fn next_entry(data: &[u8]) -> Option<(TreeEntry<'_>, &[u8])> {
    let space = memchr::memchr(b' ', data)?;
    let digits = &data[..space];
    if digits.is_empty() || digits.len() > 7 || !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
        return None;
    }
    let mode = digits.iter().fold(0i32, |mode, d| mode * 8 + i32::from(d - b'0'));
    let rest = &data[space + 1..];
    let nul = memchr::memchr(0, rest)?;
    let end = nul + 1 + ObjectId::LEN;
    let id = ObjectId::from_bytes(rest.get(nul + 1..end)?)?;
    (nul > 0).then_some((TreeEntry { mode, name: &rest[..nul], id }, &rest[end..]))
}

/// Trees one worker read recently, by id. A commit's parent tree is usually the tree of the
/// commit the worker scanned just before, and libgit2 keeps only trees under 4 KiB in its own
/// cache, so without this every root tree of a history was inflated twice.
#[derive(Default)]
pub struct TreeCache {
    trees: HashMap<ObjectId, Rc<RawTree>>,
    order: VecDeque<ObjectId>,
    /// Set for a hook's few trees, most of them loose (see [`loose`]); a history's trees are
    /// mostly packed, and trying each one loose first would cost a failed `open` per tree.
    loose: Option<LooseObjects>,
    /// The tree being committed, whose directories are built from the index rather than read.
    staged: Option<StagedTree>,
}

impl TreeCache {
    /// Trees kept at most; the oldest go first.
    const MAX_TREES: usize = 4096;

    /// A cache that reads loose trees itself before asking libgit2: for the staged diff, whose
    /// trees git has just written.
    pub fn reading_loose(repo: &Repo) -> TreeCache {
        TreeCache { loose: Some(LooseObjects::of(repo)), ..TreeCache::default() }
    }

    /// This cache, building the trees of `staged` from the index instead of reading them.
    #[must_use]
    pub fn building(mut self, staged: StagedTree) -> TreeCache {
        self.staged = Some(staged);
        self
    }

    /// The tree of commit `id`.
    ///
    /// # Errors
    /// The commit cannot be read.
    pub fn commit_tree(&mut self, repo: &Repo, id: ObjectId) -> Result<ObjectId> {
        if let Some(tree) =
            self.loose.as_mut().and_then(|l| l.read(id, Kind::Commit)).and_then(|c| loose::commit_tree(&c))
        {
            return Ok(tree);
        }
        Ok(repo
            .git()?
            .find_commit(id.to_git())
            .with_context(|| format!("reading commit {id}"))?
            .tree_id()
            .into())
    }

    /// Whether tree `id` can be read.
    pub fn has_tree(&mut self, repo: &Repo, id: ObjectId) -> bool {
        self.get(repo, id).is_ok()
    }

    fn get(&mut self, repo: &Repo, id: ObjectId) -> Result<Rc<RawTree>> {
        if let Some(tree) = self.trees.get(&id) {
            return Ok(Rc::clone(tree));
        }
        let built = self.staged.as_ref().and_then(|s| s.tree_data(id));
        let read = || self.loose.as_mut().and_then(|l| l.read(id, Kind::Tree));
        let tree = match built.or_else(read).and_then(RawTree::parse) {
            Some(tree) => tree,
            None => {
                let odb = repo.git()?.odb()?;
                let object = odb.read(id.to_git())?;
                if object.kind() != ObjectType::Tree {
                    return Err(anyhow!("object {id} is a {}, not a tree", object.kind()));
                }
                RawTree::parse(object.data().to_vec()).ok_or_else(|| anyhow!("tree {id} is malformed"))?
            }
        };
        let tree = Rc::new(tree);
        self.trees.insert(id, Rc::clone(&tree));
        self.order.push_back(id);
        if self.order.len() > Self::MAX_TREES {
            if let Some(old) = self.order.pop_front() {
                self.trees.remove(&old);
            }
        }
        Ok(tree)
    }
}

/// Git's order of tree entries: by name, a subtree's name compared as if it ended with `/`.
fn git_order(a: &TreeEntry<'_>, b: &TreeEntry<'_>) -> Ordering {
    let (an, bn) = (a.name, b.name);
    let common = an.len().min(bn.len());
    an[..common].cmp(&bn[..common]).then_with(|| {
        let next =
            |name: &[u8], e: &TreeEntry<'_>| name.get(common).copied().or((e.mode == TREE).then_some(b'/'));
        next(an, a).cmp(&next(bn, b))
    })
}

fn is_content_mode(mode: i32) -> bool {
    [FileMode::Blob, FileMode::BlobExecutable, FileMode::BlobGroupWritable, FileMode::Link]
        .iter()
        .any(|&m| i32::from(m) == mode)
}

/// libgit2's tree diff with rename detection, for changes that remove and add files.
fn diff_with_renames(repo: &Repo, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Result<Vec<Change>> {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).skip_binary_check(true).context_lines(0);
    let mut diff =
        repo.git()?.diff_tree_to_tree(old, Some(new), Some(&mut opts)).context("comparing two trees")?;
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find)).context("detecting renamed files")?;
    Ok(changes_from_diff(&diff))
}

/// One-line facts about a commit for reports: short id, author name, subject.
pub fn describe(commit: &Commit<'_>) -> (String, String, String) {
    let id = commit.id().to_string();
    let author = commit.author().name().unwrap_or("unknown").to_string();
    let summary = commit.summary().unwrap_or("").to_string();
    (id, author, summary)
}

/// Looks a commit up, peeling tags.
///
/// # Errors
/// The object does not exist or is not (and does not point at) a commit.
pub fn peel_commit(repo: &git2::Repository, oid: git2::Oid) -> Result<Commit<'_>> {
    let object =
        repo.find_object(oid, None).with_context(|| format!("object {oid} is not in this repository"))?;
    object.peel_to_commit().with_context(|| format!("object {oid} is not a commit and does not point at one"))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{git, write};
    use super::*;

    fn key(c: &Change) -> (String, Option<ObjectId>, ObjectId, ChangeKind) {
        (c.path.clone(), c.old, c.new, c.kind)
    }

    /// The tree walk that skips identical subtrees finds what libgit2's tree diff finds, commit
    /// by commit, through nested edits, new and deleted directories, a file that becomes a
    /// directory, a symlink, a mode change and a submodule pointer.
    #[test]
    fn tree_walk_matches_libgit2_diff() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        write(dir, "a/b/c.txt", "one\n");
        write(dir, "a/b/d.txt", "two\n");
        write(dir, "top.txt", "top\n");
        write(dir, "x", "file\n");
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-qm", "root"]);
        write(dir, "a/b/c.txt", "one\nmore\n");
        write(dir, "a/new/e.txt", "three\n");
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-qm", "nested edit and new dir"]);
        std::fs::remove_file(dir.join("x")).expect("rm");
        write(dir, "x/inside.txt", "now a dir\n");
        std::os::unix::fs::symlink("top.txt", dir.join("link")).expect("symlink");
        git(dir, &["add", "-A"]);
        git(dir, &["update-index", "--chmod=+x", "top.txt"]);
        git(dir, &["commit", "-qm", "typechange, symlink, mode"]);
        std::fs::remove_dir_all(dir.join("a/new")).expect("rm dir");
        write(dir, "top.txt", "top\nedited\n");
        git(dir, &["add", "-A"]);
        let gitlink = "160000,1111111111111111111111111111111111111111,sub";
        git(dir, &["update-index", "--add", "--cacheinfo", gitlink]);
        git(dir, &["commit", "-qm", "deleted dir, submodule"]);

        let repo = Repo::from(git2::Repository::open(dir).expect("repo"));
        let git2 = repo.git().expect("handle");
        let mut walk = git2.revwalk().expect("revwalk");
        walk.push_head().expect("head");
        let mut checked = 0;
        for oid in walk {
            let commit = git2.find_commit(oid.expect("oid")).expect("commit");
            let tree = commit.tree().expect("tree");
            let parent = commit.parent(0).ok().map(|p| p.tree().expect("parent tree"));
            let mut walked = Vec::new();
            let mut removed = false;
            let mut trees = TreeCache::default();
            let new = trees.get(&repo, tree.id().into()).expect("tree");
            let old = parent.as_ref().map(|p| trees.get(&repo, p.id().into()).expect("parent tree"));
            tree_changes(
                &repo,
                &mut trees,
                old.as_deref(),
                &new,
                &mut String::new(),
                &mut walked,
                &mut removed,
            )
            .expect("walk");
            let diffed = diff_with_renames(&repo, parent.as_ref(), &tree).expect("diff");
            let mut walked: Vec<_> = walked.iter().map(key).collect();
            let mut diffed: Vec<_> = diffed.iter().map(key).collect();
            walked.sort();
            diffed.sort();
            assert_eq!(walked, diffed, "commit {:?}", commit.summary());
            checked += 1;
        }
        assert_eq!(checked, 4);
    }
}
