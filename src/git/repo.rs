use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::Repository;

/// Opens the repository the way git hands it to a hook: `GIT_DIR`, `GIT_WORK_TREE`,
/// `GIT_OBJECT_DIRECTORY` and friends are honoured (libgit2's FROM_ENV mode), falling back to
/// discovery from the current directory when git set nothing.
///
/// # Errors
/// Not inside a git repository, or the repository cannot be opened.
pub fn open_for_hook() -> Result<Repository> {
    // git itself does not re-hash objects on every read (fsck does); libgit2 does by default, with
    // its collision-detecting SHA-1, and that was a quarter of a large commit's scan time. The
    // objects read here are the local repository's own.
    git2::opts::strict_hash_verification(false);
    Repository::open_from_env()
        .context("cannot open the git repository (run leakgate inside a work tree, or set GIT_DIR)")
}

/// The work-tree root of a non-bare repository.
///
/// # Errors
/// The repository is bare.
pub fn workdir(repo: &Repository) -> Result<&Path> {
    match repo.workdir() {
        Some(dir) => Ok(dir),
        None => {
            bail!("the repository at {} is bare: there is no staged change to scan", repo.path().display())
        }
    }
}

/// The hooks directory git really uses: `core.hooksPath` when set (relative values are relative
/// to the work-tree root, where git runs hooks), else `hooks/` in the common git dir, which is
/// shared by every linked worktree.
///
/// # Errors
/// The repository configuration cannot be read.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo.config().context("reading the repository's git config")?;
    match config.get_path("core.hooksPath") {
        Ok(path) if path.is_absolute() => Ok(path),
        Ok(path) => {
            let base = repo.workdir().unwrap_or_else(|| repo.path());
            Ok(base.join(path))
        }
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(repo.commondir().join("hooks")),
        Err(e) => Err(e).context("reading core.hooksPath"),
    }
}
