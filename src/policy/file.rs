//! `PolicyFile`: the exact TOML shape of a policy file (`deny_unknown_fields`, so a typo fails
//! loudly with file:line:column). Values that later messages must point at keep their span.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::error::PolicyError;
use crate::rules::spec::RuleSpec;

/// The exact shape of a policy file (any layer).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyFile {
    /// Another policy this one builds on (applied before this file).
    pub extends: Option<Spanned<Extends>>,
    /// The oldest leakgate that may apply this policy (`"0.2"`): an older binary stops with a
    /// clear message instead of misreading newer keys.
    pub min_leakgate_version: Option<Spanned<String>>,
    /// Lowest severity that blocks (`low`, `medium`, `high`, `critical`).
    pub min_severity_to_block: Option<Spanned<String>>,
    /// Size limit for scanned files, in bytes.
    pub max_file_bytes: Option<Spanned<u64>>,
    /// A push with more commits is refused whole.
    pub max_push_commits: Option<Spanned<usize>>,
    /// Whether `leakgate:allow` markers are honoured.
    pub inline_ignores: Option<Spanned<bool>>,
    /// Whether other scanners' markers (`gitleaks:allow`, ...) are honoured.
    pub foreign_markers: Option<Spanned<bool>>,
    /// Whether `.leakgate-ignore` is honoured.
    pub ignore_file: Option<Spanned<bool>>,
    /// Whether `LEAKGATE_BYPASS` may let a commit through.
    pub allow_bypass: Option<Spanned<bool>>,
    /// Every exception (ignore entry, inline marker) must give a reason.
    pub require_reason: Option<Spanned<bool>>,
    /// Every ignore-file entry must name an owner.
    pub require_owner: Option<Spanned<bool>>,
    /// Every ignore-file entry must expire within this many days.
    pub max_ignore_days: Option<Spanned<u32>>,
    /// Whether a hook may fetch a pinned git policy that is not cached yet.
    pub fetch_on_miss: Option<Spanned<bool>>,
    /// System policy only: also read the user-level organisation policy.
    pub allow_user_org_policy: Option<Spanned<bool>>,
    /// Rule selection and tuning.
    pub rules: Option<RulesSection>,
    /// Custom rules, in the built-in rules' shape.
    #[serde(default)]
    pub rule: Vec<Spanned<RuleSpec>>,
    /// Allowlists.
    #[serde(default)]
    pub allow: Vec<Spanned<AllowSpec>>,
    /// Organisation only: what later layers cannot weaken.
    pub enforce: Option<Spanned<EnforceSpec>>,
}

/// `extends = "path"` or `extends = { git = "...", rev = "...", path = "..." }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Extends {
    /// A file, relative to the declaring file.
    Path(String),
    /// A pinned git source.
    Git(GitSource),
}

/// A policy file in a git repository, pinned to a commit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitSource {
    /// Repository URL (`file://`, a local path; `https://` needs git2's https feature).
    pub git: String,
    /// The full commit id (40 or 64 hex digits); branch and tag names are rejected.
    pub rev: String,
    /// Path of the policy file inside the repository.
    #[serde(default = "default_policy_path")]
    pub path: String,
    /// Optional SHA-256 (hex) of the file: a second pin, independent of git's hash.
    pub sha256: Option<String>,
}

fn default_policy_path() -> String {
    "policy.toml".to_string()
}

/// `[rules]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesSection {
    /// Rule ids or globs (`aws.*`) to switch off.
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    /// Rule id or glob → severity.
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<String>>,
    /// Rule id or glob → minimum entropy (bits per character) of the secret.
    #[serde(default)]
    pub entropy: BTreeMap<String, Spanned<f64>>,
}

/// One `[[allow]]` entry: a finding matching any of its paths, secret or line regexes, or
/// stopwords is allowed, for the rules it names (all rules when `rules` is empty).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AllowSpec {
    /// Rule ids or globs this entry applies to; empty: every rule.
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    /// Path globs (`tests/fixtures/**`).
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Regexes on the secret value.
    #[serde(default)]
    pub secrets: Vec<Spanned<String>>,
    /// Regexes on the whole line holding the secret.
    #[serde(default)]
    pub lines: Vec<Spanned<String>>,
    /// Case-insensitive words: a secret containing one is allowed.
    #[serde(default)]
    pub stopwords: Vec<Spanned<String>>,
    /// Why this exception exists.
    pub reason: Option<String>,
}

impl AllowSpec {
    /// A canonical text of the entry (no spans), to tell entries apart.
    pub fn canonical(&self) -> String {
        let mut parts = Vec::new();
        for (key, list) in [
            ("rules", &self.rules),
            ("paths", &self.paths),
            ("secrets", &self.secrets),
            ("lines", &self.lines),
            ("stopwords", &self.stopwords),
        ] {
            if !list.is_empty() {
                let items: Vec<String> = list.iter().map(|s| format!("{:?}", s.get_ref())).collect();
                parts.push(format!("{key} = [{}]", items.join(", ")));
            }
        }
        parts.join(", ")
    }
}

/// `[enforce]` (organisation layers only).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EnforceSpec {
    /// Enforce every rule the organisation policy runs.
    #[serde(default)]
    pub all: bool,
    /// Rule ids or globs to enforce.
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    /// Exception kinds still honoured for enforced rules: `allowlist`, `inline`, `ignore-file`,
    /// `bypass`. Default: none.
    #[serde(default)]
    pub exceptions: Vec<Spanned<String>>,
    /// What a later layer's attempt to weaken the floor does: `"ignore"` (default: the attempt
    /// is not applied and is named next to the findings it concerns) or `"error"` (every hook
    /// and scan stops with exit 2 until the setting is removed).
    pub on_violation: Option<Spanned<String>>,
}

impl PolicyFile {
    /// Parses TOML text.
    ///
    /// # Errors
    /// Malformed TOML, an unknown key or a value of the wrong type, with the position.
    pub fn parse(file: &std::path::Path, text: &str) -> Result<PolicyFile, PolicyError> {
        toml::from_str(text).map_err(|e| {
            let mut message = e.message().trim().to_string();
            if message.contains("did not match any variant of untagged enum Extends") {
                message = "extends must be a path (\"../policy.toml\") or { git = \"<url>\", rev = \"<full commit id>\", \
                           path = \"policy.toml\" }"
                    .to_string();
            }
            match e.span() {
                Some(span) => PolicyError::at(file, text, &span, message),
                None => PolicyError::file(file, message),
            }
        })
    }
}
