use std::path::Path;

use anyhow::{Context, Result};
use git2::{Commit, DiffFindOptions, DiffOptions, Oid, Repository, Tree};

use super::staged::{changes_from_diff, Change};

/// What a commit itself changes: its tree against its first parent's (the empty tree for a
/// root commit, or when the parent is missing at a shallow-clone boundary — scanning more, never
/// less). For a merge, each change records the other parents' blobs, so that only lines new
/// relative to every parent are reported.
///
/// # Errors
/// The commit's or a parent's tree cannot be read.
pub fn commit_changes(repo: &Repository, commit: &Commit<'_>) -> Result<Vec<Change>> {
    let tree = commit.tree().with_context(|| format!("reading the tree of commit {}", commit.id()))?;
    let parent_trees: Vec<Option<Tree<'_>>> =
        (0..commit.parent_count()).map(|i| commit.parent(i).ok().and_then(|p| p.tree().ok())).collect();
    let first = parent_trees.first().and_then(Option::as_ref);
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).skip_binary_check(true).context_lines(0);
    let mut diff = repo
        .diff_tree_to_tree(first, Some(&tree), Some(&mut opts))
        .with_context(|| format!("diffing commit {}", commit.id()))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find)).context("detecting renamed files")?;
    let mut changes = changes_from_diff(&diff);
    let others: Vec<&Tree<'_>> = parent_trees.iter().skip(1).flatten().collect();
    if !others.is_empty() {
        for change in &mut changes {
            change.other_parents =
                others.iter().map(|t| t.get_path(Path::new(&change.path)).ok().map(|e| e.id())).collect();
        }
    }
    Ok(changes)
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
pub fn peel_commit(repo: &Repository, oid: Oid) -> Result<Commit<'_>> {
    let object =
        repo.find_object(oid, None).with_context(|| format!("object {oid} is not in this repository"))?;
    object.peel_to_commit().with_context(|| format!("object {oid} is not a commit and does not point at one"))
}
