use std::io::Write;

use anyhow::{Context, Result};

use super::Outcome;
use crate::rules::BUILTIN;

/// `leakgate rules`: the catalog, one rule a line.
pub fn run() -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    for rule in BUILTIN {
        writeln!(out, "{:<28} {:<9} {:<40} {}", rule.id, rule.severity, rule.name, rule.keywords.join(","))
            .context("writing the rule list")?;
    }
    Ok(Outcome::Clean)
}
