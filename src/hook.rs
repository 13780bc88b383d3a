//! Installs and removes the hook shim in the hooks directory git really uses for a repository.
//! A hook leakgate did not write is never overwritten without `--force`, and never lost: it is
//! moved aside and restored by `uninstall`.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The line that marks a hook as written by leakgate.
pub const MARKER: &str = "# leakgate-hook: ";

const PRE_COMMIT_SHIM: &str = include_str!("../hooks/pre-commit");

/// What an install or uninstall did, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookChange {
    /// A new hook was written.
    Installed(PathBuf),
    /// Our hook was already there and was refreshed.
    Updated(PathBuf),
    /// A foreign hook was moved aside and ours written.
    Replaced {
        /// The hook path.
        hook: PathBuf,
        /// Where the previous hook now lives.
        backup: PathBuf,
    },
    /// Our hook was removed (and a backed-up hook restored, if any).
    Removed {
        /// The hook path.
        hook: PathBuf,
        /// Whether a previous hook was restored.
        restored: bool,
    },
    /// Nothing of ours was there.
    NotInstalled(PathBuf),
}

impl fmt::Display for HookChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookChange::Installed(p) => write!(f, "installed the pre-commit hook at {}", p.display()),
            HookChange::Updated(p) => write!(f, "updated the pre-commit hook at {}", p.display()),
            HookChange::Replaced { hook, backup } => write!(
                f,
                "installed the pre-commit hook at {}; the previous hook was moved to {}",
                hook.display(),
                backup.display()
            ),
            HookChange::Removed { hook, restored: true } => {
                write!(f, "removed leakgate's hook at {} and restored the previous hook", hook.display())
            }
            HookChange::Removed { hook, restored: false } => {
                write!(f, "removed leakgate's hook at {}", hook.display())
            }
            HookChange::NotInstalled(p) => {
                write!(f, "no leakgate hook at {}; nothing to remove", p.display())
            }
        }
    }
}

/// A hook leakgate did not write stands where it would install.
#[derive(Debug)]
pub struct ForeignHook(pub PathBuf);

impl fmt::Display for ForeignHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} exists and was not written by leakgate; it was left untouched. Run `leakgate install --force` \
             to replace it (it will be kept as pre-commit.leakgate-backup and restored by `leakgate uninstall`)",
            self.0.display()
        )
    }
}

impl std::error::Error for ForeignHook {}

/// Writes the pre-commit shim into `hooks_dir`, baking in `exe` (GUI git clients often run
/// hooks with a minimal `PATH`).
///
/// # Errors
/// A foreign hook exists and `force` is false ([`ForeignHook`]), or the files cannot be written.
pub fn install(hooks_dir: &Path, exe: &Path, force: bool) -> Result<HookChange> {
    fs::create_dir_all(hooks_dir).with_context(|| format!("creating {}", hooks_dir.display()))?;
    let hook = hooks_dir.join("pre-commit");
    let backup = hooks_dir.join("pre-commit.leakgate-backup");
    let change = match fs::read(&hook) {
        Ok(existing) if is_ours(&existing) => HookChange::Updated(hook.clone()),
        Ok(_) if !force => return Err(ForeignHook(hook).into()),
        Ok(_) => {
            if backup.exists() {
                anyhow::bail!(
                    "{} already exists; move it away before replacing {} again",
                    backup.display(),
                    hook.display()
                );
            }
            fs::rename(&hook, &backup).with_context(|| format!("moving {} aside", hook.display()))?;
            HookChange::Replaced { hook: hook.clone(), backup }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HookChange::Installed(hook.clone()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", hook.display())),
    };
    let shim = PRE_COMMIT_SHIM.replace("@LEAKGATE@", &exe.to_string_lossy().replace('\'', "'\\''"));
    write_executable(&hook, &shim)?;
    Ok(change)
}

/// Removes leakgate's pre-commit hook from `hooks_dir` and restores a hook it replaced.
///
/// # Errors
/// The files cannot be read or moved.
pub fn uninstall(hooks_dir: &Path) -> Result<HookChange> {
    let hook = hooks_dir.join("pre-commit");
    let backup = hooks_dir.join("pre-commit.leakgate-backup");
    match fs::read(&hook) {
        Ok(existing) if is_ours(&existing) => {
            fs::remove_file(&hook).with_context(|| format!("removing {}", hook.display()))?;
            let restored = backup.exists();
            if restored {
                fs::rename(&backup, &hook).with_context(|| format!("restoring {}", backup.display()))?;
            }
            Ok(HookChange::Removed { hook, restored })
        }
        Ok(_) => Ok(HookChange::NotInstalled(hook)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HookChange::NotInstalled(hook)),
        Err(e) => Err(e).with_context(|| format!("reading {}", hook.display())),
    }
}

fn is_ours(content: &[u8]) -> bool {
    String::from_utf8_lossy(content).lines().any(|l| l.starts_with(MARKER))
}

fn write_executable(path: &Path, content: &str) -> Result<()> {
    fs::write(path, content).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", path.display()))?;
    }
    Ok(())
}
