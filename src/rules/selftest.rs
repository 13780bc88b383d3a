//! Rules test themselves: every built-in rule's examples must be found, with exactly the marked
//! capture, and none of its negative examples may match.

use super::example::{expand, Rng};
use super::validate::Validator;
use super::{RuleDef, BUILTIN};
use crate::scan::{Engine, Finding};
use crate::source::{Fragment, Origin};

const SEEDS: u64 = 8;

fn scan(rules: Vec<&'static RuleDef>, text: &str, path: &str) -> Vec<Finding> {
    let engine = Engine::new(rules).expect("engine builds");
    let origin = Origin::File;
    let mut out = Vec::new();
    engine.scan_path(path, &origin, &mut out).expect("path rules compile");
    let fragment = Fragment { origin: &origin, path, first_line: 1, text: text.as_bytes() };
    engine.scan(&fragment, &mut out).expect("rules compile");
    out
}

/// The path an example is scanned under: rules restricted to paths get a matching one.
fn example_path(rule: &RuleDef) -> &'static str {
    rule.path.map_or("example.txt", |_| rule.examples_path())
}

#[test]
fn every_positive_example_is_found_with_its_capture() {
    let mut failures = Vec::new();
    for rule in BUILTIN.iter().filter(|r| r.regex.is_some()) {
        assert!(!rule.examples.is_empty(), "rule {} has no examples", rule.id);
        for (i, template) in rule.examples.iter().enumerate() {
            for seed in 0..SEEDS {
                let example = expand(template, &mut Rng::new(seed)).expect("valid template");
                let alone = scan(vec![rule], &example.text, example_path(rule));
                let mine: Vec<&Finding> = alone.iter().filter(|f| f.rule.id == rule.id).collect();
                if mine.len() != 1 {
                    failures.push(format!("{} example {i} seed {seed}: {} findings", rule.id, mine.len()));
                    continue;
                }
                if let Some(range) = &example.secret {
                    if mine[0].secret.expose() != example.text[range.clone()].as_bytes() {
                        failures.push(format!(
                            "{} example {i} seed {seed}: captured {} instead of the marked {} chars",
                            rule.id,
                            mine[0].secret.redacted(),
                            range.len()
                        ));
                    }
                }
                let all = scan(BUILTIN.iter().collect(), &example.text, example_path(rule));
                if !all.iter().any(|f| f.rule.id == rule.id) {
                    let by: Vec<&str> = all.iter().map(|f| f.rule.id).collect();
                    failures.push(format!("{} example {i} seed {seed}: shadowed by {by:?}", rule.id));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn no_negative_example_matches() {
    let mut failures = Vec::new();
    for rule in BUILTIN {
        for (i, template) in rule.negative_examples.iter().enumerate() {
            for seed in 0..SEEDS {
                let example = expand(template, &mut Rng::new(seed)).expect("valid template");
                let found = scan(vec![rule], &example.text, example_path(rule));
                if found.iter().any(|f| f.rule.id == rule.id) {
                    failures.push(format!("{} negative example {i} seed {seed} matched", rule.id));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_is_well_formed() {
    for rule in BUILTIN {
        if let Some(pattern) = rule.regex {
            regex::bytes::Regex::new(pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.id));
        }
        if let Some(pattern) = rule.path {
            regex::bytes::Regex::new(pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.id));
        }
        if let Some(v) = rule.validator {
            assert!(Validator::parse(v).is_some(), "{}: unknown validator {v}", rule.id);
        }
        assert!(rule.id.contains('.'), "{}: ids are <provider>.<kind>", rule.id);
        assert!(!rule.revoke.is_empty(), "{}: remediation.revoke is required", rule.id);
    }
}
