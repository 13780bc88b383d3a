//! The rule catalog: the built-in rules (TOML files under `src/rules/builtin/`, turned into static
//! data by `build.rs`) and the validators that cut false positives without a network call.
//!
//! This module knows nothing of git or of reports; the engine in `scan` runs these rules.

mod def;
pub mod example;
pub mod hircode;
pub mod lines;
pub mod nfacode;
pub mod quality;
pub mod required;
#[cfg(test)]
mod selftest;
pub mod spec;
pub mod syntax;
pub mod validate;
mod varint;

use std::fmt;

pub use def::{CustomRule, List, ListIter, RuleDef, BUILTIN};

/// How serious a finding is; the policy decides which severities block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational; never blocks by default.
    Low,
    /// Probably a secret, or a secret of limited reach.
    Medium,
    /// A live credential format.
    High,
    /// A credential that grants broad access (cloud root keys, private keys).
    Critical,
}

impl Severity {
    /// Parses the lower-case name used in TOML.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The lower-case name used in TOML and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RuleDef {
    /// The path under which this rule's examples are scanned: an example of a path-restricted
    /// rule starts with a `# path: <path>` line naming the file it stands for.
    pub fn examples_path(&self) -> &'static str {
        self.examples()
            .iter()
            .find_map(|e| e.strip_prefix("# path: ").and_then(|rest| rest.lines().next()))
            .unwrap_or("example.txt")
    }
}

/// Looks a built-in rule up by id.
pub fn builtin(id: &str) -> Option<&'static RuleDef> {
    BUILTIN.iter().find(|r| r.id() == id)
}
