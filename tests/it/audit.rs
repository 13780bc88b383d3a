//! The audit log: what a blocked commit records (and what a clean one does not), permissions,
//! rotation-safe reading, credentials stripped from remote URLs, and sibling copies of one secret
//! found across two repositories.

use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;

use crate::harness::{Fakes, TestRepo};

fn events(log: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(log).expect("audit log exists");
    text.lines().map(|l| serde_json::from_str(l).expect("each line is one JSON event")).collect()
}

fn hooked_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# app\n");
    repo.add(&["README.md"]);
    repo.commit_unchecked("initial");
    repo.install_hook();
    repo
}

#[test]
fn a_blocked_commit_is_recorded_without_the_value_and_privately() {
    let repo = hooked_repo();
    // A remote URL with credentials in it: they must not reach the log.
    let user_info = ["deploy", ":", "s3cr3t-pa55", "@"].concat();
    repo.git(&["remote", "add", "origin", &format!("https://{user_info}git.example.invalid/acme/app.git")]);
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    let data = repo.temp_root().join("data");
    repo.set_env("LEAKGATE_DATA_DIR", data.as_os_str());
    let key = Fakes::new(701).aws_key_id();
    repo.write("app/settings.py", format!("import os\n\nKEY = \"{key}\"\n"));
    repo.add(&["app/settings.py"]);
    let run = repo.commit(&["-m", "settings"]);
    assert_ne!(run.code, 0, "the commit went through");

    let log = data.join("audit.jsonl");
    let all = events(&log);
    assert_eq!(all.len(), 1, "{all:?}");
    let e = &all[0];
    let fields: Vec<&str> = e.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(
        fields.iter().copied().collect::<std::collections::BTreeSet<_>>(),
        ["time", "event", "repository", "branch", "commit", "file", "line", "rule", "fingerprint"]
            .into_iter()
            .collect()
    );
    assert_eq!(e["event"], "blocked");
    assert_eq!(e["repository"], "https://git.example.invalid/acme/app.git");
    assert_eq!(e["branch"], "feature/x");
    assert_eq!(e["commit"], "(staged)");
    assert_eq!(e["file"], "app/settings.py");
    assert_eq!(e["line"], 3);
    assert_eq!(e["rule"], "aws.access-key-id");
    assert!(e["fingerprint"].as_str().is_some_and(|f| f.starts_with("lg1:")));
    let time = e["time"].as_str().expect("time");
    let rfc3339 =
        regex::Regex::new(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$").expect("regex");
    assert!(rfc3339.is_match(time), "{time}");

    let raw = std::fs::read_to_string(&log).expect("read");
    assert!(!raw.contains(&key), "the audit log holds the value");
    assert!(!raw.contains("s3cr3t"), "the audit log holds the remote's password");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(&data), 0o700);
    }

    // `leakgate audit` lists it.
    let listing = repo.leakgate(&["audit"]);
    assert_eq!(listing.code, 0, "{}", listing.stderr);
    assert!(
        listing.stdout.contains("blocked") && listing.stdout.contains("app/settings.py:3"),
        "{}",
        listing.stdout
    );
    listing.assert_no_leak(&key);
    let json = repo.leakgate(&["audit", "--format", "json"]);
    let parsed: Value = serde_json::from_str(&json.stdout).expect("json array");
    assert_eq!(parsed.as_array().map(Vec::len), Some(1));
}

#[cfg(target_os = "linux")] // the default data dir checked here is the XDG one
#[test]
fn clean_commits_write_nothing_and_the_default_location_is_the_data_dir() {
    let repo = hooked_repo();
    repo.write("src/a.py", "print('hello')\n");
    repo.add(&["src/a.py"]);
    assert_eq!(repo.commit(&["-m", "clean"]).code, 0);
    let default_log = repo.home().join(".local/share/leakgate/audit.jsonl");
    assert!(!default_log.exists(), "a clean commit wrote to the audit log");

    let key = Fakes::new(702).aws_key_id();
    repo.write("src/b.py", format!("K = '{key}'\n"));
    repo.add(&["src/b.py"]);
    assert_ne!(repo.commit(&["-m", "leak"]).code, 0);
    let all = events(&default_log);
    assert_eq!(all.len(), 1);
    // No origin remote: the work tree's path identifies the repository.
    assert_eq!(all[0]["repository"].as_str(), repo.root.to_str());
}

#[test]
fn warnings_are_recorded_and_an_unwritable_log_never_blocks() {
    let repo = hooked_repo();
    repo.write(".leakgate.toml", "min-severity-to-block = \"critical\"\n");
    repo.add(&[".leakgate.toml"]);
    repo.commit_unchecked("policy");
    // The data dir is a file: the log cannot be written.
    let blocker = repo.temp_root().join("not-a-dir");
    std::fs::write(&blocker, "").expect("file");
    repo.set_env("LEAKGATE_DATA_DIR", blocker.as_os_str());
    let key = Fakes::new(703).aws_key_id(); // high: a warning under this policy
    repo.write("a.py", format!("K = '{key}'\n"));
    repo.add(&["a.py"]);
    let run = repo.commit(&["-m", "warned"]);
    assert_eq!(run.code, 0, "a failed audit write blocked the commit: {}", run.stderr);
    assert!(run.stderr.contains("warning: could not write the audit log"), "{}", run.stderr);
    run.assert_no_leak(&key);

    let data = repo.temp_root().join("data");
    repo.set_env("LEAKGATE_DATA_DIR", data.as_os_str());
    repo.write("b.py", format!("K = '{key}'\n"));
    repo.add(&["b.py"]);
    assert_eq!(repo.commit(&["-m", "warned again"]).code, 0);
    let all = events(&data.join("audit.jsonl"));
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["event"], "warned");
}

#[test]
fn sibling_copies_of_one_secret_are_found_across_repositories() {
    let shared = tempfile::tempdir().expect("shared data dir");
    let token = Fakes::new(704).github_token();
    let other = Fakes::new(705).github_token();
    let mut first = hooked_repo();
    let mut second = hooked_repo();
    for repo in [&mut first, &mut second] {
        repo.set_env("LEAKGATE_DATA_DIR", shared.path().as_os_str());
    }
    first.write("ci/deploy.sh", format!("export GITHUB_TOKEN={token}\n"));
    first.add(&["ci/deploy.sh"]);
    assert_ne!(first.commit(&["-m", "deploy"]).code, 0);
    second.write("tools/release.py", format!("import os\n\nTOKEN = '{token}'\nOTHER = '{other}'\n"));
    second.add(&["tools/release.py"]);
    assert_ne!(second.commit(&["-m", "release"]).code, 0);
    // The same copy blocked twice in one place counts once, with two sightings.
    assert_ne!(second.commit(&["-m", "release again"]).code, 0);

    let all = events(&shared.path().join("audit.jsonl"));
    assert_eq!(all.len(), 5);
    let fp = all[0]["fingerprint"].as_str().expect("fp").to_string();

    let run = first.leakgate(&["audit", "--fingerprint", &fp]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(out.contains("seen in 2 places in 2 repositories"), "{out}");
    assert!(out.contains(&format!("{}  ci/deploy.sh:1", first.root.display())), "{out}");
    assert!(out.contains(&format!("{}  tools/release.py:3", second.root.display())), "{out}");
    assert!(out.contains("2 times"), "{out}");
    assert!(!out.contains("release.py:4"), "another secret's place was listed: {out}");
    run.assert_no_leak(&token);

    // A fingerprint prefix (as `leakgate redact` prints it) finds the same places.
    let prefix = &fp[..12];
    let by_prefix = second.leakgate(&["audit", "--fingerprint", prefix]);
    assert!(by_prefix.stdout.contains("seen in 2 places in 2 repositories"), "{}", by_prefix.stdout);

    let unknown = second.leakgate(&["audit", "--fingerprint", "lg1:0000000000"]);
    assert_eq!(unknown.code, 0);
    assert!(unknown.stdout.contains("never seen"), "{}", unknown.stdout);
    assert_eq!(second.leakgate(&["audit", "--fingerprint", "xyz"]).code, 2);
}

#[test]
fn the_audit_listing_survives_unreadable_lines() {
    let repo = TestRepo::new();
    let data = repo.temp_root().join("data");
    std::fs::create_dir_all(&data).expect("dir");
    std::fs::write(
        data.join("audit.jsonl"),
        "not json\n{\"time\":\"2026-01-01T00:00:00Z\",\"event\":\"bypassed\",\"repository\":\"r\",\"branch\":\"main\",\"commit\":\"(staged)\",\"file\":\"f\",\"line\":1,\"rule\":\"x.y\",\"fingerprint\":\"lg1:0123456789abcdef\"}\n",
    )
    .expect("write");
    repo.set_env("LEAKGATE_DATA_DIR", OsStr::new(data.to_str().expect("utf-8")));
    let run = repo.leakgate(&["audit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("bypassed"), "an event kind from a newer version is kept: {}", run.stdout);
    assert!(run.stderr.contains("1 line(s)"), "{}", run.stderr);
}
