use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use anyhow::{anyhow, Context, Result};
use regex_automata::util::captures::Captures;
use regex_automata::{meta, Anchored, Input};

use super::prebuilt::PrebuiltRegex;
use super::{keywords, Finding};
use crate::rules::required::StartFinder;
use crate::rules::validate;
use crate::rules::{hircode, nfacode, required, RuleDef, BUILTIN};
use crate::secret::Secret;
use crate::source::Fragment;

/// Bytes of keyword lines a single-line rule scans with the backtracker alone (cheapest to build,
/// a few hundred instructions per byte) before the engine builds its lazy DFA (a few hundred
/// microseconds to build and warm, then a few instructions per byte).
const LINES_UNTIL: u64 = 16 << 10;

/// Bytes a rule's pattern scans in its cheap-to-compile forms before the engine compiles the
/// prefiltered form, which costs about twice as much to build and searches large inputs faster.
const PREFILTER_AFTER: u64 = 1 << 20;

/// Scans fragments against a set of rules. Cheap to build: the built-in keyword automaton is
/// static data, and each rule's regex is compiled the first time its keyword is seen.
///
/// Start-up is the hook's whole cost on a typical commit, so compilation is tiered: a rule's
/// pattern is first compiled in the cheapest form that suits where it runs (the few keyword
/// lines, or whole fragments), and in the faster-searching form only once it has read enough
/// bytes to pay for it.
pub struct Engine {
    rules: Vec<&'static RuleDef>,
    /// For each built-in rule (index in [`BUILTIN`]), its index here, if this engine runs it
    /// (32 bits: a table written at every start).
    from_builtin: Vec<Option<u32>>,
    /// The rules that flag a file by its path alone.
    path_only: Vec<usize>,
    /// The keywords of the content rules that are not built in (custom rules).
    custom: Option<CustomKeywords>,
    /// Each rule's compiled forms, allocated once the rule first runs: a typical commit runs a
    /// handful of the 200 rules, and a slot for every rule was 28 KiB written at every start.
    regexes: Vec<OnceLock<Box<TieredRegex>>>,
}

/// The keyword prefilter of custom rules, built at start-up (they are few).
struct CustomKeywords {
    automaton: AhoCorasick,
    /// For each keyword pattern id, the rules it selects.
    rules: Vec<Vec<usize>>,
}

/// One rule's pattern in each [`Tier`], and its path pattern, each compiled on first use.
#[derive(Default)]
struct TieredRegex {
    lines: OnceLock<Result<Compiled, String>>,
    light: OnceLock<Result<Compiled, String>>,
    full: OnceLock<Result<Compiled, String>>,
    /// The exact pattern of a rule whose tiers are built from its relaxed form (see
    /// [`hircode::relax`]), for the rare match the relaxed form alone cannot settle.
    exact: OnceLock<Result<meta::Regex, String>>,
    /// The rule's path pattern.
    path: OnceLock<Result<meta::Regex, String>>,
    /// The rule's start literals (see [`required::starts`]), ready for its windows.
    starts: OnceLock<StartFinder<'static>>,
    scanned: AtomicU64,
}

impl Engine {
    /// Prepares the engine for `rules`.
    ///
    /// # Errors
    /// The custom rules' keyword automaton cannot be built (too many or too large keywords).
    pub fn new(rules: Vec<&'static RuleDef>) -> Result<Engine> {
        let mut from_builtin = vec![None; BUILTIN.len()];
        let mut patterns: Vec<&'static str> = Vec::new();
        let mut custom_rules: Vec<Vec<usize>> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            // A built-in rule is found through the static keyword table, which holds the keywords
            // of content rules only; `regex` is not read here, so that start-up reads nothing of
            // the rules a commit does not need.
            if let Some(builtin) = rule.builtin_index() {
                from_builtin[builtin] = Some(u32::try_from(index).context("too many rules")?);
                continue;
            }
            if rule.regex().is_none() {
                continue;
            }
            for keyword in rule.keywords() {
                match patterns.iter().position(|&p| p == keyword) {
                    Some(at) => custom_rules[at].push(index),
                    None => {
                        patterns.push(keyword);
                        custom_rules.push(vec![index]);
                    }
                }
            }
        }
        let custom = if patterns.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&patterns)
                .context("building the keyword prefilter of the custom rules")?;
            Some(CustomKeywords { automaton, rules: custom_rules })
        };
        let n = rules.len();
        let path_only = rules.iter().enumerate().filter(|(_, r)| r.path_only()).map(|(i, _)| i).collect();
        Ok(Engine {
            rules,
            path_only,
            from_builtin,
            custom,
            regexes: (0..n).map(|_| OnceLock::new()).collect(),
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
        let text = fragment.text;
        let mut windows: Vec<(usize, Range<usize>)> = Vec::new();
        let mut line: Option<Range<usize>> = None;
        let mut select = |rule: usize, start: usize, end: usize| {
            let window = if self.rules[rule].single_line() {
                match &line {
                    Some(l) if l.start < start && end < l.end => l.clone(),
                    _ => line.insert(line_around(text, start, end)).clone(),
                }
            } else {
                0..text.len()
            };
            if windows.capacity() == 0 {
                // Room for a typical file's keyword hits at the first one, rather than growing
                // hit by hit (and nothing for the many fragments without one).
                windows.reserve(64);
            }
            windows.push((rule, window));
        };
        keywords::for_each_hit(text, |keyword, start, end| {
            for &builtin in keywords::rules_of(keyword) {
                if let Some(rule) = self.from_builtin[usize::from(builtin)] {
                    select(rule as usize, start, end);
                }
            }
        });
        if let Some(custom) = &self.custom {
            for hit in custom.automaton.find_overlapping_iter(text) {
                for &rule in &custom.rules[hit.pattern().as_usize()] {
                    select(rule, hit.start(), hit.end());
                }
            }
        }
        if windows.is_empty() {
            return Ok(());
        }
        windows.sort_unstable_by_key(|(rule, window)| (*rule, window.start, window.end));
        let first = out.len();
        let mut lowered = None;
        let mut at = 0;
        while at < windows.len() {
            let rule = windows[at].0;
            let end = windows[at..].iter().position(|(r, _)| *r != rule).map_or(windows.len(), |n| at + n);
            // The path pattern is compiled only once a window could hold a match.
            let mut path_applies = None;
            for window in merged(windows[at..end].iter().map(|(_, w)| w.clone())) {
                if !required::holds(self.rules[rule].required(), &text[window.clone()]) {
                    continue;
                }
                let applies = match path_applies {
                    Some(applies) => applies,
                    None => *path_applies.insert(self.path_applies(rule, fragment.path)?),
                };
                if applies {
                    self.run_rule(rule, fragment, window, &mut lowered, out)?;
                }
            }
            at = end;
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
        for &index in &self.path_only {
            let rule = self.rules[index];
            let literal = rule.keywords().is_empty() || rule.keywords().iter().any(|k| lower.contains(k));
            if literal && self.path_applies(index, path)? {
                let secret = Secret::new(path.as_bytes());
                out.push(Finding {
                    rule,
                    severity: rule.severity(),
                    origin: origin.clone(),
                    path: path.to_string(),
                    line: 0,
                    column: 0,
                    fingerprint: secret.fingerprint(rule.id()),
                    secret,
                    also_elsewhere: 0,
                    span: 0..0,
                });
            }
        }
        Ok(())
    }

    fn path_applies(&self, index: usize, path: &str) -> Result<bool> {
        let Some(pattern) = self.rules[index].path() else {
            return Ok(true);
        };
        let path_required = self.rules[index].path_required();
        if !path_required.is_empty() && !required::holds(path_required, &required::slashed(path.as_bytes())) {
            return Ok(false);
        }
        // Paths are short: the cheapest form to build is the fastest overall.
        let regex = self.regexes[index]
            .get_or_init(Box::default)
            .path
            .get_or_init(|| build_coded_meta(self.rules[index].path_hir(), pattern, Tier::Lines))
            .as_ref()
            .map_err(|e| {
                anyhow!("the path pattern of rule {} does not compile: {e}", self.rules[index].id())
            })?;
        Ok(regex.is_match(path.as_bytes()))
    }

    /// Runs rule `index` on `window` of the fragment; look-around at the window's edges (`^`,
    /// `$`, `\b`) sees the text around it, so a window finds what the whole fragment would. A
    /// case-folded rule runs on `lowered`, the fragment with its ASCII letters lowercased (made
    /// on first use): same length, so its matches are at the same places.
    fn run_rule(
        &self,
        index: usize,
        fragment: &Fragment<'_>,
        window: Range<usize>,
        lowered: &mut Option<Vec<u8>>,
        out: &mut Vec<Finding>,
    ) -> Result<()> {
        let rule = self.rules[index];
        let Some(pattern) = rule.regex() else {
            return Ok(());
        };
        let tiers = self.regexes[index].get_or_init(Box::default);
        let regex = tiers.for_input(pattern, rule, window.len())?;
        let check = Relaxed { group: rule.relaxed_group(), exact: &|| tiers.exact(pattern, rule) };
        let check = (!rule.relaxed().is_empty()).then_some(&check);
        let code = rule.starts();
        let starts = (!code.is_empty()).then(|| tiers.starts.get_or_init(|| StartFinder::new(code)));
        let text = searched_text(rule, fragment.text, lowered);
        for_each_match(regex, starts, check, text, window, |caps| record(rule, fragment, caps, out))
    }
}

/// The text `rule` runs on: `text`, or for a case-folded rule (see [`hircode::fold`]) `text` with
/// its ASCII letters lowercased, kept in `lowered` for the other rules of the fragment.
fn searched_text<'t>(rule: &RuleDef, text: &'t [u8], lowered: &'t mut Option<Vec<u8>>) -> &'t [u8] {
    if rule.folded() {
        lowered.get_or_insert_with(|| text.to_ascii_lowercase())
    } else {
        text
    }
}

/// How to settle a match of a relaxed pattern (see [`hircode::relax`]): the exact pattern's
/// match at the same start is the same one unless the relaxed group is longer than its bound.
struct Relaxed<'a> {
    /// The group made unbounded, and its bound in the exact pattern.
    group: (u32, u32),
    /// The exact pattern, compiled on first use.
    exact: &'a dyn Fn() -> Result<&'a meta::Regex>,
}

impl Relaxed<'_> {
    /// Whether the match in `caps` may differ from the exact pattern's.
    fn unsettled(&self, caps: &Captures) -> bool {
        let (group, max) = self.group;
        caps.get_group(group as usize).is_some_and(|span| span.len() > max as usize)
    }
}

/// Calls `found` with each leftmost-first match of `regex` within `window` of `text`. With
/// `starts` (a rule's [`required::starts`]), the regex runs anchored at the few places a match can
/// start: the same matches as an unanchored search, without trying every position. With
/// `relaxed`, `regex` is a rule's relaxed form (run only anchored), and a match it cannot settle
/// is searched again with the exact pattern at the same start.
///
/// # Errors
/// The exact pattern does not compile (only possible for custom rules, which are not relaxed).
fn for_each_match(
    regex: &Compiled,
    starts: Option<&StartFinder<'_>>,
    relaxed: Option<&Relaxed<'_>>,
    text: &[u8],
    window: Range<usize>,
    mut found: impl FnMut(&Captures),
) -> Result<()> {
    let Some(starts) = starts else {
        regex.for_each_captures(Input::new(text).range(window), &mut found);
        return Ok(());
    };
    let mut candidates = Vec::new();
    starts.candidates(text, window.clone(), &mut candidates);
    let mut caps = regex.create_captures();
    let mut exact_caps = None;
    let mut from = window.start;
    for start in candidates {
        if start < from {
            continue;
        }
        let input = Input::new(text).range(start..window.end).anchored(Anchored::Yes);
        regex.search_captures(&input, &mut caps);
        let mut settled = &caps;
        if let Some(check) = relaxed.filter(|check| caps.get_match().is_some() && check.unsettled(&caps)) {
            let exact = (check.exact)()?;
            let exact_caps = exact_caps.get_or_insert_with(|| exact.create_captures());
            exact.search_captures(&input, exact_caps);
            settled = exact_caps;
        }
        if let Some(m) = settled.get_match() {
            // Matches are never empty (`starts` is empty for patterns that can match "").
            from = m.end().max(start + 1);
            found(settled);
        }
    }
    Ok(())
}

/// Turns a match of `rule` into a finding, if its value passes the rule's checks.
fn record(rule: &'static RuleDef, fragment: &Fragment<'_>, caps: &Captures, out: &mut Vec<Finding>) {
    let Some(m) = caps
        .get_group_by_name("secret")
        .or_else(|| caps.get_group(1))
        .or_else(|| caps.get_match().map(|m| m.span()))
    else {
        return;
    };
    let value = &fragment.text[m.range()];
    if !validate::accepts(rule, value) {
        return;
    }
    let (line, column) = position(fragment, m.start);
    let secret = Secret::new(value);
    out.push(Finding {
        rule,
        severity: rule.severity(),
        origin: fragment.origin.clone(),
        path: fragment.path.to_string(),
        line,
        column,
        fingerprint: secret.fingerprint(rule.id()),
        secret,
        also_elsewhere: 0,
        span: m.range(),
    });
}

impl TieredRegex {
    /// The form to scan `len` more bytes with.
    fn for_input(&self, pattern: &str, rule: &RuleDef, len: usize) -> Result<&Compiled> {
        let seen = self.scanned.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        let (cell, tier) = if seen > PREFILTER_AFTER {
            (&self.full, Tier::Full)
        } else if (rule.single_line() || !rule.starts().is_empty()) && seen <= LINES_UNTIL {
            (&self.lines, Tier::Lines)
        } else {
            (&self.light, Tier::Light)
        };
        cell.get_or_init(|| compile_rule(rule, pattern, tier))
            .as_ref()
            .map_err(|e| anyhow!("the pattern of rule {} does not compile: {e}", rule.id()))
    }

    /// The exact pattern of a relaxed rule, in the cheapest form (it runs anchored, on a few
    /// lines at most).
    fn exact(&self, pattern: &str, rule: &RuleDef) -> Result<&meta::Regex> {
        self.exact
            .get_or_init(|| build_coded_meta(exact_code(rule), pattern, Tier::Lines))
            .as_ref()
            .map_err(|e| anyhow!("the pattern of rule {} does not compile: {e}", rule.id()))
    }
}

/// How much of the regex machinery a pattern is built with.
#[derive(Clone, Copy, PartialEq)]
enum Tier {
    /// The forward NFA alone, searched by the bounded backtracker (the PikeVM past its size
    /// limit): cheapest to build, slow per byte but quick on the few short lines a single-line
    /// rule runs on, or anchored at the few places a rule with start candidates can match (a
    /// key block's `-----BEGIN` line).
    Lines,
    /// Adds the lazy DFA (and the reverse NFA it needs): for whole fragments of rules without
    /// start candidates, and for any rule past [`LINES_UNTIL`]. The backtracker (nothing to
    /// build) resolves capture groups in the span the DFA found, faster than the PikeVM on a key
    /// block.
    Light,
    /// Adds literal prefilters and the one-pass engine: for rules that have scanned enough bytes
    /// to pay for them.
    Full,
}

/// Compiles a rule's pattern for `tier`. On keyword lines, a built-in rule with start candidates
/// runs its NFA as `build.rs` compiled it (see [`nfacode`]); otherwise the pattern is compiled
/// from its relaxed `Hir` when it has one, else from its prebuilt `Hir`, else (custom rules) from
/// its text.
fn compile_rule(rule: &RuleDef, pattern: &str, tier: Tier) -> Result<Compiled, String> {
    if tier == Tier::Lines && !rule.starts().is_empty() {
        if let Some(decoded) = nfacode::decode(rule.nfa()) {
            return PrebuiltRegex::new(decoded).map(Compiled::Prebuilt);
        }
    }
    let code = if rule.relaxed().is_empty() { exact_code(rule) } else { rule.relaxed() };
    build_coded_meta(code, pattern, tier).map(Compiled::Meta)
}

/// A rule's pattern ready to search: regex-automata's meta regex, or the NFA `build.rs` compiled.
enum Compiled {
    Meta(meta::Regex),
    Prebuilt(PrebuiltRegex),
}

impl Compiled {
    fn create_captures(&self) -> Captures {
        match self {
            Compiled::Meta(regex) => regex.create_captures(),
            Compiled::Prebuilt(regex) => regex.create_captures(),
        }
    }

    /// The leftmost-first match in `input`, with its groups, into `caps` (none: no match).
    fn search_captures(&self, input: &Input<'_>, caps: &mut Captures) {
        match self {
            Compiled::Meta(regex) => regex.search_captures(input, caps),
            Compiled::Prebuilt(regex) => regex.search_captures(input, caps),
        }
    }

    /// Calls `found` with each match in `input`, left to right, not overlapping.
    fn for_each_captures(&self, mut input: Input<'_>, mut found: impl FnMut(&Captures)) {
        match self {
            Compiled::Meta(regex) => regex.captures_iter(input).for_each(|caps| found(&caps)),
            Compiled::Prebuilt(regex) => {
                // Prebuilt forms are those of patterns with start candidates, which never match
                // the empty string: a match's end is where the next search starts.
                let mut caps = regex.create_captures();
                loop {
                    regex.search_captures(&input, &mut caps);
                    let Some(m) = caps.get_match() else { break };
                    found(&caps);
                    if m.end() >= input.end() {
                        break;
                    }
                    input.set_start(m.end().max(m.start() + 1));
                }
            }
        }
    }
}

/// The code of a rule's exact pattern as the engine runs it: case-folded when the rule is.
fn exact_code(rule: &RuleDef) -> &'static [u8] {
    if rule.folded() {
        rule.folded_hir()
    } else {
        rule.hir()
    }
}

/// Compiles `pattern` from `code` (its `Hir`, see [`hircode`]) when there is one, else from its
/// text.
fn build_coded_meta(code: &[u8], pattern: &str, tier: Tier) -> Result<meta::Regex, String> {
    let Some(hir) = (!code.is_empty()).then(|| hircode::decode(code)).flatten() else {
        return build_meta(pattern, tier);
    };
    meta::Regex::builder().configure(meta_config(tier)).build_from_hir(&hir).map_err(|e| e.to_string())
}

/// The engines of `tier`.
fn meta_config(tier: Tier) -> meta::Config {
    let full = tier == Tier::Full;
    meta::Config::new()
        .auto_prefilter(full)
        .onepass(full)
        .backtrack(true)
        .dfa(full)
        .hybrid(tier != Tier::Lines)
}

/// Compiles a pattern in leakgate's syntax (see [`crate::rules::syntax`]), the one `build.rs`
/// parses the built-in patterns with.
fn build_meta(pattern: &str, tier: Tier) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .configure(meta_config(tier))
        .syntax(regex_automata::util::syntax::Config::new().utf8(false).unicode(false))
        .build(pattern)
        .map_err(|e| e.to_string())
}

/// The line holding `start..end`, with the newlines before and after it (a single-line match
/// may start with the one and end with the other).
fn line_around(text: &[u8], start: usize, end: usize) -> Range<usize> {
    let line_start = memchr::memrchr(b'\n', &text[..start]).unwrap_or(0);
    let line_end = memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |p| end + p + 1);
    line_start..line_end
}

/// Sorted windows with overlapping or touching ones joined.
fn merged(windows: impl Iterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for window in windows {
        match out.last_mut() {
            Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
            _ => out.push(window),
        }
    }
    out
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
    let rank = |f: &Finding| (f.rule.family() != "generic", f.severity);
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

    /// The cheap forms of a pattern and the fast forms the engine switches to after a MiB find
    /// the same secrets.
    #[test]
    fn switching_to_the_fast_forms_finds_the_same_secrets() {
        let engine = Engine::new(crate::rules::BUILTIN.iter().collect()).expect("engine");
        let origin = Origin::File;
        let mut rng = Rng::new(11);
        // Every line holds the rule's keyword, so every line is scanned.
        let filler = "let akia_count = compute(input, 42); // nothing to see here\n".repeat(40_000);
        for round in 0..4 {
            let key = ["AK", "IA"].concat() + &rng.string(alphabet("base32").expect("class"), 16);
            let text = format!("{filler}aws_access_key_id = {key}\n");
            let fragment =
                Fragment { origin: &origin, path: "big.txt", first_line: 1, text: text.as_bytes() };
            let mut out = Vec::new();
            engine.scan(&fragment, &mut out).expect("scan");
            let found: Vec<&Finding> = out.iter().filter(|f| f.rule.id() == "aws.access-key-id").collect();
            assert_eq!(found.len(), 1, "round {round}");
            assert_eq!(found[0].line, 40_001, "round {round}");
        }
        let index = engine.rules.iter().position(|r| r.id() == "aws.access-key-id").expect("rule");
        let tiers = engine.regexes[index].get().expect("the rule ran");
        assert!(tiers.full.get().is_some(), "the prefiltered pattern was never built");
        assert!(tiers.light.get().is_none(), "a 2 MiB fragment should go straight to the fast form");
    }

    /// Running a rule as the engine does, anchored at its start candidates and from its relaxed
    /// form where it has one, finds exactly the matches (and capture groups) an unanchored search
    /// with the exact pattern finds, for every built-in rule that has start candidates.
    #[test]
    fn anchored_starts_find_what_an_unanchored_search_finds() {
        use proptest::prelude::*;
        // Each rule as the engine runs it (relaxed, case-folded), the exact pattern the engine
        // settles a relaxed match with, and the exact pattern as written.
        let rules: Vec<(&RuleDef, Compiled, meta::Regex, Compiled)> = BUILTIN
            .iter()
            .filter(|r| !r.starts().is_empty())
            .map(|r| {
                let pattern = r.regex().expect("content rule");
                let run = compile_rule(r, pattern, Tier::Lines).expect("compiles");
                let settle = build_coded_meta(exact_code(r), pattern, Tier::Lines).expect("compiles");
                let exact = build_coded_meta(r.hir(), pattern, Tier::Lines).expect("compiles");
                (r, run, settle, Compiled::Meta(exact))
            })
            .collect();
        assert!(rules.len() > 100, "most rules have start candidates");
        assert!(
            rules.iter().all(|(_, run, ..)| matches!(run, Compiled::Prebuilt(_))),
            "rules with start candidates run their prebuilt NFA on keyword lines"
        );
        assert!(
            rules.iter().filter(|(r, ..)| !r.relaxed().is_empty()).count() >= 10,
            "rules with relaxed forms"
        );
        assert!(rules.iter().filter(|(r, ..)| r.folded()).count() >= 10, "case-folded rules");
        // Lines of every rule's examples, positive and negative, joined and cut at random.
        let mut rng = crate::rules::example::Rng::new(3);
        let samples: Vec<String> = BUILTIN
            .iter()
            .flat_map(|r| r.examples().iter().chain(r.negative_examples().iter()))
            .filter_map(|template| crate::rules::example::expand(template, &mut rng).ok())
            .flat_map(|e| e.text.lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|l| !l.is_empty())
            .collect();
        let piece = prop_oneof![
            4 => proptest::sample::select(samples.clone()),
            1 => proptest::sample::select(samples).prop_flat_map(|s| {
                let n = s.len();
                (Just(s), 0..=n, 0..=n)
            })
            .prop_map(|(s, a, b)| String::from_utf8_lossy(&s.as_bytes()[a.min(b)..a.max(b)]).into_owned()),
            1 => Just("password = ".to_string()),
            1 => Just(" ".to_string()),
            1 => Just("\"".to_string()),
            1 => "[A-Za-z0-9_/+=-]{1,40}",
            // Values longer than a relaxed group's bound, some with a `#` a shorter match can
            // end before: the matches the exact pattern has to settle.
            1 => "[A-Za-z0-9_/+=#-]{100,320}",
            // Long runs of a token's alphabet after a token's start (`sk_live_…`): groups around
            // their bound.
            1 => "[A-Za-z0-9]{200,320}",
        ];
        let line = proptest::collection::vec(piece, 1..4).prop_map(|p| p.concat());
        let settled = std::cell::Cell::new(0);
        let found = std::cell::Cell::new(0);
        let cases = std::cell::Cell::new(0);
        // No regression file: a failing case is a line cut from a rule's example, which would put
        // a credential-shaped string in the tree (the run prints the case instead).
        let config = ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(1000) };
        proptest!(config, |(text in line)| {
            cases.set(cases.get() + 1);
            for (rule, run, settle, exact) in &rules {
                let exact_used = || {
                    settled.set(settled.get() + 1);
                    Ok(settle)
                };
                let check = Relaxed { group: rule.relaxed_group(), exact: &exact_used };
                let check = (!rule.relaxed().is_empty()).then_some(&check);
                let anchored = matches(run, rule.starts(), check, searched_text(rule, text.as_bytes(), &mut None));
                let plain = matches(exact, &[], None, text.as_bytes());
                found.set(found.get() + plain.len());
                prop_assert_eq!(anchored, plain, "rule {}", rule.id());
            }
        });
        assert!(
            found.get() > 300,
            "the lines hold matches to compare: {} in {} cases of {} rules",
            found.get(),
            cases.get(),
            rules.len()
        );
        assert!(settled.get() > 20, "relaxed matches the exact pattern settled: {}", settled.get());
    }

    /// Every match of `regex` in `text` as [`for_each_match`] reports it: each group's span.
    fn matches(
        regex: &Compiled,
        starts: &[u8],
        relaxed: Option<&Relaxed<'_>>,
        text: &[u8],
    ) -> Vec<Vec<Option<Range<usize>>>> {
        let mut all = Vec::new();
        let starts = (!starts.is_empty()).then(|| StartFinder::new(starts));
        for_each_match(regex, starts.as_ref(), relaxed, text, 0..text.len(), |caps| {
            all.push((0..caps.group_len()).map(|g| caps.get_group(g).map(|s| s.range())).collect());
        })
        .expect("the exact pattern compiles");
        all
    }

    /// A relaxed rule's group grown byte by byte past the longest the exact pattern allows (the
    /// last byte of an example's group repeated): every length gives the exact pattern's matches.
    #[test]
    fn relaxed_groups_around_their_bound_match_as_the_exact_pattern() {
        let mut rng = Rng::new(7);
        let mut compared = 0;
        for rule in BUILTIN.iter().filter(|r| !r.relaxed().is_empty()) {
            let pattern = rule.regex().expect("content rule");
            let run = compile_rule(rule, pattern, Tier::Lines).expect("compiles");
            let settle = build_coded_meta(exact_code(rule), pattern, Tier::Lines).expect("compiles");
            let exact = build_coded_meta(rule.hir(), pattern, Tier::Lines).expect("compiles");
            let (group, bound) = rule.relaxed_group();
            for template in rule.examples() {
                let text =
                    crate::rules::example::expand(template, &mut rng).expect("example").text.into_bytes();
                let Some(span) = exact.captures_iter(&text).find_map(|c| c.get_group(group as usize)) else {
                    continue;
                };
                let Some(&last) = span.end.checked_sub(1).map(|i| &text[i]) else { continue };
                for extra in (bound as usize).saturating_sub(span.len())..=(bound as usize + 2 - span.len()) {
                    let mut grown = text[..span.end].to_vec();
                    grown.extend(std::iter::repeat_n(last, extra));
                    grown.extend_from_slice(&text[span.end..]);
                    let exact_form = || Ok(&settle);
                    let check = Relaxed { group: rule.relaxed_group(), exact: &exact_form };
                    assert_eq!(
                        matches(&run, rule.starts(), Some(&check), searched_text(rule, &grown, &mut None)),
                        matches(&Compiled::Meta(exact.clone()), &[], None, &grown),
                        "rule {} with the group grown by {extra}",
                        rule.id()
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 100, "group lengths compared: {compared}");
    }

    fn scan_text(engine: &Engine, text: &str) -> Vec<(String, u32)> {
        let origin = Origin::File;
        let fragment = Fragment { origin: &origin, path: "f.py", first_line: 1, text: text.as_bytes() };
        let mut out = Vec::new();
        engine.scan(&fragment, &mut out).expect("scan");
        out.iter().map(|f| (f.rule.id().to_string(), f.line)).collect()
    }

    /// A single-line rule runs on the lines holding its keywords, including a match that starts
    /// with the newline before its line; a line without a keyword is not its business.
    #[test]
    fn single_line_rules_run_on_keyword_lines() {
        let engine = Engine::new(crate::rules::BUILTIN.iter().collect()).expect("engine");
        let mut rng = Rng::new(5);
        let value = rng.string(alphabet("alnum").expect("class"), 20);
        let found = scan_text(&engine, &format!("x = 1\npassword = {value}\ny = 2\n"));
        assert!(found.contains(&("generic.assignment".to_string(), 2)), "{found:?}");
        let key = ["AK", "IA"].concat() + &rng.string(alphabet("base32").expect("class"), 16);
        let found = scan_text(&engine, &format!("a = 1\nb = 2\nid = {key}\n"));
        assert_eq!(found, vec![("aws.access-key-id".to_string(), 3)]);
    }
}
