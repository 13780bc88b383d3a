use std::io::Write;

use anyhow::{Context, Result};

use super::Outcome;
use crate::cli::RulesFormat;
use crate::rules::{RuleDef, BUILTIN};

/// `leakgate rules`: the catalog, one rule a line, or as JSON. A closed pipe (`| head`) is not
/// an error.
pub fn run(format: RulesFormat) -> Result<Outcome> {
    match write(format) {
        Err(e) if e.chain().any(is_broken_pipe) => Ok(Outcome::Clean),
        other => other,
    }
}

fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    error.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == pipe
        || error.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind) == pipe
}

fn write(format: RulesFormat) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    match format {
        RulesFormat::Human => {
            for rule in BUILTIN {
                writeln!(
                    out,
                    "{:<36} {:<9} {:<48} {}",
                    rule.id(),
                    rule.severity(),
                    rule.name(),
                    rule.keywords().join(",")
                )
                .context("writing the rule list")?;
            }
        }
        RulesFormat::Json => {
            let rules: Vec<serde_json::Value> = BUILTIN.iter().map(to_json).collect();
            serde_json::to_writer_pretty(&mut out, &rules).context("writing the rule list")?;
            writeln!(out).context("writing the rule list")?;
        }
    }
    Ok(Outcome::Clean)
}

/// The JSON form of one rule (no examples: they are test templates, not data for users).
pub fn to_json(rule: &RuleDef) -> serde_json::Value {
    serde_json::json!({
        "id": rule.id(),
        "name": rule.name(),
        "family": rule.family(),
        "severity": rule.severity().as_str(),
        "keywords": rule.keywords().to_vec(),
        "validator": rule.validator(),
        "path": rule.path(),
        "remediation": { "url": rule.url() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_has_the_listed_fields() {
        let rule = crate::rules::builtin("aws.access-key-id").expect("rule exists");
        let v = to_json(rule);
        for key in ["id", "name", "family", "severity", "keywords", "validator"] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["family"], "aws");
        assert!(v["remediation"]["url"].as_str().is_some_and(|u| u.starts_with("https://")));
    }
}
