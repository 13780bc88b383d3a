use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The installed git's version as (major, minor), from `git --version`.
///
/// # Errors
/// git is not on `PATH` or prints something unexpected.
pub fn version() -> Result<(u32, u32)> {
    let out =
        Command::new("git").arg("--version").output().context("running `git --version`; is git on PATH?")?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version(&text).with_context(|| format!("cannot read the git version from {:?}", text.trim()))
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let version = text.split_whitespace().nth(2)?;
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Runs `git config` with `args` (in `dir` when given) and returns trimmed stdout; `None` when
/// the key is unset (git exits 1).
///
/// # Errors
/// git cannot run or fails otherwise.
pub fn config(dir: Option<&Path>, args: &[&str]) -> Result<Option<String>> {
    let mut cmd = Command::new("git");
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.arg("config").args(args).output().context("running `git config`; is git on PATH?")?;
    match out.status.code() {
        Some(0) => Ok(Some(String::from_utf8_lossy(&out.stdout).trim().to_string())),
        Some(1) | Some(5) => Ok(None),
        _ => bail!("`git config {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_git_versions() {
        assert_eq!(super::parse_version("git version 2.47.3\n"), Some((2, 47)));
        assert_eq!(super::parse_version("git version 2.54.0.windows.1"), Some((2, 54)));
        assert_eq!(super::parse_version("nonsense"), None);
    }
}
