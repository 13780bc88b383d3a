//! The detection-quality harness: generates labelled positives (every rule's examples, embedded
//! in realistic files of many types) and hard negatives (placeholders, UUIDs, git SHAs, digests,
//! lockfile integrity strings, base64 images, public keys, test fixtures, environment and
//! secret-manager references), scans them with the full built-in catalog, and computes recall and
//! precision per rule family.
//!
//! A positive counts as found when any finding covers its labelled value (the leak is blocked,
//! whichever rule blocks it; `selftest` checks attribution to the right rule). Every finding on a curated hard negative is a false positive; on a rule's own
//! negative examples only findings of that rule's family are (see [`Sample::negative_for`]).
//!
//! Everything is generated at run time from a seed, so the repository holds no credential-shaped
//! string. `cargo run --release --example quality` prints the table; a unit test holds the
//! catalog to at least 98% recall and 98% precision.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

use anyhow::{anyhow, Result};

use super::example::{base64_encode, expand, Expanded, Rng};
use super::{RuleDef, BUILTIN};
use crate::scan::{Engine, Finding};
use crate::source::{Fragment, Origin};

/// One generated file.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Repository-relative path (its extension says the file type).
    pub path: String,
    /// The content.
    pub text: String,
    /// What must be found in it; `None` for a hard negative (nothing may be found).
    pub label: Option<Label>,
    /// For a rule's own negative example: the family whose findings count as false positives
    /// on it. Such a negative is hard for its rule (a truncated or placeholder token) but may
    /// legitimately look like a secret to another rule (a truncated GitLab token assigned to a
    /// variable is still a token-ish assignment), so only its own family is scored. `None`: every finding counts.
    pub negative_for: Option<&'static str>,
    /// Where the sample comes from: `rule-example`, `realistic`, `rule-negative` or
    /// `hard-negative`.
    pub source: &'static str,
}

/// The secret a positive sample contains.
#[derive(Debug, Clone)]
pub struct Label {
    /// The rule whose example this is.
    pub rule: &'static RuleDef,
    /// Byte range of the secret in the sample's text (the path itself for file rules).
    pub secret: Range<usize>,
}

/// Counts for one rule family.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyStats {
    /// Labelled positives of the family.
    pub positives: usize,
    /// Of those, found by a rule of the family.
    pub found: usize,
    /// Findings of the family's rules that match a label.
    pub true_findings: usize,
    /// Findings of the family's rules that match no label (false positives).
    pub false_findings: usize,
}

impl FamilyStats {
    /// Found positives over positives (1.0 when there are none).
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.positives)
    }

    /// True findings over all findings (1.0 when there are none).
    pub fn precision(&self) -> f64 {
        ratio(self.true_findings, self.true_findings + self.false_findings)
    }

    fn add(&mut self, other: &FamilyStats) {
        self.positives += other.positives;
        self.found += other.found;
        self.true_findings += other.true_findings;
        self.false_findings += other.false_findings;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// The outcome of one run of the harness.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Per rule family (catalog file), in name order.
    pub families: BTreeMap<&'static str, FamilyStats>,
    /// Number of positive and negative samples scanned.
    pub samples: (usize, usize),
    /// One line per miss or false positive (rule, sample path, redacted value), for debugging.
    pub problems: Vec<String>,
    /// The same counts by sample source (`rule-example`, `realistic`, `rule-negative`,
    /// `hard-negative`).
    pub sources: BTreeMap<&'static str, FamilyStats>,
    /// Findings of another family on a rule's own negative examples: not scored (see
    /// [`Sample::negative_for`]), but reported.
    pub unscored: usize,
}

impl Report {
    /// All families together.
    pub fn overall(&self) -> FamilyStats {
        let mut total = FamilyStats::default();
        for stats in self.families.values() {
            total.add(stats);
        }
        total
    }

    /// The table `examples/quality.rs` prints.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<14} {:>9} {:>7} {:>8} {:>6} {:>8} {:>10}",
            "family", "positives", "found", "recall", "TP", "FP", "precision"
        );
        fn line(out: &mut String, name: &str, s: &FamilyStats) {
            let _ = writeln!(
                out,
                "{:<14} {:>9} {:>7} {:>7.1}% {:>6} {:>8} {:>9.1}%",
                name,
                s.positives,
                s.found,
                s.recall() * 100.0,
                s.true_findings,
                s.false_findings,
                s.precision() * 100.0
            );
        }
        for (family, stats) in &self.families {
            line(&mut out, family, stats);
        }
        line(&mut out, "OVERALL", &self.overall());
        let _ = writeln!(out, "\nby sample source:");
        for (source, stats) in &self.sources {
            line(&mut out, source, stats);
        }
        let _ = writeln!(
            out,
            "{} positive and {} negative samples; {} unscored findings of other families on rules' own negatives",
            self.samples.0, self.samples.1, self.unscored
        );
        out
    }
}

/// Generates the labelled corpus for `seed`.
///
/// # Errors
/// A rule example is not a valid template.
pub fn generate(seed: u64) -> Result<Vec<Sample>> {
    let mut rng = Rng::new(seed);
    let mut samples = Vec::new();
    for rule in BUILTIN {
        for template in rule.examples() {
            let (path, body) = split_path(template);
            let example = expand(body, &mut rng).map_err(|e| anyhow!("{}: {e}", rule.id()))?;
            if rule.regex().is_none() {
                // A file that must not be committed: the path is the finding.
                let path = path.unwrap_or_default().to_string();
                let text = "placeholder=1\n".to_string();
                samples.push(Sample {
                    label: Some(Label { rule, secret: 0..path.len() }),
                    path,
                    text,
                    negative_for: None,
                    source: "rule-example",
                });
                continue;
            }
            let Some(secret) = example.secret.clone() else { continue };
            match path {
                Some(path) => samples.push(Sample {
                    path: path.to_string(),
                    text: example.text.clone(),
                    label: Some(Label { rule, secret }),
                    negative_for: None,
                    source: "rule-example",
                }),
                None => {
                    for (path, text, range) in embed(&example, &mut rng) {
                        samples.push(Sample {
                            path,
                            text,
                            label: Some(Label { rule, secret: range }),
                            negative_for: None,
                            source: "rule-example",
                        });
                    }
                }
            }
        }
        for template in rule.negative_examples() {
            let (path, body) = split_path(template);
            let example = expand(body, &mut rng).map_err(|e| anyhow!("{}: {e}", rule.id()))?;
            // Path rules are judged on the named path; content rules inside a realistic file.
            let (path, text) = match (rule.regex(), path) {
                (None, path) => (path.unwrap_or_default().to_string(), "placeholder=1\n".to_string()),
                (Some(_), Some(path)) => (path.to_string(), example.text),
                (Some(_), None) => wrap_verbatim(KINDS[rng.below(KINDS.len())], &example.text, &mut rng),
            };
            samples.push(Sample {
                path,
                text,
                label: None,
                negative_for: Some(rule.family()),
                source: "rule-negative",
            });
        }
    }
    for (path, text) in hard_negatives(&mut rng) {
        samples.push(Sample { path, text, label: None, negative_for: None, source: "hard-negative" });
    }
    for &(family, path, template) in REALISTIC {
        let example = expand(template, &mut rng).map_err(|e| anyhow!("{path}: {e}"))?;
        let secret = example.secret.clone().ok_or_else(|| anyhow!("{path}: no marked secret"))?;
        let rule = BUILTIN
            .iter()
            .find(|r| r.family() == family)
            .ok_or_else(|| anyhow!("{path}: no rule family {family}"))?;
        samples.push(Sample {
            path: path.to_string(),
            text: example.text,
            label: Some(Label { rule, secret }),
            negative_for: None,
            source: "realistic",
        });
    }
    for &(path, template) in DECOYS {
        let example = expand(template, &mut rng).map_err(|e| anyhow!("{path}: {e}"))?;
        samples.push(Sample {
            path: path.to_string(),
            text: example.text,
            label: None,
            negative_for: None,
            source: "hard-negative",
        });
    }
    Ok(samples)
}

/// Scans `samples` with the full built-in catalog and scores the findings.
///
/// # Errors
/// The engine cannot be built or a rule does not compile.
pub fn evaluate(samples: &[Sample]) -> Result<Report> {
    let engine = Engine::new(BUILTIN.iter().collect())?;
    let origin = Origin::File;
    let mut report = Report::default();
    for rule in BUILTIN {
        report.families.entry(rule.family()).or_default();
    }
    for sample in samples {
        let mut findings: Vec<Finding> = Vec::new();
        engine.scan_path(&sample.path, &origin, &mut findings)?;
        let fragment =
            Fragment { origin: &origin, path: &sample.path, first_line: 1, text: sample.text.as_bytes() };
        engine.scan(&fragment, &mut findings)?;
        let expected: Option<(&Label, &[u8])> = sample.label.as_ref().map(|l| {
            let value = if l.rule.regex().is_none() {
                sample.path.as_bytes()
            } else {
                &sample.text.as_bytes()[l.secret.clone()]
            };
            (l, value)
        });
        let mut found = false;
        for finding in &findings {
            // The leak is caught whichever rule catches it: a finding on the labelled value is true.
            let hit = expected.is_some_and(|(_, value)| same_secret(finding.secret.expose(), value));
            if !hit && sample.negative_for.is_some_and(|family| family != finding.rule.family()) {
                report.unscored += 1; // another family on a rule's own negative: not scored
                continue;
            }
            let stats = report.families.entry(finding.rule.family()).or_default();
            let by_source = report.sources.entry(sample.source).or_default();
            if hit {
                stats.true_findings += 1;
                by_source.true_findings += 1;
                found = true;
            } else {
                stats.false_findings += 1;
                by_source.false_findings += 1;
                report.problems.push(format!(
                    "false positive: {} in {} ({})",
                    finding.rule.id(),
                    sample.path,
                    finding.secret.redacted()
                ));
            }
        }
        match expected {
            Some((label, _)) => {
                report.samples.0 += 1;
                let stats = report.families.entry(label.rule.family()).or_default();
                stats.positives += 1;
                let by_source = report.sources.entry(sample.source).or_default();
                by_source.positives += 1;
                if found {
                    by_source.found += 1;
                    let stats = report.families.entry(label.rule.family()).or_default();
                    stats.found += 1;
                } else {
                    report.problems.push(format!("missed: {} in {}", label.rule.id(), sample.path));
                }
            }
            None => {
                report.samples.1 += 1;
                report.sources.entry(sample.source).or_default();
            }
        }
    }
    Ok(report)
}

/// Generates the corpus for `seed` and evaluates it.
///
/// # Errors
/// See [`generate`] and [`evaluate`].
pub fn run(seed: u64) -> Result<Report> {
    evaluate(&generate(seed)?)
}

/// A finding matches a label when one value contains the other (a rule may capture a little
/// more or less than the example marks, e.g. a whole URI rather than its password).
fn same_secret(found: &[u8], expected: &[u8]) -> bool {
    let contains =
        |hay: &[u8], needle: &[u8]| !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle);
    contains(found, expected) || contains(expected, found)
}

fn split_path(template: &str) -> (Option<&str>, &str) {
    match template.strip_prefix("# path: ") {
        Some(rest) => match rest.split_once('\n') {
            Some((path, body)) => (Some(path), body),
            None => (Some(rest), ""),
        },
        None => (None, template),
    }
}

/// File types a sample can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Env,
    Yaml,
    Json,
    Terraform,
    Python,
    Js,
    Go,
    Shell,
    Dockerfile,
    Notebook,
    Markdown,
}

const KINDS: &[Kind] = &[
    Kind::Env,
    Kind::Yaml,
    Kind::Json,
    Kind::Terraform,
    Kind::Python,
    Kind::Js,
    Kind::Go,
    Kind::Shell,
    Kind::Dockerfile,
    Kind::Notebook,
    Kind::Markdown,
];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

fn path_for(kind: Kind, rng: &mut Rng) -> String {
    let dir = pick(rng, &["", "app/", "services/billing/", "deploy/", "scripts/", "config/"]);
    let name = match kind {
        // Not `.env` itself: that name is flagged whatever it holds (files.dotenv).
        Kind::Env => pick(rng, &["config.env", ".env.example", "env/prod.env"]),
        Kind::Yaml => {
            pick(rng, &["values.yaml", "docker-compose.yml", "config.yaml", ".github/workflows/ci.yml"])
        }
        Kind::Json => pick(rng, &["appsettings.json", "config.json", "secrets.json"]),
        Kind::Terraform => pick(rng, &["main.tf", "variables.tf", "prod.tfvars"]),
        Kind::Python => pick(rng, &["settings.py", "client.py", "conftest.py"]),
        Kind::Js => pick(rng, &["config.js", "index.ts", "server.mjs"]),
        Kind::Go => pick(rng, &["main.go", "client.go"]),
        Kind::Shell => pick(rng, &["deploy.sh", "setup.bash", ".envrc"]),
        Kind::Dockerfile => pick(rng, &["Dockerfile", "build.Dockerfile"]),
        Kind::Notebook => pick(rng, &["analysis.ipynb", "notebooks/explore.ipynb"]),
        Kind::Markdown => pick(rng, &["README.md", "docs/setup.md"]),
    };
    format!("{dir}{name}")
}

/// A `KEY=value` example whose marked secret is the (possibly quoted) value.
fn key_value(example: &Expanded) -> Option<(&str, &str)> {
    let text = example.text.as_str();
    if text.contains('\n') {
        return None;
    }
    let secret = example.secret.clone()?;
    let (key, value) = text.strip_prefix("export ").unwrap_or(text).split_once('=')?;
    let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let value_at = text.len() - value.len();
    let unquoted = value.trim_matches(|c| c == '"' || c == '\'');
    let whole = secret.start >= value_at && &text[secret.clone()] == unquoted;
    (key_ok && whole).then_some((key, unquoted))
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// Positives: the example in every file type it fits, rewritten into that type's idiom when it
/// is a plain `KEY=value` assignment, else embedded as it is.
fn embed(example: &Expanded, rng: &mut Rng) -> Vec<(String, String, Range<usize>)> {
    let Some(range) = example.secret.clone() else { return Vec::new() };
    let secret = example.text[range].to_string();
    let mut out = Vec::new();
    let single_line = !example.text.contains('\n');
    let escapable = !secret.contains(['"', '\\', '\n']);
    for &kind in KINDS {
        let (path, text) = match key_value(example) {
            Some((key, value)) => {
                let line = idiom(kind, key, value);
                wrap_line(kind, &line, rng)
            }
            None if matches!(kind, Kind::Json | Kind::Notebook) && !(single_line && escapable) => continue,
            None => wrap_verbatim(kind, &example.text, rng),
        };
        // The secret is a random string: its first occurrence is the one we put there.
        if let Some(at) = text.find(&secret) {
            out.push((path, text, at..at + secret.len()));
        }
    }
    out
}

/// `KEY=value` in the idiom of a file type (the line that goes into the file).
fn idiom(kind: Kind, key: &str, value: &str) -> String {
    match kind {
        Kind::Env => format!("{key}={value}"),
        Kind::Yaml => format!("  {key}: \"{value}\""),
        Kind::Json => format!("  \"{key}\": \"{value}\","),
        Kind::Terraform => format!("  {} = \"{value}\"", key.to_ascii_lowercase()),
        Kind::Python => format!("{key} = \"{value}\""),
        Kind::Js => format!("const {key} = '{value}';"),
        Kind::Go => format!("\t{key} := \"{value}\""),
        Kind::Shell => format!("export {key}=\"{value}\""),
        Kind::Dockerfile => format!("ENV {key}={value}"),
        Kind::Notebook => format!("{key} = \"{value}\""),
        Kind::Markdown => format!("export {key}={value}"),
    }
}

/// A file of `kind` around one line (already in the file type's idiom).
fn wrap_line(kind: Kind, line: &str, rng: &mut Rng) -> (String, String) {
    let path = path_for(kind, rng);
    let text = match kind {
        Kind::Env => format!("APP_ENV=production\nLOG_LEVEL=info\n{line}\nPORT=8080\n"),
        Kind::Yaml => format!("service:\n  name: billing\n  replicas: 3\nenv:\n{line}\n  FEATURE_FLAGS: \"beta\"\n"),
        Kind::Json => format!("{{\n  \"name\": \"billing\",\n  \"port\": 8080,\n{line}\n  \"debug\": false\n}}\n"),
        Kind::Terraform => format!(
            "provider \"aws\" {{\n  region = \"eu-west-1\"\n}}\n\nlocals {{\n  service = \"billing\"\n{line}\n}}\n"
        ),
        Kind::Python => format!("import os\n\nDEBUG = False\n{line}\nTIMEOUT = 30\n"),
        Kind::Js => format!("import express from 'express';\n\nconst port = 8080;\n{line}\nexport default {{ port }};\n"),
        Kind::Go => format!("package main\n\nimport \"fmt\"\n\nfunc main() {{\n{line}\n\tfmt.Println(\"ok\")\n}}\n"),
        Kind::Shell => format!("#!/bin/sh\nset -eu\n{line}\n./run.sh --port 8080\n"),
        Kind::Dockerfile => format!("FROM node:20-alpine\nWORKDIR /app\n{line}\nCOPY . .\nCMD [\"node\", \"server.js\"]\n"),
        Kind::Notebook => notebook(line),
        Kind::Markdown => format!("# Setup\n\nSet the variables:\n\n```sh\n{line}\n```\n\nThen run `make`.\n"),
    };
    (path, text)
}

/// A file of `kind` with `snippet` embedded as it is (JSON-escaped inside JSON strings).
fn wrap_verbatim(kind: Kind, snippet: &str, rng: &mut Rng) -> (String, String) {
    match kind {
        Kind::Json => {
            let path = path_for(kind, rng);
            (path, format!("{{\n  \"name\": \"billing\",\n  \"note\": \"{}\"\n}}\n", json_escape(snippet)))
        }
        Kind::Notebook => (path_for(kind, rng), notebook(snippet)),
        Kind::Markdown => {
            let path = path_for(kind, rng);
            (path, format!("# Notes\n\n```\n{snippet}\n```\n"))
        }
        Kind::Python => {
            let path = path_for(kind, rng);
            (path, format!("import os\n\n# fixture\n{snippet}\n\nTIMEOUT = 30\n"))
        }
        _ => {
            let path = path_for(kind, rng);
            (path, format!("# generated\n{snippet}\n# end\n"))
        }
    }
}

/// A Jupyter notebook whose one code cell holds `source` (one JSON string per line).
fn notebook(source: &str) -> String {
    let lines: Vec<String> =
        source.split_inclusive('\n').map(|l| format!("    \"{}\"", json_escape(l))).collect();
    format!(
        "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"execution_count\": 1,\n   \"metadata\": {{}},\n   \"outputs\": [],\n   \"source\": [\n{}\n   ]\n  }}\n ],\n \"metadata\": {{\"kernelspec\": {{\"name\": \"python3\"}}}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}}\n",
        lines.join(",\n")
    )
}

fn uuid(rng: &mut Rng) -> String {
    let h = |rng: &mut Rng, n| rng.string(b"0123456789abcdef", n);
    format!("{}-{}-4{}-a{}-{}", h(rng, 8), h(rng, 4), h(rng, 3), h(rng, 3), h(rng, 12))
}

/// Leaks written the way people write them, independently of the rules' own examples: other
/// syntaxes, other nesting, other files. (family expected to find it, path, template)
const REALISTIC: &[(&str, &str, &str)] = &[
    ("generic", "docker-compose.yml", "services:\n  api:\n    image: acme/api\n    environment:\n      - DB_PASSWORD={{<}}{{gen:alnum:18}}{{>}}\n      - LOG_LEVEL=info\n"),
    ("generic", "k8s/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\nstringData:\n  password: {{<}}{{gen:alnum:20}}{{>}}\n"),
    ("generic", ".github/workflows/deploy.yml", "jobs:\n  deploy:\n    env:\n      API_TOKEN: {{<}}{{gen:base64url:32}}{{>}}\n    steps:\n      - run: make deploy\n"),
    ("generic", "app/settings.py", "CONFIG = {\"secret_key\": \"{{<}}{{gen:base64url:40}}{{>}}\", \"debug\": False}\n"),
    ("generic", "app/client.py", "client = Client(api_key=\"{{<}}{{gen:alnum:32}}{{>}}\", timeout=10)\n"),
    ("generic", "app/config.py", "API_TOKEN = os.environ.get(\"API_TOKEN\", \"{{<}}{{gen:alnum:28}}{{>}}\")\n"),
    ("generic", "src/config.ts", "export const config = { apiKey: '{{<}}{{gen:alnum:30}}{{>}}', region: 'eu-west-1' };\n"),
    ("generic", "src/db.js", "const password = process.env.DB_PASSWORD || \"{{<}}{{gen:alnum:16}}{{>}}\";\n"),
    ("generic", "internal/config.go", "cfg := Config{\n\tUser:     \"billing\",\n\tPassword: \"{{<}}{{gen:alnum:20}}{{>}}\",\n}\n"),
    ("generic", "config/database.ini", "[database]\nhost = db.internal\npassword = {{<}}{{gen:alnum:16}}{{>}}\n"),
    ("generic", "src/main/resources/application.properties", "spring.datasource.username=billing\nspring.datasource.password={{<}}{{gen:alnum:18}}{{>}}\n"),
    ("generic", "config/app.php", "return [\n    'password' => '{{<}}{{gen:alnum:16}}{{>}}',\n];\n"),
    ("generic", "config/initializers/secret.rb", "Rails.application.config.secret_key_base = \"{{<}}{{gen:hex:128}}{{>}}\"\n"),
    ("generic", "settings.py", "SECRET_KEY = \"{{<}}{{gen:hex:64}}{{>}}\"\n"),
    ("generic", "scripts/fetch.sh", "curl -H \"X-Api-Key: {{<}}{{gen:alnum:32}}{{>}}\" https://api.acme.io/v1/items\n"),
    ("generic", "main.tf", "resource \"aws_db_instance\" \"main\" {\n  engine   = \"postgres\"\n  password = \"{{<}}{{gen:alnum:24}}{{>}}\"\n}\n"),
    ("generic", "Dockerfile", "FROM alpine\nENV API_TOKEN={{<}}{{gen:alnum:24}}{{>}}\n"),
    ("generic", "analysis.ipynb", "{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"import requests\\n\", \"API_KEY = \\\"{{<}}{{gen:alnum:32}}{{>}}\\\"\\n\"]}]}\n"),
    ("github", ".github/workflows/release.yml", "      - run: git push https://x-access-token:{{<}}ghs_{{gen:alnum:30}}{{crc32-b62}}{{>}}@github.com/acme/app.git\n"),
    ("github", "scripts/clone.py", "REPO = f\"https://{{<}}ghp_{{gen:alnum:30}}{{crc32-b62}}{{>}}@github.com/acme/{name}.git\"\n"),
    ("npm", ".yarnrc.yml", "npmRegistryServer: \"https://registry.npmjs.org\"\nnpmAuthToken: \"{{<}}npm_{{gen:alnum:30}}{{crc32-b62}}{{>}}\"\n"),
    ("aws", "scripts/setup.sh", "cat > ~/.aws/credentials <<EOF\n[default]\naws_access_key_id = {{<}}AKIA{{gen:base32:16}}{{>}}\nEOF\n"),
    ("aws", "deploy/terraform.tfvars", "aws_secret_key = \"{{<}}{{gen:base64:40}}{{>}}\"\n"),
    ("slack", "config/notify.json", "{\"notifications\": {\"slack\": {\"url\": \"{{<}}https://hooks.slack.com/services/T{{gen:alnum-upper:10}}/B{{gen:alnum-upper:10}}/{{gen:alnum:24}}{{>}}\"}}}\n"),
    ("stripe", "src/Payments.php", "\\Stripe\\Stripe::setApiKey('{{<}}sk_live_{{gen:alnum:24}}{{>}}');\n"),
    ("openai", "notebooks/chat.ipynb", "{\"cells\": [{\"source\": [\"openai.api_key = \\\"{{<}}sk-proj-{{gen:base64url:80}}{{>}}\\\"\\n\"]}]}\n"),
    ("private-key", "k8s/tls.yaml", "apiVersion: v1\nkind: Secret\nstringData:\n  tls.key: |\n    {{<}}-----BEGIN EC PRIVATE KEY-----\n    {{gen:base64:64}}\n    {{gen:base64:60}}==\n    -----END EC PRIVATE KEY-----{{>}}\n"),
    ("jwt", "tests/api.http", "GET https://api.acme.io/v1/me\nCookie: session={{<}}eyJhbGciOiJIUzI1NiJ9.{{b64json}}.{{gen:base64url:43}}{{>}}\n"),
    ("database", "docker-compose.yml", "services:\n  api:\n    environment:\n      DATABASE_URL: postgres://billing:{{<}}{{gen:alnum:22}}{{>}}@db:5432/billing\n"),
    ("database", "app/celery.py", "broker_url = \"amqps://worker:{{<}}{{gen:base64url:20}}{{>}}@mq.acme.internal:5671/jobs\"\n"),
    ("azure", "appsettings.json", "{\n  \"Storage\": \"DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey={{<}}{{gen:base64:86}}=={{>}};EndpointSuffix=core.windows.net\"\n}\n"),
    ("google", "config/firebase.js", "const firebaseConfig = {\n  apiKey: \"{{<}}AIza{{gen:base64url:35}}{{>}}\",\n  projectId: \"acme-app\",\n};\n"),
    ("anthropic", "agent/.env.example", "ANTHROPIC_API_KEY={{<}}sk-ant-api03-{{gen:base64url:93}}AA{{>}}\n"),
    ("huggingface", "train.py", "login(token=\"{{<}}hf_{{gen:alnum:34}}{{>}}\")\n"),
    ("sendgrid", "mailer/config.yml", "sendgrid:\n  key: {{<}}SG.{{gen:base64url:22}}.{{gen:base64url:43}}{{>}}\n"),
    ("twilio", "sms.py", "client = TwilioClient(\"AC{{gen:hex:32}}\", twilio_auth_token=\"{{<}}{{gen:hex:32}}{{>}}\")\n"),
    ("gitlab", ".gitlab-ci.yml", "variables:\n  GL_TOKEN: \"{{<}}glpat-{{gen:base64url:20}}{{>}}\"\n"),
    ("docker", ".docker/config.json", "{\n  \"auths\": {\n    \"https://index.docker.io/v1/\": {\n      \"auth\": \"{{<}}{{b64basic}}{{>}}\"\n    }\n  }\n}\n"),
    ("vault", "scripts/vault.sh", "vault login {{<}}hvs.{{gen:base64url:91}}{{>}}\n"),
    ("datadog", "datadog.yaml", "api_key: {{<}}{{gen:hex:32}}{{>}}\nsite: datadoghq.eu\n"),
    ("sentry", "src/sentry.ts", "Sentry.init({ dsn: \"https://{{<}}{{gen:hex:32}}{{>}}@o{{gen:digit:6}}.ingest.us.sentry.io/{{gen:digit:7}}\" });\n"),
    ("aws", "src/main/java/S3.java", "AWSCredentials c = new BasicAWSCredentials(System.getenv(\"AWS_ACCESS_KEY_ID\"), \"{{<}}{{gen:base64:40}}{{>}}\");\n"),
    ("private-key", "deploy/key.tf", "resource \"tls_locally_signed_cert\" \"x\" {\n  ca_private_key_pem = <<EOT\n{{<}}-----BEGIN RSA PRIVATE KEY-----\r\n{{gen:base64:64}}\r\n{{gen:base64:64}}\r\n{{gen:base64:12}}==\r\n-----END RSA PRIVATE KEY-----{{>}}\r\nEOT\n}\n"),
    ("generic", "k8s/secret-data.yaml", "kind: Secret\ndata:\n  password: {{<}}{{gen:base64:24}}{{>}}\n"),
    ("generic", "config/app.yml", "smtp:\n  password: \"{{<}}P@{{gen:alnum:10}}!{{>}}\"\n"),
    ("github", ".config/gh/hosts.yml", "github.com:\n    user: octocat\n    oauth_token: {{<}}gho_{{gen:alnum:30}}{{crc32-b62}}{{>}}\n"),
    ("database", "config/mongo.js", "const uri = \"mongodb://app:{{<}}{{gen:alnum:12}}%40{{gen:alnum:6}}{{>}}@h1.acme.io:27017,h2.acme.io:27017/app?replicaSet=rs0\";\n"),
    ("wireguard", "wg0.conf", "[Interface]\nPrivateKey = {{<}}{{gen:base64:42}}E={{>}}\nAddress = 10.0.0.1/24\n"),
];

/// Non-secrets written the way people write them (path, template): every finding is false.
const DECOYS: &[(&str, &str)] = &[
    (".github/workflows/ci.yml", "env:\n  DB_PASSWORD: ${{open}} secrets.DB_PASSWORD {{close}}\n  AWS_ACCESS_KEY_ID: ${{open}} secrets.AWS_ACCESS_KEY_ID {{close}}\n"),
    ("charts/api/templates/secret.yaml", "stringData:\n  password: {{open}} .Values.db.password | quote {{close}}\n"),
    ("ansible/vars.yml", "db_password: \"{{open}} lookup('env', 'DB_PASSWORD') {{close}}\"\n"),
    ("app/settings.py", "API_KEY = settings.API_KEY\nSECRET_KEY = get_random_secret_key()\npassword = getpass.getpass()\n"),
    ("app/auth.py", "token = request.headers.get(\"Authorization\")\n"),
    ("config.json", "{\"password\": \"\", \"token\": null, \"secret\": false}\n"),
    ("k8s/deploy.yaml", "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n"),
    ("locales/en.json", "{\"password_label\": \"Enter your password\", \"token_expired\": \"Your session has expired\"}\n"),
    ("web/index.html", "<script src=\"/app.js\" integrity=\"sha384-{{gen:base64:64}}\" crossorigin=\"anonymous\"></script>\n"),
    ("scripts/login.sh", "export GITHUB_TOKEN=$(gh auth token)\npassword=\"$(cat /run/secrets/db)\"\n"),
    ("main.tf", "secret_arn = \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-{{gen:alnum:6}}\"\nkms_key_id = \"arn:aws:kms:eu-west-1:123456789012:key/{{gen:hex:8}}-{{gen:hex:4}}-{{gen:hex:4}}-{{gen:hex:4}}-{{gen:hex:12}}\"\n"),
    ("app/cache.py", "cache_key = \"user:{id}:profile\"\nsession_id = \"{{gen:hex:32}}\"\n"),
    ("docs/api.md", "Set `API_KEY=sk-...` (your key from the dashboard), for example `API_KEY=<key>`.\n"),
    ("src/auth.test.ts", "const token = 'test-token';\nconst password = 'password123';\n"),
    ("config/oidc.yaml", "token_endpoint: https://login.acme.io/oauth2/token\njwks_uri: https://login.acme.io/.well-known/jwks.json\n"),
    ("src/webhook.go", "const secretHeader = \"X-Webhook-Secret\"\nconst tokenHeader = \"X-Auth-Token\"\n"),
    ("config/kms.yaml", "encryption_key_id: alias/prod-key\nprivate_key_path: keys/deploy.pem\nsecret: projects/acme/secrets/db/versions/latest\n"),
    ("src/Login.java", "String password = request.getParameter(\"password\");\nString token = jwt.sign(claims);\n"),
    ("config/database.yml", "production:\n  password: <%= ENV['DB_PASSWORD'] %>\n"),
    ("app/crypto.py", "password_hash = hashlib.sha256(password.encode()).hexdigest()\nSECRET_KEY_LENGTH = 64\n"),
    ("internal/auth_test.go", "token := \"test-token-123456\"\npassword := \"mock_password_42\"\n"),
    ("config/users.yml", "admin:\n  password: \"$2a$10${{gen:base64:53}}\"\n"),
    ("app/db.py", "DSN = \"postgres://%(user)s:%(password)s@%(host)s/app\"\npassword = \"%(db_password)s\"\n"),
    (".github/workflows/cache.yml", "      - uses: actions/checkout@{{gen:hex:40}}\n        with:\n          token: ${{open}} github.token {{close}}\n          key: cargo-${{open}} hashFiles('Cargo.lock') {{close}}\n"),
    ("src/main/java/Auth.java", "private static final String TOKEN_HEADER = \"Authorization\";\nprivate static final String API_KEY_PARAM = \"api_key\";\n"),
    ("service-account.json", "{\"type\": \"service_account\", \"private_key_id\": \"{{gen:hex:40}}\", \"private_key\": \"${GCP_PRIVATE_KEY}\", \"client_id\": \"{{gen:digit:21}}\"}\n"),
    ("web/app.js", "const nonce = \"{{gen:base64:24}}\";\nconst cacheKey = `session:${userId}`;\n"),
    ("k8s/tls-secret.yaml", "kind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t{{gen:base64:120}}\n"),
    ("src/api.rs", "let api_key = std::env::var(\"API_KEY\")?;\nlet token = format!(\"Bearer {api_key}\");\n"),
    ("terraform/outputs.tf", "output \"db_password\" {\n  value     = aws_db_instance.main.password\n  sensitive = true\n}\n"),
    ("docs/curl.md", "curl -H \"Authorization: Bearer ${API_TOKEN}\" https://api.acme.io\ncurl -u admin:<password> https://repo.acme.io\n"),
    ("app/.env.example", "STRIPE_SECRET_KEY=sk_live_...\nGITHUB_TOKEN=ghp_...\nDATABASE_URL=postgres://user:password@localhost:5432/app\n"),
    ("README.md", "Password rules: at least 12 characters.\nThe token is refreshed every hour.\n"),
    ("tests/fixtures/keys.py", "PUBLIC_KEY = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{{gen:base64:43}} test@ci\"\n"),
    ("go.mod", "module acme.io/api\n\nrequire github.com/stripe/stripe-go/v76 v76.25.0\n"),
    ("package.json", "{\"dependencies\": {\"jsonwebtoken\": \"^9.0.2\", \"@aws-sdk/client-secrets-manager\": \"^3.0.0\"}}\n"),
    ("app/models.py", "password_hash = db.Column(db.String(128))\napi_token_hash = \"$2b$12${{gen:base64:53}}\"\n"),
    ("docs/config.md", "| key | value |\n| --- | --- |\n| `password` | `********` |\n| `api_key` | `<your-key>` |\n"),
];

/// Realistic non-secrets that look like secrets to a naive scanner.
fn hard_negatives(rng: &mut Rng) -> Vec<(String, String)> {
    let hex = |rng: &mut Rng, n| rng.string(b"0123456789abcdef", n);
    let b64 = |rng: &mut Rng, n| rng.string(super::example::alphabet("base64").unwrap_or(b"A"), n);
    let mut out: Vec<(String, String)> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..3 {
        let (u, sha, sha256, md5) = (uuid(rng), hex(rng, 40), hex(rng, 64), hex(rng, 32));
        lines.extend([
            format!("request_id: {u}"),
            format!("\"tenantId\": \"{u}\","),
            format!("api_key_id = \"{u}\""),
            format!("client_id: {u}"),
            format!("token_id: {u}"),
            format!("commit: {sha}"),
            format!("GIT_COMMIT={sha}"),
            format!("\"sha\": \"{sha}\","),
            format!("rev = \"{sha}\""),
            format!("secret_sha1: {sha}"),
            format!("checksum = \"{sha256}\""),
            format!("\"digest\": \"sha256:{sha256}\""),
            format!("image: ghcr.io/acme/api@sha256:{sha256}"),
            format!("token_hash = \"{sha256}\""),
            format!("md5: {md5}"),
            format!("etag: \"{md5}\""),
            format!("password_md5 = \"{md5}\""),
        ]);
    }
    let placeholder_lines = [
        "password: changeme",
        "API_KEY=your_api_key_here",
        "token: <token>",
        "client_secret: \"<client-secret>\"",
        "secret: \"{{ secrets.DEPLOY_SECRET }}\"",
        "password: \"{{ vault_db_password }}\"",
        "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}",
        "password = \"********\"",
        "apiKey: 'xxxxxxxxxxxxxxxxxxxxxxxx'",
        "DB_PASSWORD=dummy-password",
        "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        "SLACK_TOKEN=xoxb-000000000000-000000000000-XXXXXXXXXXXXXXXXXXXXXXXX",
        "github_token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "OPENAI_API_KEY=sk-proj-REDACTED",
        "token = os.environ[\"API_TOKEN\"]",
        "const apiKey = process.env.API_KEY;",
        "secret := os.Getenv(\"APP_SECRET\")",
        "password = var.db_password",
        "password = random_password.db.result",
        "api_key = \"op://Engineering/Stripe/credential\"",
        "password: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db",
        "DB_PASSWORD=@Microsoft.KeyVault(SecretUri=https://acme.vault.azure.net/secrets/db/)",
        "token: !Ref DeployToken",
        "password: !vault |",
        "secretKeyRef:",
        "token_type: bearer",
        "password_min_length: 12",
        "secret_name: billing-db-credentials",
        "TOKEN_URL=https://auth.acme.io/oauth/token",
        "password: ${{ secrets.DB_PASSWORD }}",
        "auth_token: REPLACE_ME",
        "export API_TOKEN=\"$(vault kv get -field=token secret/ci)\"",
        "password: test",
        "postgres://postgres:postgres@localhost:5432/app_test",
        "mysql://root:root@127.0.0.1:3306/app",
        "amqp://guest:guest@localhost:5672/",
        "redis://localhost:6379/0",
        "https://user:password@example.com/",
        "curl -u \"$USER:$PASS\" https://repo.acme.io",
        "Authorization: Bearer $TOKEN",
    ];
    lines.extend(placeholder_lines.iter().map(|s| (*s).to_string()));
    // Provider-documented example credentials, assembled so this file holds none.
    lines.push(format!("aws_access_key_id = {}{}{}", "AKIA", "IOSFODNN7", "EXAMPLE"));
    lines.push(format!("aws_secret_access_key = {}{}{}", "wJalrXUtnFEMI/K7MDENG/", "bPxRfiCY", "EXAMPLEKEY"));
    lines.push(format!("STRIPE_SECRET_KEY={}{}", "sk_test_", "4eC39HqLyjWDarjtT1zdp7dc"));
    lines.push(format!(
        "Authorization: Bearer {}.{}.{}",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        ["SflKxwRJSMeKKF2QT4fwpMeJf36", "POk6yJV_adQssw5c"].concat()
    ));
    for (i, chunk) in lines.chunks(4).enumerate() {
        let kind = KINDS[i % KINDS.len()];
        let body = chunk.join("\n");
        let (path, text) = if matches!(kind, Kind::Json | Kind::Notebook) {
            wrap_verbatim(Kind::Yaml, &body, rng)
        } else {
            wrap_verbatim(kind, &body, rng)
        };
        out.push((path, text));
    }
    // Lockfiles.
    let integrity = |rng: &mut Rng| format!("sha512-{}==", b64(rng, 86));
    out.push((
        "package-lock.json".into(),
        format!(
            "{{\n  \"packages\": {{\n    \"node_modules/left-pad\": {{\n      \"version\": \"1.3.0\",\n      \"resolved\": \"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz\",\n      \"integrity\": \"{}\"\n    }}\n  }}\n}}\n",
            integrity(rng)
        ),
    ));
    out.push((
        "yarn.lock".into(),
        format!("left-pad@^1.3.0:\n  version \"1.3.0\"\n  integrity {}\n", integrity(rng)),
    ));
    out.push((
        "pnpm-lock.yaml".into(),
        format!("  /left-pad@1.3.0:\n    resolution: {{integrity: {}}}\n", integrity(rng)),
    ));
    out.push((
        "Cargo.lock".into(),
        format!(
            "[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            hex(rng, 64)
        ),
    ));
    out.push((
        "poetry.lock".into(),
        format!(
            "files = [\n    {{file = \"requests-2.31.0.tar.gz\", hash = \"sha256:{}\"}},\n]\n",
            hex(rng, 64)
        ),
    ));
    out.push(("go.sum".into(), format!("github.com/pkg/errors v0.9.1 h1:{}=\n", b64(rng, 43))));
    // Base64 images.
    let png = format!("iVBORw0KGgoAAAANSUhEUgAA{}", b64(rng, 400));
    out.push(("docs/index.md".into(), format!("![logo](data:image/png;base64,{png})\n")));
    out.push((
        "web/style.css".into(),
        format!(".logo {{ background: url(data:image/png;base64,{png}); }}\n"),
    ));
    out.push((
        "plots.ipynb".into(),
        format!("{{\"outputs\": [{{\"data\": {{\"image/png\": \"{png}\\n\"}}}}]}}\n"),
    ));
    // Public keys and certificates.
    out.push((
        "deploy/authorized_keys".into(),
        format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} ci@acme\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{} ops@acme\n", b64(rng, 43), b64(rng, 300)),
    ));
    let block = |rng: &mut Rng, label: &str| {
        let body: Vec<String> = (0..6).map(|_| b64(rng, 64)).collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", body.join("\n"))
    };
    out.push(("tls/ca.pem".into(), block(rng, "CERTIFICATE")));
    out.push(("tls/server.pub".into(), block(rng, "PUBLIC KEY")));
    out.push(("keys/release.asc".into(), block(rng, "PGP PUBLIC KEY BLOCK")));
    out.push(("tls/server.csr".into(), block(rng, "CERTIFICATE REQUEST")));
    out.push((
        "keys/recipients.txt".into(),
        format!("age1{}\n", rng.string(b"qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58)),
    ));
    // Test fixtures and ordinary high-entropy text.
    out.push((
        "tests/fixtures/users.json".into(),
        format!(
            "[{{\"id\": \"{}\", \"email\": \"a@example.com\", \"password\": \"test-password\", \"avatar\": \"{}\"}}]\n",
            uuid(rng),
            base64_encode(b"not a secret, just bytes")
        ),
    ));
    out.push((
        "web/dist/manifest.json".into(),
        format!(
            "{{\"main.js\": \"main.{}.js\", \"vendor.js\": \"vendor.{}.js\"}}\n",
            hex(rng, 20),
            hex(rng, 20)
        ),
    ));
    out.push((
        "src/lib.rs".into(),
        "/// Reads the token from the environment.\npub fn token() -> Option<String> {\n    std::env::var(\"API_TOKEN\").ok()\n}\n"
            .into(),
    ));
    out.push((
        ".env.example".into(),
        "DATABASE_URL=postgres://app:<password>@localhost/app\nAPI_KEY=\nSECRET_KEY=changeme\n".into(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_meets_the_recall_and_precision_targets() {
        let report = run(1).expect("harness runs");
        let overall = report.overall();
        assert!(report.samples.0 > 500 && report.samples.1 > 100, "{:?}", report.samples);
        assert!(
            overall.recall() >= 0.98 && overall.precision() >= 0.98,
            "recall {:.3}, precision {:.3}\n{}\n{}",
            overall.recall(),
            overall.precision(),
            report.table(),
            report.problems.join("\n")
        );
    }

    #[test]
    fn key_value_examples_are_rewritten_per_file_type() {
        let mut rng = Rng::new(5);
        let example = expand("API_TOKEN={{<}}{{gen:alnum:20}}{{>}}", &mut rng).expect("valid template");
        let embedded = embed(&example, &mut rng);
        assert_eq!(embedded.len(), KINDS.len());
        let secret = &example.text[example.secret.clone().expect("marked")];
        for (path, text, range) in &embedded {
            assert_eq!(&text[range.clone()], secret, "{path}");
        }
    }
}
