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
    let mut out = String::from("&[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let text = std::fs::read_to_string(file).expect("readable rule file");
        let parsed: spec::RuleFileSpec =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let family = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        for rule in parsed.rule {
            check(&rule, file);
            assert!(ids.insert(rule.id.clone()), "{}: duplicate rule id {}", file.display(), rule.id);
            emit(&mut out, &rule, family);
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
    out.push_str("]\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("write generated rules");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("keyword_table.rs");
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

fn emit(out: &mut String, r: &spec::RuleSpec, family: &str) {
    let list = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
        format!("&[{}]", items.join(", "))
    };
    let opt = |v: &Option<String>| match v {
        Some(s) => format!("Some({s:?})"),
        None => "None".to_string(),
    };
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
    let (relaxed_code, relaxed_group) = match folded_hir.as_ref().or(hir.as_ref()) {
        Some(run) if !starts.is_empty() => match hircode::relax(run) {
            Some((relaxed, group, max)) => (encoded(&relaxed), (group, max)),
            None => (Vec::new(), (0, 0)),
        },
        _ => (Vec::new(), (0, 0)),
    };
    writeln!(
        out,
        "RuleDef {{ id: {:?}, family: {:?}, name: {:?}, description: {:?}, severity: Severity::{}, \
         keywords: {}, regex: {}, hir: {}, single_line: {}, required: {}, starts: {}, relaxed: {}, relaxed_group: {:?}, folded: {}, folded_hir: {}, path_required: {}, path_hir: {}, path: {}, entropy: {}, validator: {}, placeholders: {}, \
         revoke: {:?}, url: {:?}, instead: {:?}, examples: {}, negative_examples: {} }},",
        r.id,
        family,
        r.name,
        r.description,
        capitalize(&r.severity),
        list(&keywords),
        opt(&r.regex),
        bytes_literal(&hir.as_ref().map(encoded).unwrap_or_default()),
        r.regex.as_deref().is_some_and(lines::single_line),
        bytes_literal(&r.regex.as_deref().map(|p| required::compile_given(p, &keywords)).unwrap_or_default()),
        bytes_literal(&starts),
        bytes_literal(&relaxed_code),
        relaxed_group,
        folded,
        bytes_literal(&folded_code),
        bytes_literal(&r.path.as_deref().map(required::compile_path).unwrap_or_default()),
        bytes_literal(
            &r.path.as_deref().map(|p| hircode::compile(p).unwrap_or_else(|e| panic!("rule {}: {e}", r.id))).unwrap_or_default(),
        ),
        opt(&r.path),
        match r.entropy {
            Some(e) => format!("Some({e:?}_f64)"),
            None => "None".to_string(),
        },
        opt(&r.validator),
        r.placeholders,
        r.remediation.revoke,
        r.remediation.url,
        r.remediation.instead,
        list(&r.examples),
        list(&r.negative_examples),
    )
    .expect("write to string");
}

/// `bytes` as a Rust byte-string literal.
fn bytes_literal(bytes: &[u8]) -> String {
    format!("b\"{}\"", bytes.iter().map(|b| format!("\\x{b:02x}")).collect::<String>())
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}
