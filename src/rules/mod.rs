//! The rule catalog: the built-in rules (TOML files under `src/rules/builtin/`, turned into static
//! data by `build.rs`) and the validators that cut false positives without a network call.
//!
//! This module knows nothing of git or of reports; the engine in `scan` runs these rules.

pub mod example;
pub mod hircode;
pub mod lines;
pub mod quality;
pub mod required;
#[cfg(test)]
mod selftest;
pub mod spec;
pub mod syntax;
pub mod validate;

use std::fmt;

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

/// A rule ready for the engine. Built-in rules are static data generated at compile time, so
/// loading the catalog costs nothing at start-up.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    /// Stable id, `<provider>.<kind>`.
    pub id: &'static str,
    /// The catalog file the rule comes from (provider family).
    pub family: &'static str,
    /// Human name.
    pub name: &'static str,
    /// Why it matters.
    pub description: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Lower-case prefilter keywords.
    pub keywords: &'static [&'static str],
    /// Content pattern; `None` for pure file-name rules.
    pub regex: Option<&'static str>,
    /// `regex` parsed at compile time (see [`hircode`]); empty for custom rules, which are
    /// parsed when the policy loads.
    pub hir: &'static [u8],
    /// Whether every match of `regex` lies within one line (see [`lines::single_line`]): the
    /// engine then runs it only on the lines holding one of its keywords.
    pub single_line: bool,
    /// What any match of `regex` must contain (see [`required`]), checked before the regex is
    /// compiled or run; empty (nothing) for custom rules.
    pub required: &'static [u8],
    /// Where matches of `regex` can start (see [`required::starts`]), so that a single-line rule
    /// is run anchored at a few places of a line; empty when unknown (custom rules).
    pub starts: &'static [u8],
    /// `hir` relaxed (see [`hircode::relax`]), and case-folded when `folded`: the form the engine
    /// compiles, cheaper to build and to run. Empty when there is nothing to relax, or no
    /// `starts` (relaxed forms run only anchored at start candidates).
    pub relaxed: &'static [u8],
    /// The capture group of `relaxed` that was made unbounded, and the longest it can be in
    /// `hir`: a relaxed match whose group is longer is checked again with the exact pattern.
    pub relaxed_group: (u32, u32),
    /// Whether the pattern treats the cases of every ASCII letter alike (see [`hircode::fold`]):
    /// the engine then compiles it case-folded (`relaxed` is folded too) and runs it on the text
    /// with its letters lowercased. False for custom rules.
    pub folded: bool,
    /// `hir` case-folded, when `folded`; empty otherwise.
    pub folded_hir: &'static [u8],
    /// What any path matching `path` must contain (see [`required`]), checked before the path
    /// pattern is compiled; empty (nothing) for custom rules.
    pub path_required: &'static [u8],
    /// `path` parsed at compile time (see [`hircode`]); empty for custom rules.
    pub path_hir: &'static [u8],
    /// Path pattern restricting (or, without `regex`, defining) the rule.
    pub path: Option<&'static str>,
    /// Minimum Shannon entropy of the secret, bits per character.
    pub entropy: Option<f64>,
    /// Structural validator name (see [`validate::Validator`]).
    pub validator: Option<&'static str>,
    /// Whether placeholder values are suppressed.
    pub placeholders: bool,
    /// How to revoke and rotate at the provider.
    pub revoke: &'static str,
    /// Where that is done.
    pub url: &'static str,
    /// What to use instead.
    pub instead: &'static str,
    /// Positive examples (templates, see [`example`]).
    pub examples: &'static [&'static str],
    /// Negative examples (templates).
    pub negative_examples: &'static [&'static str],
}

impl RuleDef {
    /// The path under which this rule's examples are scanned: an example of a path-restricted
    /// rule starts with a `# path: <path>` line naming the file it stands for.
    pub fn examples_path(&self) -> &'static str {
        self.examples
            .iter()
            .find_map(|e| e.strip_prefix("# path: ").and_then(|rest| rest.lines().next()))
            .unwrap_or("example.txt")
    }
}

/// The built-in catalog, in file order.
pub static BUILTIN: &[RuleDef] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Looks a built-in rule up by id.
pub fn builtin(id: &str) -> Option<&'static RuleDef> {
    BUILTIN.iter().find(|r| r.id == id)
}
