//! The only module that talks to git: libgit2 through `git2`, and git's own plumbing where
//! libgit2 cannot read the repository (split and sparse indexes). It knows nothing of rules or
//! policy; it answers "which blobs change, and which of their lines are added".

mod cachetree;
/// git's own command line, for what libgit2 does not cover (version, config scopes).
pub mod cli;
mod commits;
mod diff;
mod dirfiles;
mod id;
mod layout;
mod loose;
mod range;
mod repo;
mod staged;
#[cfg(test)]
mod testutil;
mod worktree;

pub use commits::{commit_changes, describe, peel_commit, TreeCache};
pub use diff::{added_line_runs, LineRange};
pub use dirfiles::DirFiles;
pub use id::ObjectId;
pub use loose::{read_blob, BlobBytes, LooseObjects};
pub use range::{
    all_commits, is_zero, outgoing_commits, parse_push_lines, range_commits, MalformedPushLine, PushUpdate,
};
pub use repo::{hooks_dir, open_for_hook, workdir, Repo};
pub use staged::{index_entries, staged_changes, Change, ChangeKind};
pub use worktree::staged_copy;
