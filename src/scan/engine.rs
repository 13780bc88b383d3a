use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use anyhow::{anyhow, Context, Result};
use regex::bytes::Regex;

use super::Finding;
use crate::rules::validate;
use crate::rules::RuleDef;
use crate::secret::Secret;
use crate::source::Fragment;

/// Scans fragments against a set of rules. Cheap to build: only the keyword automaton is made
/// up front; each rule's regex is compiled the first time its keyword is seen.
pub struct Engine {
    rules: Vec<&'static RuleDef>,
    /// `None` when no rule has a content pattern.
    keywords: Option<AhoCorasick>,
    /// For each keyword pattern id, the rules it selects.
    keyword_rules: Vec<Vec<usize>>,
    regexes: Vec<OnceLock<Result<Regex, String>>>,
    path_regexes: Vec<OnceLock<Result<Regex, String>>>,
}

impl Engine {
    /// Prepares the engine for `rules`.
    ///
    /// # Errors
    /// The keyword automaton cannot be built (too many or too large keywords).
    pub fn new(rules: Vec<&'static RuleDef>) -> Result<Engine> {
        let mut patterns: Vec<&str> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.regex.is_none() {
                continue;
            }
            for keyword in rule.keywords {
                match patterns.iter().position(|p| p == keyword) {
                    Some(at) => keyword_rules[at].push(index),
                    None => {
                        patterns.push(keyword);
                        keyword_rules.push(vec![index]);
                    }
                }
            }
        }
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&patterns)
                    .context("building the keyword prefilter")?,
            )
        };
        let n = rules.len();
        Ok(Engine {
            rules,
            keywords,
            keyword_rules,
            regexes: (0..n).map(|_| OnceLock::new()).collect(),
            path_regexes: (0..n).map(|_| OnceLock::new()).collect(),
        })
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> &[&'static RuleDef] {
        &self.rules
    }

    /// Scans one fragment, appending findings to `out`.
    ///
    /// # Errors
    /// A rule's regex does not compile (only possible for custom rules).
    pub fn scan(&self, fragment: &Fragment<'_>, out: &mut Vec<Finding>) -> Result<()> {
        let Some(keywords) = &self.keywords else {
            return Ok(());
        };
        let mut candidate = vec![false; self.rules.len()];
        let mut any = false;
        for hit in keywords.find_overlapping_iter(fragment.text) {
            for &rule in &self.keyword_rules[hit.pattern().as_usize()] {
                candidate[rule] = true;
                any = true;
            }
        }
        if !any {
            return Ok(());
        }
        let first = out.len();
        for (index, _) in candidate.iter().enumerate().filter(|(_, &c)| c) {
            if self.path_applies(index, fragment.path)? {
                self.run_rule(index, fragment, out)?;
            }
        }
        drop_overlaps(out, first);
        Ok(())
    }

    /// Checks the path-only rules (files that must not be committed at all) against `path`. A
    /// path-only rule's keywords, if any, are literals the lower-cased path must contain before
    /// its path regex is compiled, so a typical commit compiles none of them.
    ///
    /// # Errors
    /// A rule's path regex does not compile (only possible for custom rules).
    pub fn scan_path(
        &self,
        path: &str,
        origin: &crate::source::Origin,
        out: &mut Vec<Finding>,
    ) -> Result<()> {
        let lower = path.to_ascii_lowercase();
        for (index, rule) in self.rules.iter().enumerate() {
            let literal = rule.keywords.is_empty() || rule.keywords.iter().any(|k| lower.contains(k));
            if rule.regex.is_none() && rule.path.is_some() && literal && self.path_applies(index, path)? {
                let secret = Secret::new(path.as_bytes());
                out.push(Finding {
                    rule,
                    severity: rule.severity,
                    origin: origin.clone(),
                    path: path.to_string(),
                    line: 0,
                    column: 0,
                    fingerprint: secret.fingerprint(rule.id),
                    secret,
                    also_elsewhere: 0,
                    span: 0..0,
                });
            }
        }
        Ok(())
    }

    fn path_applies(&self, index: usize, path: &str) -> Result<bool> {
        let Some(pattern) = self.rules[index].path else {
            return Ok(true);
        };
        let regex = compiled(&self.path_regexes[index], pattern, self.rules[index].id)?;
        Ok(regex.is_match(path.as_bytes()))
    }

    fn run_rule(&self, index: usize, fragment: &Fragment<'_>, out: &mut Vec<Finding>) -> Result<()> {
        let rule = self.rules[index];
        let Some(pattern) = rule.regex else {
            return Ok(());
        };
        let regex = compiled(&self.regexes[index], pattern, rule.id)?;
        for caps in regex.captures_iter(fragment.text) {
            let Some(m) = caps.name("secret").or_else(|| caps.get(1)).or_else(|| caps.get(0)) else {
                continue;
            };
            let value = m.as_bytes();
            if !validate::accepts(rule, value) {
                continue;
            }
            let (line, column) = position(fragment, m.start());
            let secret = Secret::new(value);
            out.push(Finding {
                rule,
                severity: rule.severity,
                origin: fragment.origin.clone(),
                path: fragment.path.to_string(),
                line,
                column,
                fingerprint: secret.fingerprint(rule.id),
                secret,
                also_elsewhere: 0,
                span: m.start()..m.end(),
            });
        }
        Ok(())
    }
}

fn compiled<'a>(cell: &'a OnceLock<Result<Regex, String>>, pattern: &str, id: &str) -> Result<&'a Regex> {
    cell.get_or_init(|| Regex::new(pattern).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| anyhow!("the pattern of rule {id} does not compile: {e}"))
}

/// 1-based line and byte column of `offset` within the fragment.
fn position(fragment: &Fragment<'_>, offset: usize) -> (u32, u32) {
    let before = &fragment.text[..offset];
    let newlines = before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let line = fragment.first_line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
    let column = u32::try_from(offset - line_start + 1).unwrap_or(u32::MAX);
    (line, column)
}

/// When two rules report the same place (a GitHub token in `token = ...` is also a generic
/// assignment), keep the more specific one: a provider rule beats the generic family, then the
/// higher severity, then the earlier rule.
fn drop_overlaps(out: &mut Vec<Finding>, first: usize) {
    if out.len() - first < 2 {
        return;
    }
    let mut fresh: Vec<Finding> = out.drain(first..).collect();
    fresh.sort_by_key(|f| (f.line, f.column));
    let rank = |f: &Finding| (f.rule.family != "generic", f.severity);
    let mut kept: Vec<Finding> = Vec::with_capacity(fresh.len());
    for finding in fresh {
        let overlapping = kept.iter().position(|k| overlaps(k, &finding));
        match overlapping {
            Some(at) if rank(&finding) > rank(&kept[at]) => kept[at] = finding,
            Some(_) => {}
            None => kept.push(finding),
        }
    }
    out.extend(kept);
}

fn overlaps(a: &Finding, b: &Finding) -> bool {
    if a.line != b.line {
        // Multi-line secrets (key blocks) start on different lines than single-line ones.
        return a.secret.expose().windows(b.secret.len().max(1)).any(|w| w == b.secret.expose())
            || b.secret.expose().windows(a.secret.len().max(1)).any(|w| w == a.secret.expose());
    }
    let (a0, a1) = (a.column as usize, a.column as usize + a.secret.len());
    let (b0, b1) = (b.column as usize, b.column as usize + b.secret.len());
    a0 < b1 && b0 < a1
}
