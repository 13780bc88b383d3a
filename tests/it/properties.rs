//! Property tests (proptest): invariants that examples cannot cover. Secrets are the built-in
//! rules' own examples, expanded at run time from their templates, so no credential-looking
//! literal is in the source; failures name rules and lengths, never values.
//!
//! Case counts are modest so `cargo test` stays fast; the cross-source property spawns git and
//! leakgate, and runs only a few cases.

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::Path;

use leakgate::policy::discover::LoadedFile;
use leakgate::policy::merge::merge;
use leakgate::policy::{ExceptionKind, LayerKind, PolicyFile};
use leakgate::redact;
use leakgate::rules::example::{expand, Rng};
use leakgate::rules::{RuleDef, BUILTIN};
use leakgate::scan::allow::{lines_at, Filter};
use leakgate::scan::{Engine, Finding};
use leakgate::secret::Secret;
use leakgate::source::{Fragment, Origin};
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::harness::{contains_bytes, TestRepo};

/// Every (rule, example template) whose example marks the secret, for content rules that apply
/// to any path.
fn plantable() -> Vec<(&'static RuleDef, &'static str)> {
    BUILTIN
        .iter()
        .filter(|r| r.regex().is_some() && r.path().is_none())
        .flat_map(|r| r.examples().iter().filter(|t| t.contains("{{<}}")).map(move |t| (r, t)))
        .collect()
}

/// A rule's example expanded from `seed`: the whole text and the secret it marks.
struct Planted {
    rule: &'static str,
    text: String,
    secret: String,
}

fn planted(pick: usize, seed: u64) -> Planted {
    let all = plantable();
    let (rule, template) = all[pick % all.len()];
    let example = expand(template, &mut Rng::new(seed)).expect("valid template");
    let range = example.secret.expect("marked secret");
    Planted { rule: rule.id(), secret: example.text[range].to_string(), text: example.text }
}

/// Harmless filler lines: lower-case words and spaces, no punctuation, so no assignment a rule
/// could read as a secret.
fn filler() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-z]{0,7}( [a-z]{1,7}){0,5}", 0..12)
}

/// `lines` with `planted` inserted as its own line(s) at `at` (modulo the length); returns the
/// text and the 0-based line index where the planted text starts.
fn plant(lines: &[String], planted: &str, at: usize) -> (String, usize) {
    let at = at % (lines.len() + 1);
    let mut all: Vec<&str> = lines.iter().map(String::as_str).collect();
    all.insert(at, planted);
    (all.join("\n") + "\n", at)
}

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(BUILTIN.iter().collect()).expect("engine"))
}

fn scan(engine: &Engine, text: &str, path: &str, first_line: u32) -> Vec<Finding> {
    let origin = Origin::File;
    let mut out = Vec::new();
    engine
        .scan(&Fragment { origin: &origin, path, first_line, text: text.as_bytes() }, &mut out)
        .expect("scan");
    out
}

/// Returns at most `step` bytes per read, so the redact filter's window is cut anywhere.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(Config { cases: 64, failure_persistence: None, ..Config::default() })]

    /// The redacted form shows at most a fifth of the value (four characters at most) and its
    /// length, and for any value of 12 bytes or more never the value itself. (Below that a value
    /// can be a substring of its own description: `(8 chars` is shown as `(… (8 chars)`.)
    #[test]
    fn redacted_form_never_shows_the_value(value in prop::collection::vec(any::<u8>(), 1..200)) {
        let secret = Secret::new(&value);
        let shown = secret.redacted();
        let suffix = format!("… ({} chars)", value.len());
        prop_assert!(shown.ends_with(&suffix));
        let prefix = &shown[..shown.len() - suffix.len()];
        prop_assert!(prefix.chars().count() <= (value.len() / 5).min(4));
        if value.len() >= 12 {
            prop_assert!(!contains_bytes(shown.as_bytes(), &value));
        }
        let display = secret.to_string();
        let debug = format!("{secret:?}");
        prop_assert_eq!(display, shown.clone());
        prop_assert!(value.len() < 12 || !contains_bytes(debug.as_bytes(), &value));
    }

    /// The redact filter never lets a planted secret through, however its input is split into
    /// reads, and keeps every other byte.
    #[test]
    fn redact_filter_never_emits_a_planted_secret(
        pick in any::<usize>(),
        seed in any::<u64>(),
        lines in filler(),
        at in any::<usize>(),
        step in 1usize..300,
    ) {
        let p = planted(pick, seed);
        let (text, _) = plant(&lines, &p.text, at);
        // A random value can fail a rule's validators (a placeholder word, low entropy): the
        // property is about the filter, so it holds for what a scan of the whole input finds.
        let found = scan(engine(), &text, "-", 1);
        prop_assume!(found.iter().any(|f| f.secret.expose() == p.secret.as_bytes()));
        let mut out = Vec::new();
        let stats = redact::filter(engine(), &mut Trickle(text.as_bytes(), step), &mut out).expect("filter");
        prop_assert!(stats.replaced >= 1, "{}: nothing replaced", p.rule);
        prop_assert!(!contains_bytes(&out, p.secret.as_bytes()), "{}: {}-char secret passed through", p.rule, p.secret.len());
        prop_assert_eq!(stats.bytes, text.len() as u64);
        // The filler lines are all still there.
        let out = String::from_utf8_lossy(&out);
        for line in lines.iter().filter(|l| !l.is_empty()) {
            prop_assert!(out.contains(line.as_str()));
        }
    }

    /// A finding's line number points at the line holding (the start of) its secret, wherever the
    /// fragment starts in its file; the planted secret is found on the line it was planted at.
    #[test]
    fn finding_line_points_at_the_secret(
        pick in any::<usize>(),
        seed in any::<u64>(),
        lines in filler(),
        at in any::<usize>(),
        first_line in 1u32..5000,
    ) {
        let p = planted(pick, seed);
        let (text, index) = plant(&lines, &p.text, at);
        let findings = scan(engine(), &text, "src/app.txt", first_line);
        // As above: only values the rule's validators accept are findings at all.
        prop_assume!(scan(engine(), &p.text, "src/app.txt", 1).iter().any(|f| f.secret.expose() == p.secret.as_bytes()));
        let origin = Origin::File;
        let fragment = Fragment { origin: &origin, path: "src/app.txt", first_line, text: text.as_bytes() };
        for f in &findings {
            let (line, _) = lines_at(&fragment, f.line);
            let line = line.expect("the finding's line is in the fragment");
            let first = f.secret.expose().split(|&b| b == b'\n').next().unwrap_or_default();
            prop_assert!(contains_bytes(line, first) || first.is_empty(), "{}: line {} does not hold the secret", f.rule.id(), f.line);
            prop_assert_eq!(&line[f.column as usize - 1..][..first.len()], first);
        }
        let offset = p.text.find(&p.secret).expect("secret in its example");
        let expected = first_line + index as u32 + p.text[..offset].matches('\n').count() as u32;
        prop_assert!(
            findings.iter().any(|f| f.rule.id() == p.rule && f.secret.expose() == p.secret.as_bytes() && f.line == expected),
            "{}: not found at line {expected} ({} findings)", p.rule, findings.len()
        );
    }

    /// Allowlists only remove findings: with any generated `[[allow]]` entries, what still counts
    /// is a subset of the unfiltered findings, and what was allowed was matched by an entry.
    #[test]
    fn allowlisted_findings_are_a_subset(
        picks in prop::collection::vec((any::<usize>(), any::<u64>()), 1..4),
        lines in filler(),
        entries in prop::collection::vec(allow_entry(), 0..4),
    ) {
        let mut text_lines = lines.clone();
        let mut planted_rules = Vec::new();
        for (i, (pick, seed)) in picks.iter().enumerate() {
            let p = planted(*pick, *seed);
            planted_rules.push(p.rule);
            let at = i * 3;
            let (t, _) = plant(&text_lines, &p.text, at);
            text_lines = t.lines().map(str::to_string).collect();
        }
        let text = text_lines.join("\n") + "\n";
        let toml = allow_toml(&entries, &planted_rules);
        let file = PolicyFile::parse(Path::new(".leakgate.toml"), &toml).expect("generated policy parses");
        let policy = merge(&[LoadedFile { kind: LayerKind::Repo, name: ".leakgate.toml".into(), text: toml.clone(), file }])
            .expect("generated policy merges");
        let filter = Filter::with_ignore_file(&policy, None, 20_000).expect("filter");
        // Allowlists do not change the rule set, so the shared engine (rules compiled once) serves.
        prop_assert_eq!(policy.rules().len(), BUILTIN.len());
        let unfiltered = scan(engine(), &text, "src/app.txt", 1);
        let origin = Origin::File;
        let fragment = Fragment { origin: &origin, path: "src/app.txt", first_line: 1, text: text.as_bytes() };
        let mut kept = Vec::new();
        for f in &unfiltered {
            let (line, previous) = lines_at(&fragment, f.line);
            let judged = filter.judge(f, line, previous);
            match judged.allowed_by {
                Some(e) => {
                    prop_assert_eq!(e.kind, ExceptionKind::Allowlist);
                    prop_assert!(policy.allow.iter().any(|a| a.covers(f.rule.id())), "{} allowed by an entry that does not cover it", f.rule.id());
                }
                None => kept.push(key(f)),
            }
        }
        let all: BTreeSet<_> = unfiltered.iter().map(key).collect();
        prop_assert!(kept.iter().all(|k| all.contains(k)));
        prop_assert!(kept.len() <= unfiltered.len());
    }
}

/// One generated `[[allow]]` entry: indexes into fixed lists of rule globs, path globs, secret
/// and line regexes and stopwords (each entry allows something, as the policy requires).
#[derive(Debug, Clone)]
struct AllowGen {
    rules: Vec<usize>,
    paths: Vec<usize>,
    secrets: Vec<usize>,
    lines: Vec<usize>,
    stopwords: Vec<usize>,
}

const RULE_GLOBS: &[&str] = &["*", "generic.*", "aws.*", "github.*", "<planted>", "*.*-*"];
const PATH_GLOBS: &[&str] = &["*.txt", "src/**", "other/**", "**/app.txt", "docs/*"];
const SECRET_RES: &[&str] = &["^[A-Z]", "[0-9]$", "zz", "^.{0,20}$", "(?i)key"];
const LINE_RES: &[&str] = &["^#", "=", "token", "^[a-z ]*$"];
const STOPWORDS: &[&str] = &["a", "x", "q", "test", "ab"];

fn allow_entry() -> impl Strategy<Value = AllowGen> {
    let list = |n: usize| prop::collection::vec(0..n, 0..3);
    (
        list(RULE_GLOBS.len()),
        list(PATH_GLOBS.len()),
        list(SECRET_RES.len()),
        list(LINE_RES.len()),
        list(STOPWORDS.len()),
    )
        .prop_map(|(rules, paths, secrets, lines, stopwords)| AllowGen {
            rules,
            paths,
            secrets,
            lines,
            stopwords,
        })
}

fn allow_toml(entries: &[AllowGen], planted: &[&str]) -> String {
    let quote = |items: Vec<String>| items.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let mut toml = String::new();
    for e in entries {
        let mut stopwords: Vec<String> = e.stopwords.iter().map(|&i| STOPWORDS[i].to_string()).collect();
        if e.paths.is_empty() && e.secrets.is_empty() && e.lines.is_empty() && stopwords.is_empty() {
            stopwords.push("zzzz".to_string());
        }
        let rules = e
            .rules
            .iter()
            .map(|&i| match RULE_GLOBS[i] {
                "<planted>" => planted[0].to_string(),
                g => g.to_string(),
            })
            .collect();
        toml.push_str(&format!(
            "[[allow]]\nrules = [{}]\npaths = [{}]\nsecrets = [{}]\nlines = [{}]\nstopwords = [{}]\n",
            quote(rules),
            quote(e.paths.iter().map(|&i| PATH_GLOBS[i].to_string()).collect()),
            quote(e.secrets.iter().map(|&i| SECRET_RES[i].to_string()).collect()),
            quote(e.lines.iter().map(|&i| LINE_RES[i].to_string()).collect()),
            quote(stopwords),
        ));
    }
    toml
}

/// What identifies a finding across runs and sources.
fn key(f: &Finding) -> (String, u32, u32, String) {
    (f.rule.id().to_string(), f.line, f.column, f.fingerprint.clone())
}

/// Findings of a JSON report as (rule, line, column, fingerprint).
fn json_findings(json: &str) -> BTreeSet<(String, u32, u32, String)> {
    let doc: serde_json::Value = serde_json::from_str(json).expect("a JSON report");
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule_id").to_string(),
                u32::try_from(f["line"].as_u64().expect("line")).expect("line fits"),
                u32::try_from(f["column"].as_u64().expect("column")).expect("column fits"),
                f["fingerprint"].as_str().expect("fingerprint").to_string(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(Config { cases: 8, failure_persistence: None, ..Config::default() })]

    /// The same content finds the same secrets as a staged new file (`pre-commit`), as a path
    /// (`scan <path>`) and on stdin (`scan -`); and a repository allowlist only removes findings
    /// from the path scan.
    #[test]
    fn staged_path_and_stdin_find_the_same_secrets(
        picks in prop::collection::vec((any::<usize>(), any::<u64>()), 1..4),
        lines in filler(),
        at in any::<usize>(),
        entries in prop::collection::vec(allow_entry(), 1..3),
    ) {
        let mut text_lines = lines.clone();
        let mut planted_rules = Vec::new();
        for (i, (pick, seed)) in picks.iter().enumerate() {
            let p = planted(*pick, *seed);
            planted_rules.push(p.rule);
            let (t, _) = plant(&text_lines, &p.text, at.wrapping_add(i * 5));
            text_lines = t.lines().map(str::to_string).collect();
        }
        let text = text_lines.join("\n") + "\n";
        let repo = TestRepo::new();
        repo.write("notes.txt", &text);
        repo.add(&["notes.txt"]);

        let report = repo.outside("staged.json");
        let staged = repo.leakgate(&["pre-commit", "--format", "json", "-o", &report.to_string_lossy()]);
        prop_assert!(staged.code == 0 || staged.code == 1, "pre-commit: {}", staged.stderr);
        let path_run = repo.leakgate(&["scan", "--format", "json", "notes.txt"]);
        let stdin_run = repo.leakgate_stdin(&["scan", "--format", "json", "-"], text.as_bytes());
        prop_assert_eq!(path_run.code, staged.code, "scan path: {}", path_run.stderr);
        prop_assert_eq!(stdin_run.code, staged.code, "scan stdin: {}", stdin_run.stderr);
        let staged = json_findings(&std::fs::read_to_string(&report).expect("report file"));
        let path = json_findings(&path_run.stdout);
        let stdin = json_findings(&stdin_run.stdout);
        prop_assert_eq!(&staged, &path, "staged vs path");
        prop_assert_eq!(&path, &stdin, "path vs stdin");

        repo.write(".leakgate.toml", allow_toml(&entries, &planted_rules));
        let allowed = repo.leakgate(&["scan", "--format", "json", "notes.txt"]);
        prop_assert!(allowed.code == 0 || allowed.code == 1, "scan with allowlist: {}", allowed.stderr);
        let allowed = json_findings(&allowed.stdout);
        prop_assert!(allowed.is_subset(&path), "the allowlist added findings");
    }
}
