use serde::Deserialize;

use super::ResolvedPolicy;
use crate::rules::{self, Severity};

/// The exact shape of a policy file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyFile {
    /// Lowest severity that blocks (`low`, `medium`, `high`, `critical`).
    pub min_severity_to_block: Option<String>,
    /// Size limit for scanned files, in bytes.
    pub max_file_bytes: Option<u64>,
    /// A push with more commits is refused whole.
    pub max_push_commits: Option<usize>,
    /// Rule selection.
    pub rules: Option<RulesSection>,
}

/// `[rules]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesSection {
    /// Rule ids to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
}

impl PolicyFile {
    /// Parses TOML text; the error carries the 1-based (line, column) when the parser knows it.
    ///
    /// # Errors
    /// Malformed TOML, an unknown key or a value of the wrong type.
    pub fn parse(text: &str) -> Result<PolicyFile, (Option<(usize, usize)>, String)> {
        toml::from_str(text).map_err(|e| {
            let position = e.span().map(|span| line_col(text, span.start));
            (position, e.message().trim().to_string())
        })
    }

    /// Applies this layer on top of `policy`.
    ///
    /// # Errors
    /// A value is out of range (unknown severity or rule id, zero size).
    pub fn apply(&self, policy: &mut ResolvedPolicy) -> Result<(), String> {
        if let Some(s) = &self.min_severity_to_block {
            policy.block_severity = Severity::parse(s).ok_or_else(|| {
                format!("min-severity-to-block = {s:?} is not a severity; use low, medium, high or critical")
            })?;
        }
        if let Some(bytes) = self.max_file_bytes {
            if bytes == 0 {
                return Err("max-file-bytes must be greater than 0".to_string());
            }
            policy.max_file_bytes = bytes;
        }
        if let Some(n) = self.max_push_commits {
            if n == 0 {
                return Err("max-push-commits must be greater than 0".to_string());
            }
            policy.max_push_commits = n;
        }
        if let Some(section) = &self.rules {
            for id in &section.disable {
                if rules::builtin(id).is_none() {
                    return Err(format!(
                        "rules.disable names {id:?}, which is not a rule; `leakgate rules` lists them"
                    ));
                }
                policy.disabled.push(id.clone());
            }
        }
        Ok(())
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.len(), |p| before.len() - p - 1) + 1;
    (line, col)
}
