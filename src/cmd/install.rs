use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{Outcome, UsageError};
use crate::cli::{InstallArgs, UninstallArgs};
use crate::git;
use crate::hook::{self, Conflict, HookChange, HOOKS};

/// git >= 2.54 runs hooks declared in config (`hook.<name>.command`/`.event`), which no
/// `core.hooksPath` can shadow.
const CONFIG_HOOKS: (u32, u32) = (2, 54);

/// Where a global install records the `core.hooksPath` it replaced (`--force`), for uninstall.
const PREVIOUS_HOOKS_PATH: &str = "previous-core.hooksPath";

/// `leakgate install`.
pub fn install(args: &InstallArgs) -> Result<Outcome> {
    let hooks = selected(args);
    let conflict = match (args.chain, args.force) {
        (true, _) => Conflict::Chain,
        (_, true) => Conflict::Replace,
        _ => Conflict::Refuse,
    };
    let exe = std::env::current_exe().context("finding the path of the leakgate binary")?;
    let mut err = std::io::stderr().lock();
    if args.global {
        if git::cli::version()? >= CONFIG_HOOKS {
            for hook in &hooks {
                let name = format!("hook.leakgate-{hook}");
                let command = format!("'{}' {hook}", exe.to_string_lossy().replace('\'', "'\\''"));
                git::cli::config(None, &["--global", &format!("{name}.command"), &command])?;
                git::cli::config(None, &["--global", "--replace-all", &format!("{name}.event"), hook])?;
                writeln!(
                    err,
                    "leakgate: configured the {hook} hook for every repository ({name} in ~/.gitconfig)"
                )
                .ok();
            }
            return Ok(Outcome::Clean);
        }
        let dir = global_hooks_dir()?;
        let current = git::cli::config(None, &["--global", "--get", "core.hooksPath"])?;
        let previous = current.filter(|c| std::path::Path::new(c) != dir);
        if let Some(previous) = &previous {
            if conflict == Conflict::Refuse {
                return Err(UsageError(format!(
                    "the global core.hooksPath is already {previous}; leakgate would replace it with {}. \
                     Re-run with --force to do so (uninstall --global restores it), or add leakgate to the \
                     hooks in {previous}",
                    dir.display()
                ))
                .into());
            }
        }
        let changes = hook::install(&dir, &exe, &hooks, conflict, true)?;
        if let Some(previous) = &previous {
            std::fs::write(dir.join(PREVIOUS_HOOKS_PATH), previous)
                .with_context(|| format!("recording the previous core.hooksPath in {}", dir.display()))?;
        }
        git::cli::config(None, &["--global", "core.hooksPath", &dir.to_string_lossy()])?;
        report(&mut err, &changes);
        writeln!(
            err,
            "leakgate: set the global core.hooksPath to {}; each repository's own hooks still run first. \
             A repository-local core.hooksPath (husky) shadows it: `leakgate doctor` tells.",
            dir.display()
        )
        .ok();
        return Ok(Outcome::Clean);
    }
    let repo = git::open_for_hook()?;
    let dir = git::hooks_dir(&repo)?;
    let changes = hook::install(&dir, &exe, &hooks, conflict, false)?;
    report(&mut err, &changes);
    Ok(Outcome::Clean)
}

/// `leakgate uninstall`.
pub fn uninstall(args: &UninstallArgs) -> Result<Outcome> {
    let mut err = std::io::stderr().lock();
    if args.global {
        for hook in HOOKS {
            let name = format!("hook.leakgate-{hook}");
            if git::cli::config(None, &["--global", "--get", &format!("{name}.command")])?.is_some() {
                git::cli::config(None, &["--global", "--remove-section", &name])?;
                writeln!(err, "leakgate: removed {name} from the global git config").ok();
            }
        }
        let dir = global_hooks_dir()?;
        let changes = hook::uninstall(&dir)?;
        report(&mut err, &changes);
        let current = git::cli::config(None, &["--global", "--get", "core.hooksPath"])?;
        if current.is_some_and(|c| std::path::Path::new(&c) == dir) {
            let record = dir.join(PREVIOUS_HOOKS_PATH);
            match std::fs::read_to_string(&record) {
                Ok(previous) => {
                    git::cli::config(None, &["--global", "core.hooksPath", previous.trim()])?;
                    std::fs::remove_file(&record).ok();
                    writeln!(err, "leakgate: restored the global core.hooksPath to {}", previous.trim()).ok();
                }
                Err(_) => {
                    git::cli::config(None, &["--global", "--unset", "core.hooksPath"])?;
                    writeln!(err, "leakgate: unset the global core.hooksPath").ok();
                }
            }
        }
        return Ok(Outcome::Clean);
    }
    let repo = git::open_for_hook()?;
    let changes = hook::uninstall(&git::hooks_dir(&repo)?)?;
    if changes.is_empty() {
        writeln!(err, "leakgate: no leakgate hook is installed in this repository").ok();
    }
    report(&mut err, &changes);
    Ok(Outcome::Clean)
}

fn selected(args: &InstallArgs) -> Vec<&'static str> {
    match (args.pre_commit, args.pre_push) {
        (false, false) => vec!["pre-commit"],
        (pre_commit, pre_push) => HOOKS
            .iter()
            .copied()
            .filter(|h| (*h == "pre-commit" && pre_commit) || (*h == "pre-push" && pre_push))
            .collect(),
    }
}

fn report(err: &mut dyn Write, changes: &[HookChange]) {
    for change in changes {
        writeln!(err, "leakgate: {change}").ok();
    }
}

/// Where the global shims live: `<config dir>/leakgate/hooks`.
pub(super) fn global_hooks_dir() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "leakgate")
        .context("cannot find the user's config directory (is HOME set?)")?;
    Ok(dirs.config_dir().join("hooks"))
}
