//! `leakgate pre-push` through real `git push` to a local bare remote, and range/history scans.

use crate::harness::{reports, Fakes, TestRepo};

fn short(id: &str) -> &str {
    &id[..10]
}

#[test]
fn a_secret_added_then_removed_within_the_push_is_refused() {
    let repo = TestRepo::pushed();
    let key = Fakes::new(41).aws_key_id();
    repo.commit_file("a.txt", "one\n", "clean one");
    let bad = repo.commit_file("a.txt", &format!("one\nkey = {key}\n"), "add a key (no-verify)");
    repo.commit_file("a.txt", "one\n", "remove the key again");
    let run = repo.push(&["origin", "main"]);
    assert_ne!(run.code, 0, "the middle commit's secret was pushed");
    assert!(run.stderr.contains(short(&bad)), "the commit is not named: {}", run.stderr);
    assert!(reports(&run, "a.txt", 2, "aws.access-key-id"), "{}", run.stderr);
    assert!(run.stderr.contains("git rebase -i"), "no rewrite instructions: {}", run.stderr);
    run.assert_no_leak(&key);
    let remote_head = repo.git(&["ls-remote", "origin", "refs/heads/main"]);
    let local_first = repo.git(&["rev-parse", "HEAD~3"]);
    assert!(remote_head.starts_with(local_first.trim()), "the remote moved");
}

#[test]
fn a_clean_push_passes_and_deletions_pass() {
    let repo = TestRepo::pushed();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("f.txt", "feature\n", "feature");
    let run = repo.push(&["origin", "feature"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = repo.push(&["origin", "--delete", "feature"]);
    assert_eq!(run.code, 0, "a deletion was refused: {}", run.stderr);
}

#[test]
fn already_pushed_history_is_not_scanned_again() {
    let repo = TestRepo::pushed();
    let key = Fakes::new(42).aws_key_id();
    repo.commit_file("legacy.txt", &format!("key = {key}\n"), "legacy secret");
    repo.git(&["push", "-q", "--no-verify", "origin", "main"]);
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.commit_file("t.txt", "topic\n", "topic work");
    let run = repo.push(&["origin", "topic"]);
    assert_eq!(run.code, 0, "commits the remote already has were scanned again: {}", run.stderr);
}

#[test]
fn every_ref_of_a_multi_ref_push_is_checked() {
    let repo = TestRepo::pushed();
    let token = Fakes::new(43).github_token();
    repo.git(&["checkout", "-q", "-b", "a"]);
    repo.commit_file("a.txt", "clean\n", "a");
    repo.git(&["checkout", "-q", "-b", "b", "main"]);
    repo.commit_file("b.txt", &format!("token: {token}\n"), "b");
    let run = repo.push(&["origin", "a", "b"]);
    assert_ne!(run.code, 0, "the second ref was not checked");
    assert!(reports(&run, "b.txt", 1, "github.pat-classic"), "{}", run.stderr);
}

#[test]
fn an_annotated_tag_on_a_new_commit_is_peeled_and_checked() {
    let repo = TestRepo::pushed();
    let key = Fakes::new(44).aws_key_id();
    repo.git(&["checkout", "-q", "-b", "release"]);
    repo.commit_file("r.txt", &format!("key = {key}\n"), "release");
    repo.git(&["tag", "-a", "v1", "-m", "v1"]);
    repo.git(&["checkout", "-q", "main"]);
    let run = repo.push(&["origin", "v1"]);
    assert_ne!(run.code, 0, "a tag carrying a new secret was pushed: {}", run.stderr);
    assert!(reports(&run, "r.txt", 1, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn a_push_to_a_bare_url_is_checked() {
    let repo = TestRepo::pushed();
    let key = Fakes::new(45).aws_key_id();
    repo.commit_file("u.txt", &format!("key = {key}\n"), "url push");
    let url = repo.root.parent().expect("parent").join("remote.git");
    let run = repo.push(&[&url.to_string_lossy(), "main"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "u.txt", 1, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn a_push_over_the_commit_limit_is_refused_whole() {
    let repo = TestRepo::pushed();
    repo.write(".leakgate.toml", "max-push-commits = 2\n");
    for i in 0..3 {
        repo.commit_file("n.txt", &format!("{i}\n"), &format!("c{i}"));
    }
    let run = repo.push(&["origin", "main"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("max-push-commits"), "{}", run.stderr);
}

#[test]
fn malformed_pre_push_input_is_a_usage_error() {
    let repo = TestRepo::pushed();
    let out = repo
        .command(crate::harness::leakgate_bin())
        .args(["pre-push", "origin", "url"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(b"refs/heads/main nothex refs/heads/main 00\n")?;
            child.wait_with_output()
        })
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("malformed"));
}

#[test]
fn range_and_history_scans_report_each_secret_once_at_its_introduction() {
    let repo = TestRepo::new();
    let key = Fakes::new(46).aws_key_id();
    repo.commit_file("x.txt", "x\n", "base");
    let first = repo.commit_file("a.cfg", &format!("key = {key}\n"), "introduce");
    repo.commit_file("b.cfg", &format!("copy = {key}\n"), "copy it");
    repo.commit_file("x.txt", "x\ny\n", "unrelated");
    let run = repo.leakgate(&["scan", "--history"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let hits = run.stdout.matches("aws.access-key-id").count();
    assert!(hits >= 1, "{}", run.stdout);
    assert!(run.stdout.contains(short(&first)), "not attributed to the introducing commit: {}", run.stdout);
    assert!(run.stdout.contains("also in 1 other place"), "{}", run.stdout);
    assert!(run.stdout.contains("across 4 commits"), "{}", run.stdout);
    run.assert_no_leak(&key);

    let run = repo.leakgate(&["scan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(run.code, 0, "a range without the secret: {}", run.all());
    let run = repo.leakgate(&["scan", "--range", "HEAD~3..HEAD"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let run = repo.leakgate(&["scan", "--range", "nope..HEAD"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("does not name commits"), "{}", run.stderr);
}

#[test]
fn a_merge_commit_is_judged_on_its_own_resolution_only() {
    let repo = TestRepo::pushed();
    let mut fakes = Fakes::new(47);
    let theirs = fakes.aws_key_id();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("f.cfg", &format!("key = {theirs}\n"), "feature carries a key");
    repo.git(&["push", "-q", "--no-verify", "origin", "feature"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("m.txt", "main\n", "main work");
    repo.git(&["merge", "-q", "--no-ff", "--no-verify", "-m", "merge feature", "feature"]);
    let run = repo.push(&["origin", "main"]);
    assert_eq!(run.code, 0, "what a parent brought was judged as the merge's own: {}", run.stderr);

    // An evil merge: the resolution itself adds a secret.
    repo.git(&["checkout", "-q", "-b", "f2", "HEAD~1"]);
    repo.commit_file("g.txt", "g\n", "f2");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "f2"]);
    let evil = fakes.aws_key_id();
    repo.write("g.txt", format!("g\nkey = {evil}\n"));
    repo.add(&["g.txt"]);
    repo.git(&["commit", "-q", "--no-verify", "--no-edit"]);
    let run = repo.push(&["origin", "main"]);
    assert_ne!(run.code, 0, "a secret added by a merge resolution was pushed");
    assert!(reports(&run, "g.txt", 2, "aws.access-key-id"), "{}", run.stderr);
}
