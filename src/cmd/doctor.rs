use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::Outcome;
use crate::git;
use crate::hook::{self, HOOKS};

/// `leakgate doctor`: which hooks git will really run here, and whether leakgate is among them.
/// Exit 0 when leakgate guards commits in this repository, 1 when it does not.
pub fn run() -> Result<Outcome> {
    let repo = git::open_for_hook()?;
    let root = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    let (major, minor) = git::cli::version()?;
    let dir = git::hooks_dir(&repo)?;
    let mut out = std::io::stdout().lock();
    let w = &mut out as &mut dyn Write;
    writeln!(w, "git {major}.{minor}; repository {}", root.display()).context("writing")?;

    let scopes = hooks_path_scopes(&root)?;
    match scopes.last() {
        Some((scope, value)) => {
            writeln!(w, "hooks directory: {} (core.hooksPath = {value}, from {scope} config)", dir.display())
        }
        None => writeln!(w, "hooks directory: {} (no core.hooksPath)", dir.display()),
    }
    .context("writing")?;
    if let [.., (outer, outer_value), (inner, inner_value)] = &scopes[..] {
        writeln!(
            w,
            "warning: the {inner} core.hooksPath ({inner_value}) shadows the {outer} one ({outer_value}): hooks \
             installed there, including a global leakgate install, do not run in this repository; \
             run `leakgate install` here (or add leakgate to the hooks in {inner_value})"
        )
        .context("writing")?;
    }

    let mut guarded = Vec::new();
    for name in HOOKS {
        let path = dir.join(name);
        let state = describe(&path);
        let config_hook = (major, minor) >= (2, 54)
            && git::cli::config(Some(&root), &["--get", &format!("hook.leakgate-{name}.command")])?.is_some();
        if hook::is_ours(&path) || config_hook {
            guarded.push(*name);
        }
        let via = if config_hook { " (also a config-based hook: hook.leakgate-*)" } else { "" };
        writeln!(w, "  {name:<11} {state}{via}").context("writing")?;
    }
    if (major, minor) < (2, 54) {
        writeln!(w, "config-based hooks need git 2.54 or newer; this git has only the hooks directory")
            .context("writing")?;
    }
    let verdict = if guarded.contains(&"pre-commit") {
        format!("leakgate guards: {}", guarded.join(", "))
    } else {
        "leakgate does NOT guard commits in this repository: run `leakgate install`".to_string()
    };
    writeln!(w, "{verdict}").context("writing")?;
    Ok(if guarded.contains(&"pre-commit") { Outcome::Clean } else { Outcome::Blocked })
}

fn describe(path: &Path) -> String {
    let chained = {
        let mut p = path.as_os_str().to_owned();
        p.push(".leakgate-chained");
        Path::new(&p).exists()
    };
    if hook::is_ours(path) {
        if chained {
            "leakgate (runs the previous hook first)".to_string()
        } else {
            "leakgate".to_string()
        }
    } else if path.exists() {
        "another hook (not leakgate)".to_string()
    } else {
        "none".to_string()
    }
}

/// Every `core.hooksPath` value with the config scope it comes from, outermost first.
fn hooks_path_scopes(root: &Path) -> Result<Vec<(String, String)>> {
    let Some(text) = git::cli::config(Some(root), &["--show-scope", "--get-all", "core.hooksPath"])? else {
        return Ok(Vec::new());
    };
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(scope, value)| (scope.to_string(), value.to_string()))
        .collect())
}
