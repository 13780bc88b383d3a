use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use anyhow::{anyhow, Context, Result};
use regex::bytes::Regex;
use regex_automata::meta;

use super::Finding;
use crate::rules::validate;
use crate::rules::RuleDef;
use crate::secret::Secret;
use crate::source::Fragment;

/// Bytes a rule's pattern scans in its cheap-to-compile form before the engine compiles the
/// prefiltered form, which costs about twice as much to build and searches large inputs faster.
const PREFILTER_AFTER: u64 = 1 << 20;

/// Bytes scanned with the keyword NFA before the engine builds the keyword DFA, which takes
/// about three times as long to build and searches about twice as fast.
const KEYWORD_DFA_AFTER: u64 = 4 << 20;

/// Scans fragments against a set of rules. Cheap to build: only the keyword automaton is made
/// up front; each rule's regex is compiled the first time its keyword is seen.
///
/// Start-up is the hook's whole cost on a typical commit, so compilation is tiered: a rule's
/// pattern is first compiled without literal prefilters (half the build time), and the keyword
/// automaton first as an NFA; the faster-searching forms are built only once a scan has read
/// enough bytes to pay for them.
pub struct Engine {
    rules: Vec<&'static RuleDef>,
    /// Keyword patterns (lower case; matched against lower-cased text).
    patterns: Vec<&'static str>,
    /// `None` when no rule has a content pattern.
    keywords: Option<AhoCorasick>,
    keywords_dfa: OnceLock<Option<AhoCorasick>>,
    keyword_bytes: AtomicU64,
    /// For each keyword pattern id, the rules it selects.
    keyword_rules: Vec<Vec<usize>>,
    regexes: Vec<TieredRegex>,
    path_regexes: Vec<OnceLock<Result<Regex, String>>>,
}

/// One rule's pattern, in its cheap and its prefiltered form, each compiled on first use.
#[derive(Default)]
struct TieredRegex {
    light: OnceLock<Result<meta::Regex, String>>,
    full: OnceLock<Result<meta::Regex, String>>,
    scanned: AtomicU64,
}

impl Engine {
    /// Prepares the engine for `rules`.
    ///
    /// # Errors
    /// The keyword automaton cannot be built (too many or too large keywords).
    pub fn new(rules: Vec<&'static RuleDef>) -> Result<Engine> {
        let mut patterns: Vec<&'static str> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut position: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.regex.is_none() {
                continue;
            }
            for keyword in rule.keywords {
                match position.get(keyword) {
                    Some(&at) => keyword_rules[at].push(index),
                    None => {
                        position.insert(keyword, patterns.len());
                        patterns.push(keyword);
                        keyword_rules.push(vec![index]);
                    }
                }
            }
        }
        let keywords = keyword_automaton(&patterns, AhoCorasickKind::ContiguousNFA)?;
        let n = rules.len();
        Ok(Engine {
            rules,
            patterns,
            keywords,
            keywords_dfa: OnceLock::new(),
            keyword_bytes: AtomicU64::new(0),
            keyword_rules,
            regexes: (0..n).map(|_| TieredRegex::default()).collect(),
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
        let Some(keywords) = self.keyword_automaton_for(fragment.text.len()) else {
            return Ok(());
        };
        let mut candidate = vec![false; self.rules.len()];
        let mut any = false;
        // Keywords are lower case: matching them against a lower-cased copy lets the automaton be
        // case-sensitive, which builds in less than half the time of an ASCII case-insensitive one.
        let lower = fragment.text.to_ascii_lowercase();
        for hit in keywords.find_overlapping_iter(&lower) {
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

    /// The keyword NFA, or once enough bytes went through it, the DFA.
    fn keyword_automaton_for(&self, len: usize) -> Option<&AhoCorasick> {
        let seen = self.keyword_bytes.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        if seen > KEYWORD_DFA_AFTER {
            let dfa = self
                .keywords_dfa
                .get_or_init(|| keyword_automaton(&self.patterns, AhoCorasickKind::DFA).ok().flatten());
            if dfa.is_some() {
                return dfa.as_ref();
            }
        }
        self.keywords.as_ref()
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
        let regex = self.regexes[index].for_input(pattern, rule.id, fragment.text.len())?;
        for caps in regex.captures_iter(fragment.text) {
            let Some(m) = caps
                .get_group_by_name("secret")
                .or_else(|| caps.get_group(1))
                .or_else(|| caps.get_match().map(|m| m.span()))
            else {
                continue;
            };
            let value = &fragment.text[m.range()];
            if !validate::accepts(rule, value) {
                continue;
            }
            let (line, column) = position(fragment, m.start);
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
                span: m.range(),
            });
        }
        Ok(())
    }
}

impl TieredRegex {
    /// The form to scan `len` more bytes with.
    fn for_input(&self, pattern: &str, id: &str, len: usize) -> Result<&meta::Regex> {
        let seen = self.scanned.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        let (cell, prefilter) =
            if seen > PREFILTER_AFTER { (&self.full, true) } else { (&self.light, false) };
        cell.get_or_init(|| build_meta(pattern, prefilter))
            .as_ref()
            .map_err(|e| anyhow!("the pattern of rule {id} does not compile: {e}"))
    }
}

/// Compiles a rule pattern with the same syntax as `regex::bytes` (Unicode on, UTF-8 off).
/// Without the prefilter, and without the one-pass and backtracking engines (captures come from
/// the PikeVM, on the matched span only), the build takes about half as long.
fn build_meta(pattern: &str, prefilter: bool) -> Result<meta::Regex, String> {
    let config = meta::Config::new().auto_prefilter(prefilter).onepass(prefilter).backtrack(prefilter);
    meta::Regex::builder()
        .configure(config)
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .build(pattern)
        .map_err(|e| e.to_string())
}

fn keyword_automaton(patterns: &[&str], kind: AhoCorasickKind) -> Result<Option<AhoCorasick>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let automaton =
        AhoCorasick::builder().kind(Some(kind)).build(patterns).context("building the keyword prefilter")?;
    Ok(Some(automaton))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::example::{alphabet, Rng};
    use crate::source::Origin;

    /// The cheap forms (keyword NFA, patterns without prefilter) and the fast forms the engine
    /// switches to after several MiB find the same secrets.
    #[test]
    fn switching_to_the_fast_forms_finds_the_same_secrets() {
        let engine = Engine::new(crate::rules::BUILTIN.iter().collect()).expect("engine");
        let origin = Origin::File;
        let mut rng = Rng::new(11);
        let filler = "let value = compute(input, 42); // nothing to see here\n".repeat(40_000);
        for round in 0..4 {
            let key = ["AK", "IA"].concat() + &rng.string(alphabet("base32").expect("class"), 16);
            let text = format!("{filler}aws_access_key_id = {key}\n");
            let fragment =
                Fragment { origin: &origin, path: "big.txt", first_line: 1, text: text.as_bytes() };
            let mut out = Vec::new();
            engine.scan(&fragment, &mut out).expect("scan");
            let found: Vec<&Finding> = out.iter().filter(|f| f.rule.id == "aws.access-key-id").collect();
            assert_eq!(found.len(), 1, "round {round}");
            assert_eq!(found[0].line, 40_001, "round {round}");
        }
        assert!(engine.keywords_dfa.get().is_some_and(Option::is_some), "the keyword DFA was never built");
        let index = engine.rules.iter().position(|r| r.id == "aws.access-key-id").expect("rule");
        assert!(engine.regexes[index].full.get().is_some(), "the prefiltered pattern was never built");
        assert!(
            engine.regexes[index].light.get().is_none(),
            "a 2 MiB fragment should go straight to the fast form"
        );
    }
}
