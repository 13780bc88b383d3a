//! Rules test themselves: every built-in rule's examples must be found, with exactly the marked
//! capture, and none of its negative examples may match.

use super::example::{expand, Rng};
use super::validate::Validator;
use super::{RuleDef, BUILTIN};
use crate::scan::{Engine, Finding};
use crate::source::{Fragment, Origin};

const SEEDS: u64 = 8;

fn scan(rules: Vec<&'static RuleDef>, text: &str, path: &str) -> Vec<Finding> {
    scan_with(&Engine::new(rules).expect("engine builds"), text, path)
}

fn scan_with(engine: &Engine, text: &str, path: &str) -> Vec<Finding> {
    let origin = Origin::File;
    let mut out = Vec::new();
    engine.scan_path(path, &origin, &mut out).expect("path rules compile");
    let fragment = Fragment { origin: &origin, path, first_line: 1, text: text.as_bytes() };
    engine.scan(&fragment, &mut out).expect("rules compile");
    out
}

/// The path an example is scanned under: rules restricted to paths get a matching one.
fn example_path(rule: &RuleDef) -> &'static str {
    rule.path().map_or("example.txt", |_| rule.examples_path())
}

#[test]
fn every_positive_example_is_found_with_its_capture() {
    let mut failures = Vec::new();
    let full = Engine::new(BUILTIN.iter().collect()).expect("engine builds");
    for rule in BUILTIN.iter().filter(|r| r.regex().is_some()) {
        let single = Engine::new(vec![rule]).expect("engine builds");
        assert!(!rule.examples().is_empty(), "rule {} has no examples", rule.id());
        for (i, template) in rule.examples().iter().enumerate() {
            for seed in 0..SEEDS {
                let example = expand(template, &mut Rng::new(seed)).expect("valid template");
                let alone = scan_with(&single, &example.text, example_path(rule));
                let mine: Vec<&Finding> = alone.iter().filter(|f| f.rule.id() == rule.id()).collect();
                if mine.len() != 1 {
                    failures.push(format!("{} example {i} seed {seed}: {} findings", rule.id(), mine.len()));
                    continue;
                }
                if let Some(range) = &example.secret {
                    if mine[0].secret.expose() != example.text[range.clone()].as_bytes() {
                        failures.push(format!(
                            "{} example {i} seed {seed}: captured {} instead of the marked {} chars",
                            rule.id(),
                            mine[0].secret.redacted(),
                            range.len()
                        ));
                    }
                }
                let all = scan_with(&full, &example.text, example_path(rule));
                if !all.iter().any(|f| f.rule.id() == rule.id()) {
                    let by: Vec<&str> = all.iter().map(|f| f.rule.id()).collect();
                    failures.push(format!("{} example {i} seed {seed}: shadowed by {by:?}", rule.id()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn no_negative_example_matches() {
    let mut failures = Vec::new();
    for rule in BUILTIN.iter().filter(|r| r.regex().is_some()) {
        for (i, template) in rule.negative_examples().iter().enumerate() {
            for seed in 0..SEEDS {
                let example = expand(template, &mut Rng::new(seed)).expect("valid template");
                let found = scan(vec![rule], &example.text, example_path(rule));
                if found.iter().any(|f| f.rule.id() == rule.id()) {
                    failures.push(format!("{} negative example {i} seed {seed} matched", rule.id()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The path a path-only example names (its `# path: ` line).
fn named_path(template: &str) -> &str {
    template.strip_prefix("# path: ").and_then(|rest| rest.lines().next()).unwrap_or(template)
}

#[test]
fn path_rules_flag_their_files_and_only_those() {
    let origin = Origin::File;
    let mut failures = Vec::new();
    for rule in BUILTIN.iter().filter(|r| r.regex().is_none()) {
        assert!(!rule.examples().is_empty(), "rule {} has no examples", rule.id());
        assert!(!rule.negative_examples().is_empty(), "rule {} has no negative examples", rule.id());
        let engine = Engine::new(vec![rule]).expect("engine builds");
        for (template, expected) in rule
            .examples()
            .iter()
            .map(|t| (t, true))
            .chain(rule.negative_examples().iter().map(|t| (t, false)))
        {
            let path = named_path(template);
            let mut out = Vec::new();
            engine.scan_path(path, &origin, &mut out).expect("path rules compile");
            if out.iter().any(|f| f.rule.id() == rule.id()) != expected {
                failures.push(format!("{}: path {path:?} flagged = {}", rule.id(), !expected));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether a pattern uses `\\s` where it can match a newline (outside a negated class).
fn spans_lines(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    let mut negated_class = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if bytes.get(i + 1) == Some(&b's') && !negated_class {
                    return true;
                }
                i += 2;
                continue;
            }
            b'[' if bytes.get(i + 1) == Some(&b'^') => negated_class = true,
            b']' => negated_class = false,
            _ => {}
        }
        i += 1;
    }
    false
}

#[test]
fn every_rule_is_well_formed() {
    for rule in BUILTIN {
        if let Some(pattern) = rule.regex() {
            crate::policy::compile_regex(pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.id()));
        }
        if let Some(pattern) = rule.path() {
            crate::policy::compile_regex(pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.id()));
        }
        if let Some(v) = rule.validator() {
            assert!(Validator::parse(v).is_some(), "{}: unknown validator {v}", rule.id());
        }
        assert!(rule.id().contains('.'), "{}: ids are <provider>.<kind>", rule.id());
        assert!(!rule.revoke().is_empty(), "{}: remediation.revoke is required", rule.id());
        assert!(!rule.instead().is_empty(), "{}: remediation.instead is required", rule.id());
        assert!(rule.url().starts_with("https://"), "{}: remediation.url is required", rule.id());
        assert!(!rule.negative_examples().is_empty(), "{}: needs a negative example", rule.id());
        assert!(!rule.description().is_empty(), "{}: needs a description", rule.id());
        let kebab = |s: &str| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        let (provider, kind) = rule.id().split_once('.').unwrap_or_default();
        assert!(kebab(provider) && kebab(kind), "{}: ids are kebab-case <provider>.<kind>", rule.id());
        for k in rule.keywords() {
            assert!(
                k.len() >= 3 && k.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()),
                "{}: keyword {k:?}",
                rule.id()
            );
        }
        if let Some(pattern) = rule.regex() {
            let multi_line = rule.id().starts_with("private-key.") || rule.id() == "files.private-key-file";
            assert!(
                multi_line || !spans_lines(pattern),
                "{}: patterns must not span lines (use [ \\t])",
                rule.id()
            );
        }
    }
}
