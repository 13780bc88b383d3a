use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::Repository;

use super::layout::{HeadFile, PlainLayout};
use super::ObjectId;

/// A repository: where its directories are, and libgit2's handle on it, opened on first need.
///
/// Why not libgit2 at once: opening reads, parses and checksums every git config file (the
/// system's, the user's, the repository's), and libgit2 checks all three again at each reference
/// lookup. That was 7.6% of a cold hook run, which otherwise reads its loose objects and
/// work-tree files itself; without it the hook ran 5-6% faster (bench/README.md, session 12). A hook running at the top of a plain work tree (`.git` a directory owned by the user,
/// no variable relocating the repository, a config without extensions, includes, `core.worktree`
/// or quoting) is read as [`PlainLayout`] says; anything else is opened by libgit2 at once, and
/// libgit2 reads whatever the plain reading leaves out (packs, packed refs).
pub struct Repo {
    git_dir: PathBuf,
    common_dir: PathBuf,
    workdir: Option<PathBuf>,
    /// What the plain reading found (`None`: opened by libgit2 from the start).
    plain: Option<PlainLayout>,
    handle: OnceCell<Repository>,
}

impl Repo {
    /// Opens the repository the way git hands it to a hook: `GIT_DIR`, `GIT_WORK_TREE`,
    /// `GIT_OBJECT_DIRECTORY` and friends are honoured (libgit2's FROM_ENV mode), falling back
    /// to discovery from the current directory when git set nothing. `relocated` tells whether
    /// any of those variables is set (see [`crate::env::Env::git_relocated`]).
    ///
    /// # Errors
    /// Not inside a git repository, or the repository cannot be opened.
    pub fn for_hook(relocated: bool) -> Result<Repo> {
        if !relocated {
            if let Some(plain) = std::env::current_dir().ok().and_then(|root| PlainLayout::read(&root)) {
                return Ok(Repo::plain(plain));
            }
        }
        open_for_hook().map(Repo::from)
    }

    fn plain(plain: PlainLayout) -> Repo {
        Repo {
            git_dir: plain.git_dir.clone(),
            common_dir: plain.git_dir.clone(),
            workdir: Some(plain.root.clone()),
            plain: Some(plain),
            handle: OnceCell::new(),
        }
    }

    /// How another thread opens this repository again (libgit2 handles are not shared between
    /// threads); it fails when libgit2 cannot open it.
    pub fn reopener(&self) -> impl Fn() -> Result<Repo> + Send + Sync + 'static {
        let plain = self.plain.clone();
        move || match &plain {
            Some(plain) => Ok(Repo::plain(plain.clone())),
            None => open_for_hook().map(Repo::from),
        }
    }

    /// libgit2's handle, opened now if it was not yet (the hook's environment is unchanged, so it
    /// opens the repository the plain reading found).
    ///
    /// # Errors
    /// libgit2 cannot open the repository.
    pub fn git(&self) -> Result<&Repository> {
        if let Some(repo) = self.handle.get() {
            return Ok(repo);
        }
        let repo = open_for_hook()?;
        Ok(self.handle.get_or_init(|| repo))
    }

    /// The git directory.
    pub fn path(&self) -> &Path {
        &self.git_dir
    }

    /// The common git directory (shared by linked worktrees: objects, refs, config, hooks).
    pub fn commondir(&self) -> &Path {
        &self.common_dir
    }

    /// The work-tree root; `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.workdir.as_deref()
    }

    /// The commit `HEAD` names; `None` on an unborn branch.
    ///
    /// # Errors
    /// `HEAD` cannot be read or resolved.
    pub fn head_commit(&self) -> Result<Option<ObjectId>> {
        if let Some(commit) = self.plain.as_ref().and_then(PlainLayout::head_commit) {
            return Ok(commit);
        }
        match self.git()?.head() {
            Ok(head) => match head.target() {
                Some(commit) => Ok(Some(commit.into())),
                None => Ok(Some(head.peel_to_commit().context("reading the commit of HEAD")?.id().into())),
            },
            Err(e) if matches!(e.code(), git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound) => {
                Ok(None)
            }
            Err(e) => Err(e).context("reading HEAD"),
        }
    }

    /// The branch `HEAD` is on (short name), `(detached)`, or `(unknown)`.
    pub fn head_branch(&self) -> String {
        let symbolic = match self.plain.as_ref().map(|p| &p.head) {
            Some(HeadFile::Symbolic(target)) => Some(target.clone()),
            Some(HeadFile::Detached(_)) => None,
            None => match self.git().map(|repo| repo.find_reference("HEAD")) {
                Ok(Ok(head)) => head.symbolic_target().map(str::to_string),
                _ => return "(unknown)".to_string(),
            },
        };
        match symbolic {
            Some(target) => target.strip_prefix("refs/heads/").unwrap_or(&target).to_string(),
            None => "(detached)".to_string(),
        }
    }

    /// `remote.origin.url` as configured (no `insteadOf` rewriting); for a plain layout, as the
    /// repository's own config file sets it.
    pub fn origin_url(&self) -> Option<String> {
        match &self.plain {
            Some(plain) => plain.origin_url.clone(),
            None => self.git().ok()?.config().ok()?.get_string("remote.origin.url").ok(),
        }
    }
}

impl From<Repository> for Repo {
    fn from(repo: Repository) -> Repo {
        let git_dir = repo.path().to_path_buf();
        let common_dir = repo.commondir().to_path_buf();
        let workdir = repo.workdir().map(Path::to_path_buf);
        Repo { git_dir, common_dir, workdir, plain: None, handle: OnceCell::from(repo) }
    }
}

/// Opens the repository with libgit2, the way git hands it to a hook: `GIT_DIR`,
/// `GIT_WORK_TREE`, `GIT_OBJECT_DIRECTORY` and friends are honoured (libgit2's FROM_ENV mode),
/// falling back to discovery from the current directory when git set nothing.
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
pub fn workdir(repo: &Repo) -> Result<&Path> {
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
