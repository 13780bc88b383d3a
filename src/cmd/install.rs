use std::io::Write;

use anyhow::{Context, Result};

use super::Outcome;
use crate::cli::InstallArgs;
use crate::{git, hook};

/// `leakgate install`: the pre-commit shim into the hooks directory git really uses.
pub fn install(args: &InstallArgs) -> Result<Outcome> {
    let repo = git::open_for_hook()?;
    let dir = git::hooks_dir(&repo)?;
    let exe = std::env::current_exe().context("finding the path of the leakgate binary")?;
    let change = hook::install(&dir, &exe, args.force)?;
    writeln!(std::io::stderr(), "leakgate: {change}").ok();
    Ok(Outcome::Clean)
}

/// `leakgate uninstall`.
pub fn uninstall() -> Result<Outcome> {
    let repo = git::open_for_hook()?;
    let dir = git::hooks_dir(&repo)?;
    let change = hook::uninstall(&dir)?;
    writeln!(std::io::stderr(), "leakgate: {change}").ok();
    Ok(Outcome::Clean)
}
