//! The only module that talks to git: libgit2 through `git2`, and git's own plumbing where
//! libgit2 cannot read the repository (split and sparse indexes). It knows nothing of rules or
//! policy; it answers "which blobs change, and which of their lines are added".

mod diff;
mod repo;
mod staged;

pub use diff::{added_lines, LineRange};
pub use repo::{hooks_dir, open_for_hook, workdir};
pub use staged::{staged_changes, Change, ChangeKind};
