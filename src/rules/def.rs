//! Rule definitions behind one type: the built-in catalog, which `build.rs` packs without a single
//! pointer, and the custom rules of policy files.
//!
//! Why packed: the binary is a static position-independent executable, which writes its load
//! address into every pointer of its data at start-up. The catalog held as `&'static str` fields
//! was 3,000 such pointers on 18 pages, copied on write at every hook run for a catalog the hook
//! reads a handful of rules of. Packed, a built-in rule is spans of one text and one byte blob,
//! read-only data that is paged in only where it is read.

use std::fmt;

use super::Severity;

/// A rule ready for the engine: what it matches, how bad a match is, and what to do about it.
/// Built-in rules are static data (see [`BUILTIN`]); custom rules are built once, when the policy
/// loads ([`RuleDef::custom`]).
#[derive(Clone, Copy)]
pub struct RuleDef {
    data: Data,
    severity: Severity,
    entropy: Option<f64>,
    /// Whether the rule has a path pattern and no content pattern; kept here, beside the index,
    /// so that the engine sorts the rules without reading their packed data.
    path_only: bool,
}

/// Where a rule's fixed parts live.
#[derive(Clone, Copy)]
enum Data {
    /// The index in [`BUILTIN`], and in `PACKED`.
    Builtin(u16),
    Custom(&'static CustomRule),
}

/// A custom rule of a policy file (`[[rule]]`), as the policy loader checked it.
#[derive(Debug)]
pub struct CustomRule {
    /// Stable id, `<provider>.<kind>`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Why it matters.
    pub description: String,
    /// Lower-case prefilter keywords.
    pub keywords: Vec<String>,
    /// Content pattern; `None` for a pure file-name rule.
    pub regex: Option<String>,
    /// Path pattern restricting (or, without `regex`, defining) the rule.
    pub path: Option<String>,
    /// Structural validator name (see [`super::validate::Validator`]).
    pub validator: Option<String>,
    /// Whether placeholder values are suppressed.
    pub placeholders: bool,
    /// How to revoke and rotate at the provider.
    pub revoke: String,
    /// Where that is done.
    pub url: String,
    /// What to use instead.
    pub instead: String,
    /// Positive examples (templates, see [`super::example`]).
    pub examples: Vec<String>,
    /// Negative examples (templates).
    pub negative_examples: Vec<String>,
}

/// A part of [`TEXT`] or [`CODE`]: start and length.
#[derive(Clone, Copy)]
struct Span(u32, u32);

/// A built-in rule as `build.rs` stores it; the fields are those of [`RuleDef`]'s accessors.
struct Packed {
    id: Span,
    family: Span,
    name: Span,
    description: Span,
    keywords: Span,
    regex: Option<Span>,
    hir: Span,
    single_line: bool,
    required: Span,
    starts: Span,
    relaxed: Span,
    relaxed_group: (u32, u32),
    nfa: Span,
    folded: bool,
    folded_hir: Span,
    path_required: Span,
    path_hir: Span,
    path: Option<Span>,
    validator: Option<Span>,
    placeholders: bool,
    revoke: Span,
    url: Span,
    instead: Span,
    examples: Span,
    negative_examples: Span,
}

// `TEXT`, `CODE`, `PACKED` and `BUILTIN`.
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Separates the items of a list in [`TEXT`]; `build.rs` checks that no item holds it.
const LIST_SEPARATOR: char = '\0';

fn text(span: Span) -> &'static str {
    &TEXT[span.0 as usize..(span.0 + span.1) as usize]
}

fn code(span: Span) -> &'static [u8] {
    &CODE[span.0 as usize..(span.0 + span.1) as usize]
}

fn list(span: Span) -> List {
    match text(span) {
        "" => List(ListData::Owned(&[])),
        joined => List(ListData::Joined(joined)),
    }
}

impl RuleDef {
    /// The built-in rule `index` (used by the generated [`BUILTIN`]).
    const fn builtin(index: u16, severity: Severity, entropy: Option<f64>, path_only: bool) -> RuleDef {
        RuleDef { data: Data::Builtin(index), severity, entropy, path_only }
    }

    /// Makes a custom rule, for the rest of the process (policies load once).
    pub fn custom(rule: CustomRule, severity: Severity, entropy: Option<f64>) -> &'static RuleDef {
        let path_only = rule.regex.is_none() && rule.path.is_some();
        let rule: &'static CustomRule = Box::leak(Box::new(rule));
        Box::leak(Box::new(RuleDef { data: Data::Custom(rule), severity, entropy, path_only }))
    }

    /// This rule with another severity (a policy's `[rules.severity]`).
    pub fn with_severity(&self, severity: Severity) -> RuleDef {
        RuleDef { severity, ..*self }
    }

    /// This rule with another minimum entropy (a policy's `[rules.entropy]`).
    pub fn with_entropy(&self, entropy: f64) -> RuleDef {
        RuleDef { entropy: Some(entropy), ..*self }
    }

    /// The rule's index in [`BUILTIN`], if it is built in (tuned or not).
    pub fn builtin_index(&self) -> Option<usize> {
        match self.data {
            Data::Builtin(index) => Some(usize::from(index)),
            Data::Custom(_) => None,
        }
    }

    fn pick<T>(
        &self,
        builtin: impl FnOnce(&'static Packed) -> T,
        custom: impl FnOnce(&'static CustomRule) -> T,
    ) -> T {
        match self.data {
            Data::Builtin(index) => builtin(&PACKED[usize::from(index)]),
            Data::Custom(rule) => custom(rule),
        }
    }

    /// Whether the rule flags a file by its path alone (a path pattern and no content pattern).
    pub fn path_only(&self) -> bool {
        self.path_only
    }

    /// Stable id, `<provider>.<kind>`.
    pub fn id(&self) -> &'static str {
        self.pick(|p| text(p.id), |c| &c.id)
    }

    /// The catalog file the rule comes from (provider family); `custom` for custom rules.
    pub fn family(&self) -> &'static str {
        self.pick(|p| text(p.family), |_| "custom")
    }

    /// Human name.
    pub fn name(&self) -> &'static str {
        self.pick(|p| text(p.name), |c| &c.name)
    }

    /// Why it matters.
    pub fn description(&self) -> &'static str {
        self.pick(|p| text(p.description), |c| &c.description)
    }

    /// Severity, as the policy tuned it.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Minimum Shannon entropy of the secret, bits per character, as the policy tuned it.
    pub fn entropy(&self) -> Option<f64> {
        self.entropy
    }

    /// Lower-case prefilter keywords.
    pub fn keywords(&self) -> List {
        self.pick(|p| list(p.keywords), |c| List(ListData::Owned(&c.keywords)))
    }

    /// Content pattern; `None` for pure file-name rules.
    pub fn regex(&self) -> Option<&'static str> {
        self.pick(|p| p.regex.map(text), |c| c.regex.as_deref())
    }

    /// `regex` parsed at compile time (see [`super::hircode`]); empty for custom rules, which are
    /// parsed when the policy loads.
    pub fn hir(&self) -> &'static [u8] {
        self.pick(|p| code(p.hir), |_| &[])
    }

    /// Whether every match of `regex` lies within one line (see [`super::lines::single_line`]):
    /// the engine then runs it only on the lines holding one of its keywords. False for custom
    /// rules, whose keywords filter whole fragments (as in gitleaks).
    pub fn single_line(&self) -> bool {
        self.pick(|p| p.single_line, |_| false)
    }

    /// What any match of `regex` must contain (see [`super::required`]), checked before the
    /// regex is compiled or run; empty (nothing) for custom rules.
    pub fn required(&self) -> &'static [u8] {
        self.pick(|p| code(p.required), |_| &[])
    }

    /// Where matches of `regex` can start (see [`super::required::starts`]), so that a
    /// single-line rule is run anchored at a few places of a line; empty when unknown (custom
    /// rules).
    pub fn starts(&self) -> &'static [u8] {
        self.pick(|p| code(p.starts), |_| &[])
    }

    /// `hir` relaxed (see [`super::hircode::relax`]), and case-folded when `folded`: the form
    /// the engine compiles, cheaper to build and to run. Empty when there is nothing to relax,
    /// or no `starts` (relaxed forms run only anchored at start candidates).
    pub fn relaxed(&self) -> &'static [u8] {
        self.pick(|p| code(p.relaxed), |_| &[])
    }

    /// The capture group of `relaxed` that was made unbounded, and the longest it can be in
    /// `hir`: a relaxed match whose group is longer is checked again with the exact pattern.
    pub fn relaxed_group(&self) -> (u32, u32) {
        self.pick(|p| p.relaxed_group, |_| (0, 0))
    }

    /// The NFA the engine searches on keyword lines (see [`super::nfacode`]): the form it runs
    /// (relaxed, case-folded) compiled by `build.rs`. Empty when there are no `starts` (custom
    /// rules).
    pub fn nfa(&self) -> &'static [u8] {
        self.pick(|p| code(p.nfa), |_| &[])
    }

    /// Whether the pattern treats the cases of every ASCII letter alike (see
    /// [`super::hircode::fold`]): the engine then compiles it case-folded (`relaxed` is folded
    /// too) and runs it on the text with its letters lowercased. False for custom rules.
    pub fn folded(&self) -> bool {
        self.pick(|p| p.folded, |_| false)
    }

    /// `hir` case-folded, when `folded`; empty otherwise.
    pub fn folded_hir(&self) -> &'static [u8] {
        self.pick(|p| code(p.folded_hir), |_| &[])
    }

    /// What any path matching `path` must contain (see [`super::required`]), checked before
    /// the path pattern is compiled; empty (nothing) for custom rules.
    pub fn path_required(&self) -> &'static [u8] {
        self.pick(|p| code(p.path_required), |_| &[])
    }

    /// `path` parsed at compile time (see [`super::hircode`]); empty for custom rules.
    pub fn path_hir(&self) -> &'static [u8] {
        self.pick(|p| code(p.path_hir), |_| &[])
    }

    /// Path pattern restricting (or, without `regex`, defining) the rule.
    pub fn path(&self) -> Option<&'static str> {
        self.pick(|p| p.path.map(text), |c| c.path.as_deref())
    }

    /// Structural validator name (see [`super::validate::Validator`]).
    pub fn validator(&self) -> Option<&'static str> {
        self.pick(|p| p.validator.map(text), |c| c.validator.as_deref())
    }

    /// Whether placeholder values are suppressed.
    pub fn placeholders(&self) -> bool {
        self.pick(|p| p.placeholders, |c| c.placeholders)
    }

    /// How to revoke and rotate at the provider.
    pub fn revoke(&self) -> &'static str {
        self.pick(|p| text(p.revoke), |c| &c.revoke)
    }

    /// Where that is done.
    pub fn url(&self) -> &'static str {
        self.pick(|p| text(p.url), |c| &c.url)
    }

    /// What to use instead.
    pub fn instead(&self) -> &'static str {
        self.pick(|p| text(p.instead), |c| &c.instead)
    }

    /// Positive examples (templates, see [`super::example`]).
    pub fn examples(&self) -> List {
        self.pick(|p| list(p.examples), |c| List(ListData::Owned(&c.examples)))
    }

    /// Negative examples (templates).
    pub fn negative_examples(&self) -> List {
        self.pick(|p| list(p.negative_examples), |c| List(ListData::Owned(&c.negative_examples)))
    }
}

impl fmt::Debug for RuleDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleDef")
            .field("id", &self.id())
            .field("severity", &self.severity)
            .field("entropy", &self.entropy)
            .finish_non_exhaustive()
    }
}

/// A rule's list of strings (keywords, examples).
#[derive(Clone, Copy)]
pub struct List(ListData);

#[derive(Clone, Copy)]
enum ListData {
    /// Items joined by [`LIST_SEPARATOR`] (built-in rules); never empty.
    Joined(&'static str),
    Owned(&'static [String]),
}

impl List {
    /// The items, in order.
    pub fn iter(&self) -> ListIter {
        ListIter(match self.0 {
            ListData::Joined(joined) => ListIterData::Joined(joined.split(LIST_SEPARATOR)),
            ListData::Owned(items) => ListIterData::Owned(items.iter()),
        })
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The items, collected.
    pub fn to_vec(&self) -> Vec<&'static str> {
        self.iter().collect()
    }

    /// The items with `separator` between them.
    pub fn join(&self, separator: &str) -> String {
        self.to_vec().join(separator)
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl IntoIterator for List {
    type Item = &'static str;
    type IntoIter = ListIter;

    fn into_iter(self) -> ListIter {
        self.iter()
    }
}

/// The items of a [`List`].
#[derive(Clone)]
pub struct ListIter(ListIterData);

#[derive(Clone)]
enum ListIterData {
    Joined(std::str::Split<'static, char>),
    Owned(std::slice::Iter<'static, String>),
}

impl Iterator for ListIter {
    type Item = &'static str;

    fn next(&mut self) -> Option<&'static str> {
        match &mut self.0 {
            ListIterData::Joined(items) => items.next(),
            ListIterData::Owned(items) => items.next().map(String::as_str),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::spec::RuleFileSpec;

    /// Every built-in rule reads back, field by field, what its TOML file says: the spans of the
    /// packed catalog point at the right text.
    #[test]
    fn packed_rules_read_back_their_toml() {
        let mut files: Vec<_> = std::fs::read_dir("src/rules/builtin")
            .expect("the catalog directory")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let mut rules = BUILTIN.iter();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("a readable rule file");
            let spec: RuleFileSpec = toml::from_str(&text).expect("a valid rule file");
            let family = file.file_stem().and_then(|s| s.to_str()).expect("a file name");
            for want in spec.rule {
                let got = rules.next().expect("as many built-in rules as in the files");
                assert_eq!(got.id(), want.id);
                assert_eq!(got.family(), family, "{}", want.id);
                assert_eq!(got.name(), want.name, "{}", want.id);
                assert_eq!(got.description(), want.description, "{}", want.id);
                assert_eq!(got.severity().as_str(), want.severity, "{}", want.id);
                let keywords: Vec<String> = want.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
                assert_eq!(got.keywords().to_vec(), keywords, "{}", want.id);
                assert_eq!(got.keywords().len(), keywords.len(), "{}", want.id);
                assert_eq!(got.regex(), want.regex.as_deref(), "{}", want.id);
                assert_eq!(got.path(), want.path.as_deref(), "{}", want.id);
                assert_eq!(got.entropy(), want.entropy, "{}", want.id);
                assert_eq!(got.validator(), want.validator.as_deref(), "{}", want.id);
                assert_eq!(got.placeholders(), want.placeholders, "{}", want.id);
                assert_eq!(got.revoke(), want.remediation.revoke, "{}", want.id);
                assert_eq!(got.url(), want.remediation.url, "{}", want.id);
                assert_eq!(got.instead(), want.remediation.instead, "{}", want.id);
                assert_eq!(got.examples().to_vec(), want.examples, "{}", want.id);
                assert_eq!(got.negative_examples().to_vec(), want.negative_examples, "{}", want.id);
                assert_eq!(got.negative_examples().is_empty(), want.negative_examples.is_empty());
                assert_eq!(got.builtin_index(), Some(BUILTIN.len() - rules.len() - 1));
                assert_eq!(got.hir().is_empty(), want.regex.is_none(), "{}", want.id);
                assert_eq!(got.path_only(), want.regex.is_none() && want.path.is_some(), "{}", want.id);
                assert_eq!(got.path_hir().is_empty(), want.path.is_none(), "{}", want.id);
            }
        }
        assert!(rules.next().is_none(), "more built-in rules than in the files");
    }

    /// A policy's tuning changes the severity or entropy, and nothing else: the rule stays the
    /// built-in one (the engine finds it through the static keyword table).
    #[test]
    fn tuned_rules_stay_built_in() {
        let rule = crate::rules::builtin("aws.access-key-id").expect("a built-in rule");
        let tuned = rule.with_severity(Severity::Low).with_entropy(4.5);
        assert_eq!(tuned.severity(), Severity::Low);
        assert_eq!(tuned.entropy(), Some(4.5));
        assert_eq!(tuned.builtin_index(), rule.builtin_index());
        assert_eq!((tuned.id(), tuned.regex(), tuned.hir()), (rule.id(), rule.regex(), rule.hir()));
        assert_ne!(rule.severity(), Severity::Low);
    }

    /// A custom rule reads back what the policy gave, with nothing compiled ahead.
    #[test]
    fn custom_rules_read_back_what_was_given() {
        let rule = RuleDef::custom(
            CustomRule {
                id: "acme.token".into(),
                name: "Acme token".into(),
                description: "An Acme API token.".into(),
                keywords: vec!["acme_".into(), "acmetok".into()],
                regex: Some("acme_[a-z]{8}".into()),
                path: None,
                validator: None,
                placeholders: true,
                revoke: "Revoke it in the Acme console.".into(),
                url: "https://acme.invalid/tokens".into(),
                instead: "ACME_TOKEN from the environment".into(),
                examples: vec!["acme_abcdefgh".into()],
                negative_examples: Vec::new(),
            },
            Severity::High,
            Some(3.0),
        );
        assert_eq!((rule.id(), rule.family(), rule.name()), ("acme.token", "custom", "Acme token"));
        assert_eq!(rule.keywords().to_vec(), ["acme_", "acmetok"]);
        assert_eq!(rule.keywords().join(","), "acme_,acmetok");
        assert_eq!(rule.regex(), Some("acme_[a-z]{8}"));
        assert_eq!((rule.severity(), rule.entropy()), (Severity::High, Some(3.0)));
        assert!(rule.negative_examples().is_empty() && rule.examples().len() == 1);
        assert!(rule.hir().is_empty() && rule.starts().is_empty() && !rule.single_line());
        assert_eq!(rule.builtin_index(), None);
        assert!(!rule.path_only());
    }
}
