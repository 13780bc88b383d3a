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

fn write_hook(path: &std::path::Path, body: &str) {
    ensure_dir(path.parent().expect("hooks dir"));
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("write hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

#[test]
fn chaining_keeps_an_existing_hook_running_first_and_uninstall_restores_it() {
    let repo = TestRepo::new();
    let hook = repo.git_dir().join("hooks/pre-commit");
    write_hook(&hook, "echo ran >> \"$(git rev-parse --git-dir)/chained-ran\"\n[ ! -f fail-please ]");
    let original = std::fs::read_to_string(&hook).expect("hook");
    let run = repo.leakgate(&["install", "--chain"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("runs first"), "{}", run.stderr);

    repo.write("a.txt", "a\n");
    repo.add(&["a.txt"]);
    let run = repo.commit(&["-m", "a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(repo.git_dir().join("chained-ran").exists(), "the chained hook did not run");

    // The chained hook's failure still fails the commit.
    repo.write("fail-please", "x\n");
    repo.write("b.txt", "b\n");
    repo.add(&["b.txt"]);
    assert_ne!(repo.commit(&["-m", "b"]).code, 0, "the chained hook's failure was ignored");
    std::fs::remove_file(repo.path("fail-please")).expect("rm");

    // And leakgate still blocks after it.
    let key = Fakes::new(51).aws_key_id();
    repo.write("c.txt", format!("key = {key}\n"));
    repo.add(&["c.txt"]);
    assert_ne!(repo.commit(&["-m", "c"]).code, 0);

    let run = repo.leakgate(&["uninstall"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&hook).expect("restored"), original);
}

#[test]
fn a_chained_pre_push_hook_and_leakgate_both_get_the_ref_lines() {
    let repo = TestRepo::new();
    repo.add_bare_remote();
    repo.commit_file("a.txt", "a\n", "a");
    let hook = repo.git_dir().join("hooks/pre-push");
    write_hook(&hook, "cat > \"$(git rev-parse --git-dir)/chained-stdin\"");
    assert_eq!(repo.leakgate(&["install", "--pre-push", "--chain"]).code, 0);
    let key = Fakes::new(52).aws_key_id();
    repo.commit_file("k.txt", &format!("key = {key}\n"), "k");
    let run = repo.push(&["origin", "main"]);
    assert_ne!(run.code, 0, "leakgate did not get the ref lines: {}", run.stderr);
    let seen = std::fs::read_to_string(repo.git_dir().join("chained-stdin")).expect("chained hook ran");
    assert!(seen.starts_with("refs/heads/main "), "the chained hook got {seen:?}");
}

#[test]
fn a_global_install_covers_new_repositories_and_keeps_their_own_hooks() {
    let repo = TestRepo::new();
    let run = repo.leakgate(&["install", "--global", "--pre-commit", "--pre-push"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let global = std::fs::read_to_string(repo.home().join(".gitconfig")).expect("global config");
    assert!(global.contains("hooksPath") || global.contains("leakgate-pre-commit"), "{global}");

    // The repository's own hook still runs (a global core.hooksPath would otherwise hide it).
    write_hook(&repo.git_dir().join("hooks/pre-commit"), "touch \"$(git rev-parse --git-dir)/own-ran\"");
    let key = Fakes::new(53).aws_key_id();
    repo.write("k.txt", format!("key = {key}\n"));
    repo.add(&["k.txt"]);
    let run = repo.commit(&["-m", "k"]);
    assert_ne!(run.code, 0, "the global hook did not block: {}", run.stderr);
    assert!(repo.git_dir().join("own-ran").exists(), "the repository's own hook did not run");

    let doctor = repo.leakgate(&["doctor"]);
    assert_eq!(doctor.code, 0, "{}", doctor.all());
    assert!(doctor.stdout.contains("leakgate guards: pre-commit, pre-push"), "{}", doctor.stdout);

    if config_based_hooks(&repo) {
        eprintln!("git >= 2.54: config-based hooks cannot be shadowed; skipping the shadowing check");
    } else {
        // A repository-local core.hooksPath (husky-style) shadows the global one: doctor says so.
        assert_shadowing_is_reported(&repo);
    }

    let run = repo.leakgate(&["uninstall", "--global"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let global = std::fs::read_to_string(repo.home().join(".gitconfig")).expect("global config");
    assert!(!global.contains("leakgate"), "global config still names leakgate: {global}");
}

fn config_based_hooks(repo: &TestRepo) -> bool {
    let version = repo.git(&["--version"]);
    let mut parts = version.split_whitespace().nth(2).unwrap_or("0.0").split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (2, 54)
}

fn assert_shadowing_is_reported(repo: &TestRepo) {
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
    let doctor = repo.leakgate(&["doctor"]);
    assert_eq!(doctor.code, 1, "{}", doctor.all());
    assert!(doctor.stdout.contains("shadows"), "{}", doctor.stdout);
    assert!(doctor.stdout.contains("does NOT guard"), "{}", doctor.stdout);
    repo.git(&["config", "--unset", "core.hooksPath"]);
}

#[test]
fn install_inside_a_submodule_writes_into_the_submodules_git_dir() {
    let sub = TestRepo::new();
    sub.commit_file("s.txt", "s\n", "s");
    let repo = TestRepo::new();
    repo.commit_file("a.txt", "a\n", "a");
    let url = format!("file://{}", sub.root.display());
    repo.git(&["-c", "protocol.file.allow=always", "submodule", "add", "-q", &url, "vendor/sub"]);
    let out = repo
        .command(crate::harness::leakgate_bin())
        .current_dir(repo.path("vendor/sub"))
        .arg("install")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        repo.git_dir().join("modules/vendor/sub/hooks/pre-commit").exists(),
        "not in the submodule's git dir"
    );
    assert!(!repo.git_dir().join("hooks/pre-commit").exists(), "written into the superproject");
}

#[test]
fn a_forced_global_install_restores_the_previous_global_hooks_path_on_uninstall() {
    let repo = TestRepo::new();
    if config_based_hooks(&repo) {
        eprintln!("git >= 2.54 uses config-based hooks and leaves core.hooksPath alone; skipping");
        return;
    }
    repo.git(&["config", "--global", "core.hooksPath", "/opt/team-hooks"]);
    let run = repo.leakgate(&["install", "--global"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("/opt/team-hooks"), "{}", run.stderr);
    assert_eq!(repo.leakgate(&["install", "--global", "--force"]).code, 0);
    assert_ne!(repo.git(&["config", "--global", "core.hooksPath"]).trim(), "/opt/team-hooks");
    assert_eq!(repo.leakgate(&["uninstall", "--global"]).code, 0);
    assert_eq!(repo.git(&["config", "--global", "core.hooksPath"]).trim(), "/opt/team-hooks");
}
