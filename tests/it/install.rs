//! `leakgate install` / `uninstall`: the hooks directory git really uses; foreign hooks kept.

use crate::harness::{ensure_dir, Fakes, TestRepo};

#[test]
fn install_refuses_to_overwrite_a_foreign_hook_and_force_keeps_it() {
    let repo = TestRepo::new();
    let hook = repo.git_dir().join("hooks/pre-commit");
    ensure_dir(hook.parent().expect("hooks dir"));
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").expect("write foreign hook");

    let run = repo.leakgate(&["install"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&hook).expect("hook"), "#!/bin/sh\necho mine\n");

    let run = repo.leakgate(&["install", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let backup = repo.git_dir().join("hooks/pre-commit.leakgate-backup");
    assert_eq!(std::fs::read_to_string(&backup).expect("backup"), "#!/bin/sh\necho mine\n");
    assert!(std::fs::read_to_string(&hook).expect("hook").contains("leakgate-hook"));

    // Re-installing our own hook is an update, not a conflict.
    assert_eq!(repo.leakgate(&["install"]).code, 0);

    let run = repo.leakgate(&["uninstall"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&hook).expect("restored"), "#!/bin/sh\necho mine\n");
    assert!(!backup.exists());
}

#[test]
fn install_honours_core_hooks_path() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.install_hook();
    assert!(repo.path(".githooks/pre-commit").exists(), "hook not written to core.hooksPath");
    assert!(!repo.git_dir().join("hooks/pre-commit").exists());

    let key = Fakes::new(31).aws_key_id();
    repo.write("k.txt", format!("key = {key}\n"));
    repo.add(&["k.txt"]);
    let run = repo.commit(&["-m", "k"]);
    assert_ne!(run.code, 0, "the hook in core.hooksPath did not run: {}", run.stderr);
}

#[test]
fn install_from_a_linked_worktree_uses_the_common_hooks_dir() {
    let repo = TestRepo::new();
    repo.write("a.txt", "a\n");
    repo.add(&["a.txt"]);
    repo.commit_unchecked("a");
    repo.git(&["worktree", "add", "-q", "../wt2", "-b", "wt2"]);
    let wt = repo.root.parent().expect("parent").join("wt2");
    let out =
        repo.command(crate::harness::leakgate_bin()).current_dir(&wt).arg("install").output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(repo.git_dir().join("hooks/pre-commit").exists(), "hook not in the common hooks dir");
}

#[test]
fn the_hook_fails_closed_when_the_binary_is_gone() {
    let repo = TestRepo::new();
    let hook = repo.git_dir().join("hooks/pre-commit");
    ensure_dir(hook.parent().expect("hooks dir"));
    let shim = include_str!("../../hooks/pre-commit").replace("@LEAKGATE@", "/nonexistent/leakgate");
    std::fs::write(&hook, shim).expect("write shim");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    repo.write("a.txt", "a\n");
    repo.add(&["a.txt"]);
    let run = repo
        .command("git")
        .env("PATH", "/usr/bin:/bin")
        .args(["commit", "-q", "-m", "a"])
        .output()
        .expect("git");
    assert!(!run.status.success(), "a commit went through without the scanner");
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot find the leakgate binary"));
}
