//! The no-leak canary: every command and format runs over planted fake secrets, and no raw value
//! may appear in stdout, stderr, a report file, the audit log or any other file leakgate can
//! write (everything under the temp HOME and the output directory). `scan --show-secrets` is the
//! positive control that proves the check can see a leak.

use crate::harness::{contains_bytes, files_under, Run};
use crate::report::fixture;

#[test]
fn no_command_or_format_ever_writes_a_secret() {
    let (repo, planted) = fixture(901);
    let values = planted.values();
    let out_dir = repo.temp_root().join("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let out = |name: &str| out_dir.join(name).to_string_lossy().into_owned();
    let mut runs: Vec<(String, Run)> = Vec::new();
    let mut record = |label: &str, run: Run| runs.push((label.to_string(), run));

    // The hook, every way it can report.
    record("pre-commit", repo.leakgate(&["pre-commit"]));
    record("-v pre-commit", repo.leakgate(&["-v", "pre-commit"]));
    record("--color always pre-commit", repo.leakgate(&["--color", "always", "pre-commit"]));
    for format in ["human", "json", "sarif"] {
        let file = out(&format!("hook.{format}"));
        record(
            &format!("pre-commit {format}"),
            repo.leakgate(&["pre-commit", "--format", format, "-o", &file]),
        );
    }
    record("pre-commit json without -o", repo.leakgate(&["pre-commit", "--format", "json"]));
    repo.install_hook();
    record("git commit", repo.commit(&["-m", "leak"]));

    // Scans of paths, the staged change and stdin, in every format, to stdout and to files.
    let stdin_text = format!(
        "log line\n{}\n{}\n{}\npassword={}\n",
        planted.key, planted.token, planted.pem, planted.password
    );
    for format in ["human", "json", "sarif"] {
        record(&format!("scan . {format}"), repo.leakgate(&["scan", "--format", format, "."]));
        record(&format!("scan --staged {format}"), repo.leakgate(&["scan", "--staged", "--format", format]));
        record(
            &format!("scan - {format}"),
            repo.leakgate_stdin(&["scan", "--format", format, "-"], stdin_text.as_bytes()),
        );
        let file = out(&format!("scan.{format}"));
        record(&format!("scan -o {format}"), repo.leakgate(&["scan", "--format", format, "-o", &file, "."]));
    }
    record("-v --color always scan", repo.leakgate(&["-v", "--color", "always", "scan", "."]));
    record("scan --show-secrets json", repo.leakgate(&["scan", "--show-secrets", "--format", "json", "."]));
    let shown_file = out("shown.txt");
    record("scan --show-secrets -o", repo.leakgate(&["scan", "--show-secrets", "-o", &shown_file, "."]));

    // The filter, the audit log and its listings.
    record("redact", repo.leakgate_stdin(&["redact"], stdin_text.as_bytes()));
    record("-v redact", repo.leakgate_stdin(&["-v", "redact"], stdin_text.as_bytes()));
    record("audit", repo.leakgate(&["audit"]));
    record("audit json", repo.leakgate(&["audit", "--format", "json"]));
    let json = repo.leakgate(&["scan", "--format", "json", "src"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let fp = doc["findings"][0]["fingerprint"].as_str().expect("fingerprint").to_string();
    record("audit --fingerprint", repo.leakgate(&["audit", "--fingerprint", &fp]));

    // Error paths: a broken policy, a missing path, a usage error.
    repo.write(".leakgate.toml", "min-severity-to-block = \"sometimes\"\n");
    record("pre-commit with a bad policy", repo.leakgate(&["pre-commit"]));
    std::fs::remove_file(repo.path(".leakgate.toml")).expect("remove policy");
    record("scan of a missing path", repo.leakgate(&["scan", "no/such/path"]));
    record("pre-commit --show-secrets", repo.leakgate(&["pre-commit", "--show-secrets"]));

    let mut leaks = Vec::new();
    for (label, run) in &runs {
        for (i, value) in values.iter().enumerate() {
            if run.all().contains(value.as_str()) {
                leaks.push(format!("{label}: value #{i} in its output"));
            }
        }
    }
    // Every file leakgate may have written: reports, the audit log (under HOME), caches.
    let mut files = files_under(repo.home());
    files.extend(files_under(&out_dir));
    assert!(files.iter().any(|(p, _)| p.ends_with("audit.jsonl")), "the audit log was not written");
    assert!(files.iter().filter(|(p, _)| p.starts_with(&out_dir)).count() >= 7, "report files missing");
    for (path, content) in &files {
        for (i, value) in values.iter().enumerate() {
            if contains_bytes(content, value.as_bytes()) {
                leaks.push(format!("{}: value #{i}", path.display()));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));

    // Positive control: the check sees a value when one is printed on purpose.
    let shown = repo.leakgate(&["scan", "--show-secrets", "src"]);
    assert!(shown.stdout.contains(&planted.key), "the canary check cannot see leaks");
}
