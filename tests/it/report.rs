//! Report formats: the human report (snapshots, colour per stream), the JSON schema's field
//! names, SARIF validated against the OASIS 2.1.0 schema, `-o FILE` permissions, `--show-secrets`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{assert_snapshot, normalize, Fakes, TestRepo};

/// The fake secrets planted by [`fixture`].
pub struct Planted {
    pub key: String,
    pub token: String,
    pub password: String,
    pub pem: String,
}

impl Planted {
    /// Every value, and for the key block each body line (a block can leak line by line).
    pub fn values(&self) -> Vec<String> {
        let mut all = vec![self.key.clone(), self.token.clone(), self.password.clone(), self.pem.clone()];
        all.extend(self.pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_string));
        all
    }
}

/// A repository with one clean commit and four files staged, each with a fake secret of a
/// different kind, in files of different types.
pub fn fixture(seed: u64) -> (TestRepo, Planted) {
    let repo = TestRepo::new();
    repo.write("README.md", "# app\n");
    repo.add(&["README.md"]);
    repo.commit_unchecked("initial");
    let mut fakes = Fakes::new(seed);
    let planted = Planted {
        key: fakes.aws_key_id(),
        token: fakes.github_token(),
        password: fakes.password(),
        pem: fakes.pem_block(),
    };
    repo.write("src/app.py", format!("import os\n\nAWS_KEY = \"{}\"\n", planted.key));
    repo.write(
        ".github/workflows/deploy.yml",
        format!("jobs:\n  deploy:\n    env:\n      GH: {}\n", planted.token),
    );
    repo.write("config/.env", format!("DB_PASSWORD={}\n", planted.password));
    repo.write("keys/server.txt", format!("server key\n{}\n", planted.pem));
    repo.add(&["src/app.py", ".github/workflows/deploy.yml", "config/.env", "keys/server.txt"]);
    (repo, planted)
}

fn escape_ansi(text: &str) -> String {
    text.replace('\u{1b}', "\\e")
}

#[test]
fn human_pre_commit_report_snapshot_without_colour() {
    let (repo, planted) = fixture(601);
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.stdout, "", "the hook writes its report to stderr only");
    assert!(!run.stderr.contains('\u{1b}'), "NO_COLOR is set and stderr is not a terminal");
    for value in planted.values() {
        run.assert_no_leak(&value);
    }
    assert_snapshot("pre_commit_human", &normalize(&run.stderr, repo.temp_root()));
}

#[test]
fn human_scan_report_snapshot_with_colour() {
    let (repo, planted) = fixture(602);
    let run = repo.leakgate(&[
        "--color",
        "always",
        "scan",
        "src/app.py",
        "config/.env",
        ".github/workflows/deploy.yml",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("\u{1b}["), "--color always colours even a pipe");
    for value in planted.values() {
        run.assert_no_leak(&value);
    }
    assert_snapshot("scan_human_color", &escape_ansi(&normalize(&run.stdout, repo.temp_root())));
}

#[test]
fn the_human_report_teaches_per_file_type_and_ends_with_a_summary() {
    let (repo, _) = fixture(603);
    let run = repo.leakgate(&["pre-commit"]);
    let err = &run.stderr;
    assert!(err.starts_with("leakgate: commit blocked: it adds 5 secrets in 4 files\n"), "{err}");
    assert!(err.contains("os.environ[\"AWS_ACCESS_KEY_ID\"]"), "{err}");
    assert!(err.contains("${{ secrets.GITHUB_TOKEN }}"), "{err}");
    assert!(err.contains("git rm --cached config/.env"), "{err}");
    assert!(err.contains("git restore --staged src/app.py"), "{err}");
    assert!(err.contains("https://console.aws.amazon.com/iam/"), "{err}");
    assert!(err.contains("rewriting history is not enough: revoke it first"), "{err}");
    let step1 = err.find("1. take it out").expect("step 1");
    let step2 = err.find("2. if the value was ever real").expect("step 2");
    let step3 = err.find("3. if it was already pushed").expect("step 3");
    assert!(step1 < step2 && step2 < step3, "remediation steps out of order");
    assert!(
        err.trim_end()
            .lines()
            .last()
            .expect("summary")
            .starts_with("leakgate: 5 findings (5 blocking) in 4 files scanned"),
        "{err}"
    );
}

#[test]
fn colour_is_decided_for_the_stream_written_to() {
    let (repo, _) = fixture(604);
    let has_colour = |repo: &TestRepo, args: &[&str]| repo.leakgate(args).stderr.contains("\u{1b}[");
    // The harness sets NO_COLOR=1 and no TERM; stderr is a pipe.
    assert!(!has_colour(&repo, &["pre-commit"]));
    assert!(has_colour(&repo, &["--color", "always", "pre-commit"]), "the flag beats NO_COLOR");
    repo.set_env("CLICOLOR_FORCE", "1");
    assert!(!has_colour(&repo, &["pre-commit"]), "NO_COLOR beats CLICOLOR_FORCE");
    repo.unset_env("NO_COLOR");
    assert!(has_colour(&repo, &["pre-commit"]), "CLICOLOR_FORCE colours a pipe");
    assert!(!has_colour(&repo, &["--color", "never", "pre-commit"]), "the flag beats CLICOLOR_FORCE");
    repo.unset_env("CLICOLOR_FORCE");
    repo.set_env("TERM", "xterm-256color");
    assert!(!has_colour(&repo, &["pre-commit"]), "auto: stderr is not a terminal");
    let json = repo.leakgate(&["--color", "always", "scan", "--format", "json", "src"]);
    assert!(!json.stdout.contains('\u{1b}'), "machine formats are never coloured");
}

/// `auto` colours when the stream is a terminal: run the hook under a pseudo-terminal with
/// util-linux `script` (skipped where it is missing).
#[test]
fn auto_colours_a_terminal_and_no_color_still_wins() {
    let (repo, _) = fixture(609);
    if repo.command("script").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return; // no util-linux `script`: nothing to drive a pseudo-terminal with
    }
    let in_pty = |repo: &TestRepo| {
        let cmd = format!("'{}' pre-commit", crate::harness::leakgate_bin());
        let out =
            repo.command("script").args(["-q", "-e", "-c", &cmd, "/dev/null"]).output().expect("script runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    repo.set_env("TERM", "xterm-256color");
    let transcript = in_pty(&repo);
    assert!(transcript.contains("commit blocked"), "{transcript}");
    assert!(!transcript.contains("\u{1b}["), "NO_COLOR=1 is set, yet the terminal got colour");
    repo.unset_env("NO_COLOR");
    let transcript = in_pty(&repo);
    assert!(transcript.contains("commit blocked"), "{transcript}");
    assert!(transcript.contains("\u{1b}["), "auto did not colour a terminal: {transcript}");
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().expect("object").keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn json_report_field_names_are_stable() {
    let (repo, planted) = fixture(605);
    let run = repo.leakgate(&["scan", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for value in planted.values() {
        run.assert_no_leak(&value);
    }
    let doc: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let schema: Value =
        serde_json::from_str(include_str!("../../docs/json-report.schema.json")).expect("schema is JSON");
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles");
    let errors = schema_errors(&validator, &doc);
    assert!(
        errors.is_empty(),
        "the JSON report does not match docs/json-report.schema.json:\n{}",
        errors.join("\n")
    );
    assert_eq!(keys(&doc), set(&["schema_version", "tool", "command", "findings", "summary"]));
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(keys(&doc["tool"]), set(&["name", "version"]));
    assert_eq!(doc["tool"]["name"], "leakgate");
    assert_eq!(
        keys(&doc["summary"]),
        set(&[
            "files_scanned",
            "bytes_scanned",
            "binary_skipped",
            "too_large_skipped",
            "findings",
            "blocking"
        ])
    );
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 5);
    for f in findings {
        assert_eq!(
            keys(f),
            set(&[
                "rule_id",
                "rule_name",
                "severity",
                "path",
                "line",
                "column",
                "end_line",
                "end_column",
                "origin",
                "secret_redacted",
                "fingerprint",
                "blocking",
                "remediation"
            ])
        );
        assert_eq!(keys(&f["remediation"]), set(&["revoke", "url", "instead"]));
        assert_eq!(f["origin"]["kind"], "file");
        assert!(f["fingerprint"].as_str().expect("fp").starts_with("lg1:"));
    }
    let py = findings.iter().find(|f| f["path"] == "src/app.py").expect("python finding");
    assert_eq!(
        (py["rule_id"].as_str(), py["line"].as_u64(), py["column"].as_u64()),
        (Some("aws.access-key-id"), Some(3), Some(12))
    );
    assert_eq!(py["end_column"].as_u64(), Some(32));
    let pem = findings.iter().find(|f| f["path"] == "keys/server.txt").expect("key finding");
    assert_eq!((pem["line"].as_u64(), pem["end_line"].as_u64()), (Some(2), Some(9)));

    // The staged change: origin "index"; a clean scan is still a complete document.
    let staged = repo.leakgate(&["scan", "--staged", "--format", "json"]);
    let doc: Value = serde_json::from_str(&staged.stdout).expect("json");
    assert!(schema_errors(&validator, &doc).is_empty());
    assert_eq!(doc["findings"][0]["origin"]["kind"], "index");
    assert!(doc["findings"][0]["origin"].get("commit").is_none());
    let clean = repo.leakgate(&["scan", "--format", "json", "README.md"]);
    assert_eq!(clean.code, 0);
    let doc: Value = serde_json::from_str(&clean.stdout).expect("json");
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(doc["summary"]["files_scanned"], 1);
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json")).expect("schema is JSON");
    jsonschema::options().should_validate_formats(true).build(&schema).expect("the SARIF schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

fn walk_keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                walk_keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk_keys(v, out)),
        _ => {}
    }
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0_for_github_code_scanning() {
    let (repo, planted) = fixture(606);
    repo.write("my dir/conf.py", format!("x = 1\nKEY = '{}'\n", planted.key));
    let run = repo.leakgate(&["scan", "--format", "sarif", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for value in planted.values() {
        run.assert_no_leak(&value);
    }
    let log: Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors = schema_errors(&validator, &log);
    assert!(errors.is_empty(), "SARIF schema violations:\n{}", errors.join("\n"));

    // The validator really validates: a broken log is rejected.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!schema_errors(&validator, &broken).is_empty(), "an invalid level passed the schema");

    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "leakgate");
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    for rule in rules {
        for field in
            ["id", "shortDescription", "fullDescription", "help", "defaultConfiguration", "properties"]
        {
            assert!(rule.get(field).is_some(), "rule without {field}: {rule}");
        }
        assert!(rule["help"]["markdown"].as_str().is_some_and(|m| m.contains("revoke")));
        let sev: f64 =
            rule["properties"]["security-severity"].as_str().expect("string").parse().expect("number");
        assert!((0.0..=10.0).contains(&sev));
        assert!(rule["properties"]["tags"].as_array().expect("tags").contains(&Value::from("security")));
    }
    let results = run0["results"].as_array().expect("results");
    assert_eq!(results.len(), 6);
    for r in results {
        let rule_id = r["ruleId"].as_str().expect("ruleId");
        assert!(rules.iter().any(|rule| rule["id"] == rule_id));
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with('/') && !uri.contains('\\') && !uri.starts_with("./"), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1));
        assert!(r["partialFingerprints"]["leakgate/v1"].as_str().is_some_and(|f| f.starts_with("lg1:")));
    }
    assert!(results
        .iter()
        .any(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20dir/conf.py"));
    let mut all_keys = Vec::new();
    walk_keys(&log, &mut all_keys);
    assert!(
        !all_keys.iter().any(|k| k == "snippet" || k == "contextRegion"),
        "SARIF must carry no source text"
    );

    // The same fingerprints as the JSON report.
    let json: Value =
        serde_json::from_str(&repo.leakgate(&["scan", "--format", "json", "."]).stdout).expect("json");
    let json_fps: BTreeSet<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    let sarif_fps: BTreeSet<&str> =
        results.iter().filter_map(|r| r["partialFingerprints"]["leakgate/v1"].as_str()).collect();
    assert_eq!(json_fps, sarif_fps);

    // Run from a subdirectory: URIs stay relative to the repository root.
    let sub = repo
        .command(crate::harness::leakgate_bin())
        .current_dir(repo.path("src"))
        .args(["scan", "--format", "sarif", "."])
        .output()
        .expect("run");
    let sub: Value = serde_json::from_slice(&sub.stdout).expect("sarif");
    assert_eq!(
        sub["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/app.py"
    );

    // A clean run is a valid log with no results.
    let clean = repo.leakgate(&["scan", "--format", "sarif", "README.md"]);
    let clean: Value = serde_json::from_str(&clean.stdout).expect("json");
    assert!(schema_errors(&validator, &clean).is_empty());
    assert_eq!(clean["runs"][0]["results"].as_array().map(Vec::len), Some(0));
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("report file").permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn output_files_are_owner_only_and_created_fresh() {
    use std::os::unix::fs::PermissionsExt;
    let (repo, planted) = fixture(607);
    let out = repo.temp_root().join("report.json");
    std::fs::write(&out, "stale").expect("stale file");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out_arg = out.to_str().expect("utf-8 path");
    let run = repo.leakgate(&["scan", "--format", "json", "-o", out_arg, "src"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "", "-o sends the report to the file, not stdout");
    assert_eq!(mode(&out), 0o600);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    assert_eq!(doc["summary"]["findings"], 1);

    // The hook: the human report on stderr, the machine report in the file.
    let sarif = repo.temp_root().join("hook.sarif");
    let run = repo.leakgate(&["pre-commit", "--format", "sarif", "-o", sarif.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("commit blocked"), "{}", run.stderr);
    assert!(!run.stderr.contains("\"runs\""), "a machine format leaked into the hook's stderr");
    assert_eq!(mode(&sarif), 0o600);
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).expect("read")).expect("json");
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(5));

    // A human report to a file has no colour, even with --color always.
    let txt = repo.temp_root().join("report.txt");
    repo.leakgate(&["--color", "always", "scan", "-o", txt.to_str().expect("utf-8"), "src"]);
    let text = std::fs::read_to_string(&txt).expect("read");
    assert!(text.contains("aws.access-key-id") && !text.contains('\u{1b}'), "{text}");
    assert_eq!(mode(&txt), 0o600);

    // Machine formats in a hook need a file: git would show them to people as text.
    let run = repo.leakgate(&["pre-commit", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("-o FILE"), "{}", run.stderr);

    for path in [&out, &sarif, &txt] {
        let content = std::fs::read_to_string(path).expect("read");
        for value in planted.values() {
            assert!(!content.contains(&value), "{} contains a secret", path.display());
        }
    }
}

#[test]
fn show_secrets_is_explicit_scan_only_and_human_only() {
    let (repo, planted) = fixture(608);
    let run = repo.leakgate(&["scan", "--show-secrets", "src"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(&planted.key), "--show-secrets must show the value");
    assert!(run.stdout.contains("warning: --show-secrets"), "{}", run.stdout);

    let json = repo.leakgate(&["scan", "--show-secrets", "--format", "json", "src"]);
    json.assert_no_leak(&planted.key);
    assert!(json.stderr.contains("values stay redacted"), "{}", json.stderr);
    let file = repo.temp_root().join("shown.txt");
    repo.leakgate(&["scan", "--show-secrets", "-o", file.to_str().expect("utf-8"), "src"]);
    assert!(
        !std::fs::read_to_string(&file).expect("read").contains(&planted.key),
        "values written to a file"
    );

    let hook = repo.leakgate(&["pre-commit", "--show-secrets"]);
    assert_eq!(hook.code, 2, "the hook has no --show-secrets");
    hook.assert_no_leak(&planted.key);
}
