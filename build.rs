//! Turns the built-in rule catalog (`src/rules/builtin/*.toml`) into static Rust data, so that
//! start-up parses nothing: the hook's cost stays proportional to the staged diff.

use std::fmt::Write as _;
use std::path::Path;

#[allow(dead_code, missing_docs)]
#[path = "src/rules/spec.rs"]
mod spec;

#[path = "src/rules/lines.rs"]
mod lines;

#[allow(dead_code)]
#[path = "src/rules/hircode.rs"]
mod hircode;

#[allow(dead_code)]
#[path = "src/rules/required.rs"]
mod required;

#[path = "src/rules/syntax.rs"]
mod syntax;

#[allow(dead_code)]
#[path = "src/rules/varint.rs"]
mod varint;

#[allow(dead_code)]
#[path = "src/rules/nfacode.rs"]
mod nfacode;

#[path = "build/keywords.rs"]
mod keywords;

fn main() {
    let dir = Path::new("src/rules/builtin");
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rerun-if-changed=src/rules/lines.rs");
    println!("cargo:rerun-if-changed=src/rules/spec.rs");
    println!("cargo:rerun-if-changed=src/rules/syntax.rs");
    println!("cargo:rerun-if-changed=build/keywords.rs");
    println!("cargo:rerun-if-changed=src/rules/hircode.rs");
    println!("cargo:rerun-if-changed=src/rules/required.rs");
    println!("cargo:rerun-if-changed=src/rules/nfacode.rs");
    println!("cargo:rerun-if-changed=src/rules/varint.rs");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src/rules/builtin exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();

    let mut ids = std::collections::BTreeSet::new();
    // Content rules' keywords in order of first use, each with the rules it selects.
    let mut keyword_rules: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index = 0;
    let mut catalog = Catalog::default();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let text = std::fs::read_to_string(file).expect("readable rule file");
        let parsed: spec::RuleFileSpec =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let family = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        for rule in parsed.rule {
            check(&rule, file);
            assert!(ids.insert(rule.id.clone()), "{}: duplicate rule id {}", file.display(), rule.id);
            catalog.add(&rule, family);
            if rule.regex.is_some() {
                for keyword in &rule.keywords {
                    let keyword = keyword.to_ascii_lowercase();
                    assert!(keyword.len() < 256, "{}: keyword too long", rule.id);
                    match keyword_rules.iter_mut().find(|(k, _)| *k == keyword) {
                        Some((_, rules)) => rules.push(index),
                        None => keyword_rules.push((keyword, vec![index])),
                    }
                }
            }
            index += 1;
        }
    }
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    catalog.write(Path::new(&out_dir));
    let dest = Path::new(&out_dir).join("keyword_table.rs");
    std::fs::write(dest, keywords::emit(&keyword_rules)).expect("write keyword table");
    remediation();
}

/// Turns `src/report/remediation.toml` into two static tables: the file kinds and the suggested
/// variable names.
fn remediation() {
    let source = "src/report/remediation.toml";
    println!("cargo:rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).expect("readable remediation table");
    let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{source}: {e}"));
    for key in table.keys() {
        assert!(key == "names" || key == "kind", "{source}: unknown table {key}");
    }
    let mut names = String::from("&[\n");
    for (rule, name) in table.get("names").and_then(toml::Value::as_table).into_iter().flatten() {
        let name = name.as_str().unwrap_or_else(|| panic!("{source}: names.{rule} is not a string"));
        writeln!(names, "({rule:?}, {name:?}),").expect("write to string");
    }
    names.push(']');
    let mut kinds = String::from("&[\n");
    let entries =
        table.get("kind").and_then(toml::Value::as_array).unwrap_or_else(|| panic!("{source}: no [[kind]]"));
    for entry in entries {
        let entry = entry.as_table().unwrap_or_else(|| panic!("{source}: a [[kind]] is not a table"));
        let known = ["label", "names", "extensions", "under", "advice", "reference", "keep-out"];
        for key in entry.keys() {
            assert!(known.contains(&key.as_str()), "{source}: unknown key {key}");
        }
        let text = |key: &str| {
            entry
                .get(key)
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("{source}: a kind needs {key}"))
        };
        let list = |key: &str, lower: bool| {
            let items: Vec<String> = entry
                .get(key)
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| v.as_str().unwrap_or_else(|| panic!("{source}: {key} holds a non-string")))
                .map(|v| format!("{:?}", if lower { v.to_ascii_lowercase() } else { v.to_string() }))
                .collect();
            format!("&[{}]", items.join(", "))
        };
        let keep_out =
            entry.get("keep-out").map(|v| v.as_bool().expect("keep-out is a boolean")).unwrap_or(false);
        writeln!(
            kinds,
            "FileKind {{ label: {:?}, names: {}, extensions: {}, under: {}, advice: {:?}, reference: {:?}, keep_out: {keep_out} }},",
            text("label"),
            list("names", false),
            list("extensions", true),
            list("under", false),
            text("advice"),
            text("reference"),
        )
        .expect("write to string");
    }
    kinds.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).to_path_buf();
    std::fs::write(out.join("remediation_kinds.rs"), kinds).expect("write remediation kinds");
    std::fs::write(out.join("remediation_names.rs"), names).expect("write remediation names");
}

fn check(rule: &spec::RuleSpec, file: &Path) {
    let at = || format!("{}: rule {}", file.display(), rule.id);
    assert!(
        matches!(rule.severity.as_str(), "critical" | "high" | "medium" | "low"),
        "{}: unknown severity {:?}",
        at(),
        rule.severity
    );
    assert!(rule.regex.is_some() || rule.path.is_some(), "{}: needs regex or path", at());
    assert!(
        rule.regex.is_none() || !rule.keywords.is_empty(),
        "{}: a content rule needs keywords for the prefilter",
        at()
    );
    assert!(
        rule.keywords.iter().all(|k| k.len() >= 3 && k.is_ascii()),
        "{}: keywords must be ASCII and at least 3 bytes",
        at()
    );
}

/// The built-in rules as `src/rules/def.rs` reads them: no pointer in any of it (see there why).
/// Strings go into one text, compiled patterns into one byte blob (each stored once), and every
/// rule is a `Packed` of spans into them.
#[derive(Default)]
struct Catalog {
    text: String,
    code: Vec<u8>,
    stored_text: std::collections::HashMap<String, (usize, usize)>,
    stored_code: std::collections::HashMap<Vec<u8>, (usize, usize)>,
    packed: String,
    builtin: String,
    count: usize,
}

impl Catalog {
    fn text(&mut self, s: &str) -> String {
        let (at, len) = *self.stored_text.entry(s.to_string()).or_insert_with(|| {
            self.text.push_str(s);
            (self.text.len() - s.len(), s.len())
        });
        format!("Span({at}, {len})")
    }

    fn code(&mut self, bytes: &[u8]) -> String {
        let (at, len) = *self.stored_code.entry(bytes.to_vec()).or_insert_with(|| {
            self.code.extend_from_slice(bytes);
            (self.code.len() - bytes.len(), bytes.len())
        });
        format!("Span({at}, {len})")
    }

    /// A list, its items joined by `LIST_SEPARATOR`.
    fn list(&mut self, items: &[String], what: &str) -> String {
        for item in items {
            assert!(!item.is_empty() && !item.contains('\0'), "{what}: an empty item, or one holding NUL");
        }
        self.text(&items.join("\0"))
    }

    fn opt_text(&mut self, s: &Option<String>) -> String {
        match s {
            Some(s) => format!("Some({})", self.text(s)),
            None => "None".to_string(),
        }
    }

    fn add(&mut self, r: &spec::RuleSpec, family: &str) {
        let keywords: Vec<String> = r.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        let starts = r.regex.as_deref().map(required::starts).unwrap_or_default();
        let hir = r
            .regex
            .as_deref()
            .map(|p| syntax::parser().parse(p).unwrap_or_else(|e| panic!("rule {}: {e}", r.id)));
        let encoded = |hir: &regex_syntax::hir::Hir| {
            let mut code = Vec::new();
            hircode::encode(hir, &mut code);
            code
        };
        // Case-folded forms are made here, not at run time: folding a pattern cost more than it
        // saves in compiling it. The relaxed form is relaxed from the form the engine runs.
        let folded_hir = hir.as_ref().and_then(hircode::fold);
        let folded = folded_hir.is_some();
        let folded_code = folded_hir.as_ref().map(encoded).unwrap_or_default();
        let (relaxed, relaxed_group) = match folded_hir.as_ref().or(hir.as_ref()) {
            Some(run) if !starts.is_empty() => match hircode::relax(run) {
                Some((relaxed, group, max)) => (Some(relaxed), (group, max)),
                None => (None, (0, 0)),
            },
            _ => (None, (0, 0)),
        };
        let relaxed_code = relaxed.as_ref().map(encoded).unwrap_or_default();
        // The NFA the engine searches on keyword lines, for the rules run anchored at start
        // candidates (the others run unanchored, through regex-automata's meta regex).
        let mut nfa_code = Vec::new();
        if let Some(run) =
            relaxed.as_ref().or(folded_hir.as_ref()).or(hir.as_ref()).filter(|_| !starts.is_empty())
        {
            let nfa = nfacode::compile(run).unwrap_or_else(|e| panic!("rule {}: {e}", r.id));
            nfacode::encode(&nfa, run.properties().minimum_len(), &mut nfa_code)
                .unwrap_or_else(|| panic!("rule {}: NFA not encodable", r.id));
        }
        let required = r.regex.as_deref().map(|p| required::compile_given(p, &keywords)).unwrap_or_default();
        let path_required = r.path.as_deref().map(required::compile_path).unwrap_or_default();
        let path_hir = r
            .path
            .as_deref()
            .map(|p| hircode::compile(p).unwrap_or_else(|e| panic!("rule {}: {e}", r.id)))
            .unwrap_or_default();
        let fields = [
            format!("id: {}", self.text(&r.id)),
            format!("family: {}", self.text(family)),
            format!("name: {}", self.text(&r.name)),
            format!("description: {}", self.text(&r.description)),
            format!("keywords: {}", self.list(&keywords, &r.id)),
            format!("regex: {}", self.opt_text(&r.regex)),
            format!("hir: {}", self.code(&hir.as_ref().map(encoded).unwrap_or_default())),
            format!("single_line: {}", r.regex.as_deref().is_some_and(lines::single_line)),
            format!("required: {}", self.code(&required)),
            format!("starts: {}", self.code(&starts)),
            format!("relaxed: {}", self.code(&relaxed_code)),
            format!("relaxed_group: {relaxed_group:?}"),
            format!("nfa: {}", self.code(&nfa_code)),
            format!("folded: {folded}"),
            format!("folded_hir: {}", self.code(&folded_code)),
            format!("path_required: {}", self.code(&path_required)),
            format!("path_hir: {}", self.code(&path_hir)),
            format!("path: {}", self.opt_text(&r.path)),
            format!("validator: {}", self.opt_text(&r.validator)),
            format!("placeholders: {}", r.placeholders),
            format!("revoke: {}", self.text(&r.remediation.revoke)),
            format!("url: {}", self.text(&r.remediation.url)),
            format!("instead: {}", self.text(&r.remediation.instead)),
            format!("examples: {}", self.list(&r.examples, &r.id)),
            format!("negative_examples: {}", self.list(&r.negative_examples, &r.id)),
        ];
        writeln!(self.packed, "Packed {{ {} }},", fields.join(", ")).expect("write to string");
        let entropy = match r.entropy {
            Some(e) => format!("Some({e:?}_f64)"),
            None => "None".to_string(),
        };
        let path_only = r.regex.is_none() && r.path.is_some();
        writeln!(
            self.builtin,
            "RuleDef::builtin({}, Severity::{}, {entropy}, {path_only}),",
            self.count,
            capitalize(&r.severity)
        )
        .expect("write to string");
        self.count += 1;
    }

    fn write(&self, out_dir: &Path) {
        assert!(self.text.len() < u32::MAX as usize && self.code.len() < u32::MAX as usize);
        std::fs::write(out_dir.join("rules_text.txt"), &self.text).expect("write rule text");
        std::fs::write(out_dir.join("rules_code.bin"), &self.code).expect("write rule code");
        let rust = format!(
            "static TEXT: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/rules_text.txt\"));\n\
             static CODE: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/rules_code.bin\"));\n\
             static PACKED: [Packed; {n}] = [\n{}];\n\
             /// The built-in catalog, in file order.\n\
             pub static BUILTIN: &[RuleDef] = &[\n{}];\n",
            self.packed,
            self.builtin,
            n = self.count,
        );
        std::fs::write(out_dir.join("builtin_rules.rs"), rust).expect("write generated rules");
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}
