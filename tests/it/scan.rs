//! `leakgate scan`: paths, stdin and the staged change on request.

use std::io::Write;
use std::process::Stdio;

use crate::harness::{leakgate_bin, reports, Fakes, Run, TestRepo};

#[test]
fn scanning_paths_respects_gitignore_and_finds_secrets() {
    let repo = TestRepo::new();
    let mut fakes = Fakes::new(21);
    let key = fakes.aws_key_id();
    let ignored = fakes.github_token();
    repo.write(".gitignore", "build/\n");
    repo.write("src/a.py", format!("x = 1\nKEY = '{key}'\n"));
    repo.write("build/out.txt", format!("{ignored}\n"));
    let run = repo.leakgate(&["scan", "."]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(reports(&run, "src/a.py", 2, "aws.access-key-id"), "{}", run.all());
    assert!(!run.stdout.contains("build/out.txt"), "a git-ignored file was scanned");
    run.assert_no_leak(&key);
}

#[test]
fn scanning_stdin_finds_secrets_and_clean_input_exits_0() {
    let token = Fakes::new(22).github_token();
    let scan = |input: String| -> Run {
        let mut child = std::process::Command::new(leakgate_bin())
            .args(["scan", "-"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("wait").into()
    };
    let run = scan(format!("build log\nusing token {token}\n"));
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(reports(&run, "-", 2, "github.pat-classic"), "{}", run.all());
    run.assert_no_leak(&token);
    assert_eq!(scan("nothing to see\n".to_string()).code, 0);
}

#[test]
fn unknown_flags_are_usage_errors() {
    let repo = TestRepo::new();
    assert_eq!(repo.leakgate(&["scan", "--nope"]).code, 2);
    assert_eq!(repo.leakgate(&["frobnicate"]).code, 2);
}
