//! The on-disk shape of a rule, shared by `build.rs` (which turns the built-in TOML files into
//! static data at compile time) and by the policy loader (custom rules use the same shape).

use serde::Deserialize;

/// One TOML file of rules: `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    /// The rules declared in the file.
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
}

/// A rule as written in TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSpec {
    /// Stable id, `<provider>.<kind>` in kebab-case.
    pub id: String,
    /// Human name ("AWS access key ID").
    pub name: String,
    /// Why it matters, one or two sentences.
    #[serde(default)]
    pub description: String,
    /// `critical`, `high`, `medium` or `low`.
    pub severity: String,
    /// Literal strings (ASCII case-insensitive, written lower-case); the rule's regex runs only
    /// on fragments that contain one of them. For a path-only rule, literals the lower-cased
    /// path must contain before the path regex is tried.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The pattern; the named group `secret` (else group 1, else the whole match) is the secret.
    #[serde(default)]
    pub regex: Option<String>,
    /// A regex on the file path: the rule applies only to matching paths. A rule with `path`
    /// and no `regex` flags the file itself, whatever it contains.
    #[serde(default)]
    pub path: Option<String>,
    /// Minimum Shannon entropy (bits per character) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Name of a structural validator (see `rules::validate`).
    #[serde(default)]
    pub validator: Option<String>,
    /// Whether placeholder values (`changeme`, `${VAR}`, `xxxx`...) are suppressed.
    #[serde(default = "default_true")]
    pub placeholders: bool,
    /// How to revoke, rotate and replace this credential.
    #[serde(default)]
    pub remediation: RemediationSpec,
    /// Texts that must produce exactly one finding of this rule; `{{gen:CLASS:LEN}}` is
    /// replaced by random characters at test time, so no real-looking secret is stored here.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts that must produce no finding of this rule.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// Provider-specific remediation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RemediationSpec {
    /// Steps to revoke and rotate the credential at the provider.
    #[serde(default)]
    pub revoke: String,
    /// The provider page where that is done.
    #[serde(default)]
    pub url: String,
    /// What to use instead of a long-lived secret in code.
    #[serde(default)]
    pub instead: String,
}

fn default_true() -> bool {
    true
}
