//! Installs and removes the hook shims in the hooks directory git really uses, for one
//! repository or (with `--global`) for every repository of the user. A hook leakgate did not
//! write is never lost: it is refused, chained (kept and run first), or with `--force` moved
//! aside; `uninstall` puts it back.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The line that marks a hook as written by leakgate.
pub const MARKER: &str = "# leakgate-hook: ";

/// The hooks leakgate provides.
pub const HOOKS: &[&str] = &["pre-commit", "pre-push"];

const SHIM: &str = include_str!("../hooks/shim.sh.in");

/// What to do with a hook leakgate did not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Leave it and fail with an instruction.
    Refuse,
    /// Keep it as `<hook>.leakgate-chained`; the shim runs it first.
    Chain,
    /// Move it to `<hook>.leakgate-backup`; `uninstall` restores it.
    Replace,
}

/// What an install or uninstall did to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookChange {
    /// A new hook was written.
    Installed(PathBuf),
    /// Our hook was already there and was refreshed.
    Updated(PathBuf),
    /// A foreign hook was kept and is run before leakgate.
    Chained(PathBuf),
    /// A foreign hook was moved aside.
    Replaced(PathBuf),
    /// Our hook was removed (and a previous hook restored, if any).
    Removed {
        /// The hook path.
        hook: PathBuf,
        /// Whether a previous hook was put back.
        restored: bool,
    },
    /// Nothing of ours was there.
    NotInstalled(PathBuf),
}

impl fmt::Display for HookChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookChange::Installed(p) => write!(f, "installed {}", p.display()),
            HookChange::Updated(p) => write!(f, "updated {}", p.display()),
            HookChange::Chained(p) => write!(
                f,
                "installed {}; the existing hook was kept as {} and runs first",
                p.display(),
                suffixed(p, CHAINED).display()
            ),
            HookChange::Replaced(p) => write!(
                f,
                "installed {}; the previous hook was moved to {} (uninstall restores it)",
                p.display(),
                suffixed(p, BACKUP).display()
            ),
            HookChange::Removed { hook, restored: true } => {
                write!(f, "removed {} and restored the hook it had replaced", hook.display())
            }
            HookChange::Removed { hook, restored: false } => write!(f, "removed {}", hook.display()),
            HookChange::NotInstalled(p) => write!(f, "no leakgate hook at {}", p.display()),
        }
    }
}

/// Hooks leakgate did not write stand where it would install.
#[derive(Debug)]
pub struct ForeignHooks(pub Vec<PathBuf>);

impl fmt::Display for ForeignHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(|p| p.display().to_string()).collect();
        write!(
            f,
            "{} {} not written by leakgate and {} left untouched. Run `leakgate install --chain` to keep \
             {} and run {} before leakgate, or `leakgate install --force` to replace {} (kept as \
             <hook>.leakgate-backup and restored by `leakgate uninstall`)",
            list.join(", "),
            if self.0.len() == 1 { "exists and was" } else { "exist and were" },
            if self.0.len() == 1 { "was" } else { "were" },
            if self.0.len() == 1 { "it" } else { "them" },
            if self.0.len() == 1 { "it" } else { "them" },
            if self.0.len() == 1 { "it" } else { "them" },
        )
    }
}

impl std::error::Error for ForeignHooks {}

const CHAINED: &str = ".leakgate-chained";
const BACKUP: &str = ".leakgate-backup";

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The shim for `hook`, calling `exe`; `global` shims also run the repository's own hook.
pub fn render_shim(hook: &str, exe: &Path, global: bool) -> String {
    SHIM.replace("@LEAKGATE@", &exe.to_string_lossy().replace('\'', "'\\''"))
        .replace("@HOOK@", hook)
        .replace("@GLOBAL@", if global { "1" } else { "0" })
}

/// Writes the shims for `hooks` into `dir`, baking in `exe` (GUI git clients often run hooks
/// with a minimal `PATH`). Checks every hook before writing any, so a refusal changes nothing.
///
/// # Errors
/// A foreign hook exists and `conflict` is [`Conflict::Refuse`] ([`ForeignHooks`]), a previous
/// backup is in the way, or the files cannot be written.
pub fn install(
    dir: &Path,
    exe: &Path,
    hooks: &[&str],
    conflict: Conflict,
    global: bool,
) -> Result<Vec<HookChange>> {
    let foreign: Vec<PathBuf> =
        hooks.iter().map(|h| dir.join(h)).filter(|p| p.exists() && !is_ours(p)).collect();
    if !foreign.is_empty() && conflict == Conflict::Refuse {
        return Err(ForeignHooks(foreign).into());
    }
    for path in &foreign {
        for suffix in [CHAINED, BACKUP] {
            if suffixed(path, suffix).exists() {
                bail!(
                    "{} already exists; move it away before installing over {} again",
                    suffixed(path, suffix).display(),
                    path.display()
                );
            }
        }
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut changes = Vec::new();
    for hook in hooks {
        let path = dir.join(hook);
        let change = if foreign.contains(&path) {
            let (suffix, change) = match conflict {
                Conflict::Chain => (CHAINED, HookChange::Chained(path.clone())),
                _ => (BACKUP, HookChange::Replaced(path.clone())),
            };
            fs::rename(&path, suffixed(&path, suffix))
                .with_context(|| format!("moving {} aside", path.display()))?;
            change
        } else if path.exists() {
            HookChange::Updated(path.clone())
        } else {
            HookChange::Installed(path.clone())
        };
        write_executable(&path, &render_shim(hook, exe, global))?;
        changes.push(change);
    }
    Ok(changes)
}

/// Removes leakgate's shims from `dir` and restores the hooks they had chained or replaced.
///
/// # Errors
/// The files cannot be read or moved.
pub fn uninstall(dir: &Path) -> Result<Vec<HookChange>> {
    let mut changes = Vec::new();
    for hook in HOOKS {
        let path = dir.join(hook);
        if !path.exists() || !is_ours(&path) {
            if path.exists() || suffixed(&path, CHAINED).exists() || suffixed(&path, BACKUP).exists() {
                changes.push(HookChange::NotInstalled(path));
            }
            continue;
        }
        fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        let mut restored = false;
        for suffix in [CHAINED, BACKUP] {
            let previous = suffixed(&path, suffix);
            if previous.exists() && !restored {
                fs::rename(&previous, &path).with_context(|| format!("restoring {}", previous.display()))?;
                restored = true;
            }
        }
        changes.push(HookChange::Removed { hook: path, restored });
    }
    Ok(changes)
}

/// Whether the file at `path` is a leakgate shim.
pub fn is_ours(path: &Path) -> bool {
    fs::read(path).is_ok_and(|c| String::from_utf8_lossy(&c).lines().any(|l| l.starts_with(MARKER)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copyable_shims_are_the_template_rendered_for_path_lookup() {
        for (hook, file) in [
            ("pre-commit", include_str!("../hooks/pre-commit")),
            ("pre-push", include_str!("../hooks/pre-push")),
        ] {
            assert_eq!(render_shim(hook, Path::new("leakgate"), false), file, "hooks/{hook} is out of date");
        }
    }
}
