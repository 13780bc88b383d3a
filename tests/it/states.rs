//! Odd repository states, bad input and the tool's own security (issue 8), each through the real
//! binary and real git. States already covered elsewhere (split and sparse index, plain merges,
//! linked worktrees, renames, binary, non-UTF-8 content, the size limit, `commit -a`,
//! `commit <path>`, core.hooksPath) are not repeated here. Fake secrets are generated at run time.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::harness::{leakgate_bin, reports, Fakes, Run, TestRepo};

/// A repository with one clean commit and the pre-commit hook installed.
fn repo_with_history() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# app\n");
    repo.write("src/app.py", "import os\n\nprint('hello')\n");
    repo.add(&["README.md", "src/app.py"]);
    repo.commit_unchecked("initial");
    repo.install_hook();
    repo
}

/// Runs git in `dir` with the repository's sanitised environment; panics on failure.
fn git_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> String {
    let out = repo
        .command("git")
        .current_dir(dir)
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.invalid"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn head(repo: &TestRepo) -> String {
    repo.git(&["rev-parse", "HEAD"]).trim().to_string()
}

fn zeros() -> String {
    "0".repeat(40)
}

// ---------------------------------------------------------------------------------------------
// Repository states
// ---------------------------------------------------------------------------------------------

/// The hook compares the staged files with the commit `HEAD` names however git stores it: a
/// loose or a packed branch, a detached `HEAD`, an unborn branch, and a config the hook's own
/// reading leaves to libgit2 (an include). A secret already committed is not the commit's; a new
/// one in the same file is, at its line.
#[test]
fn head_is_found_however_git_stores_it() {
    let mut fakes = Fakes::new(811);
    let (old, new) = (fakes.aws_key_id(), fakes.aws_key_id());
    for state in ["loose", "packed", "detached", "include", "sha1 format version 1", "unborn"] {
        let repo = TestRepo::new();
        if state != "unborn" {
            repo.commit_file(
                "conf/app.cfg",
                &format!(
                    "key = {old}
"
                ),
                "old secret",
            );
        }
        match state {
            "packed" => {
                repo.git(&["pack-refs", "--all"]);
                assert!(!repo.git_dir().join("refs/heads/main").exists());
            }
            "detached" => {
                repo.git(&["checkout", "-q", "--detach"]);
            }
            "include" => {
                std::fs::write(repo.git_dir().join("extra.config"), "[user]\n\tname = Someone\n")
                    .expect("write");
                repo.git(&["config", "include.path", "extra.config"]);
            }
            "sha1 format version 1" => {
                repo.git(&["config", "core.repositoryformatversion", "1"]);
            }
            _ => {}
        }
        repo.install_hook();
        repo.write("conf/app.cfg", format!("key = {old}\nbackup_key = {new}\n"));
        repo.add(&["conf/app.cfg"]);
        let run = repo.commit(&["-m", "new secret"]);
        assert_eq!(run.code, 1, "{state}: {}", run.all());
        assert!(reports(&run, "conf/app.cfg", 2, "aws.access-key-id"), "{state}: {}", run.all());
        let old_reported = reports(&run, "conf/app.cfg", 1, "aws.access-key-id");
        assert_eq!(old_reported, state == "unborn", "{state}: {}", run.all());
        run.assert_no_leak(&old);
        run.assert_no_leak(&new);
    }
}

#[test]
fn a_bare_repository_scans_ranges_and_runs_pre_push() {
    let repo = TestRepo::new();
    let key = Fakes::new(801).aws_key_id();
    repo.commit_file("a.txt", "a\n", "base");
    repo.commit_file("conf/b.cfg", &format!("x = 1\nkey = {key}\n"), "key");
    let bare = repo.outside("mirror.git");
    git_in(&repo, repo.temp_root(), &["clone", "-q", "--bare", &repo.root.to_string_lossy(), "mirror.git"]);

    let run = repo.leakgate_stdin_in(&bare, &["scan", "--range", "HEAD~1..HEAD"], b"");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(reports(&run, "conf/b.cfg", 2, "aws.access-key-id"), "{}", run.all());
    run.assert_no_leak(&key);
    let run = repo.leakgate_stdin_in(&bare, &["scan", "--range", "HEAD~1"], b"");
    assert_eq!(run.code, 0, "{}", run.all());

    // The pre-push hook of a bare repository (a mirror pushing on): every new commit is checked.
    let tip = git_in(&repo, &bare, &["rev-parse", "HEAD"]).trim().to_string();
    let line = format!("refs/heads/main {tip} refs/heads/main {}\n", zeros());
    let run = repo.leakgate_stdin_in(&bare, &["pre-push", "backup", "/nowhere"], line.as_bytes());
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(reports(&run, "conf/b.cfg", 2, "aws.access-key-id"), "{}", run.all());
    run.assert_no_leak(&key);

    // There is no staged change in a bare repository: the hook says so and blocks.
    let run = repo.leakgate_stdin_in(&bare, &["pre-commit"], b"");
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stderr.contains("is bare"), "{}", run.stderr);
}

#[test]
fn a_submodule_pointer_change_is_not_descended_into_and_is_said_so() {
    let repo = repo_with_history();
    let sub = TestRepo::new();
    sub.commit_file("s.txt", "s\n", "s");
    let url = format!("file://{}", sub.root.display());
    repo.git(&["-c", "protocol.file.allow=always", "submodule", "add", "-q", &url, "vendor/sub"]);
    repo.commit_unchecked("add submodule");

    // The submodule gets a commit with a secret; the superproject only records the new pointer.
    let key = Fakes::new(802).aws_key_id();
    let inner = repo.path("vendor/sub");
    std::fs::write(inner.join("s.txt"), format!("s\nkey = {key}\n")).expect("write");
    git_in(&repo, &inner, &["add", "s.txt"]);
    git_in(&repo, &inner, &["commit", "-q", "--no-verify", "-m", "inner key"]);
    repo.add(&["vendor/sub"]);
    let run = repo.leakgate(&["-v", "pre-commit"]);
    assert_eq!(run.code, 0, "a submodule's content was judged: {}", run.stderr);
    assert!(run.stderr.contains("1 submodule not descended into"), "not said: {}", run.stderr);
    run.assert_no_leak(&key);
    let run = repo.commit(&["-m", "bump submodule"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "a clean commit must stay silent");

    // The same in a commit scan.
    let run = repo.leakgate(&["-v", "scan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.all().contains("1 submodule not descended into"), "{}", run.all());
}

#[test]
fn a_cone_mode_sparse_checkout_without_sparse_index() {
    let repo = repo_with_history();
    repo.write("kept/a.txt", "a\n");
    repo.write("hidden/b.txt", "b\n");
    repo.add(&["kept/a.txt", "hidden/b.txt"]);
    repo.commit_unchecked("dirs");
    repo.git(&["sparse-checkout", "set", "--cone", "--no-sparse-index", "kept"]);
    assert!(!repo.path("hidden/b.txt").exists(), "sparse checkout did not apply");
    let key = Fakes::new(803).aws_key_id();
    repo.write("kept/a.txt", format!("a\nb\nkey = {key}\n"));
    repo.add(&["kept/a.txt"]);
    let run = repo.commit(&["-m", "sparse"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "kept/a.txt", 3, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);

    repo.write("kept/a.txt", "a\nb\n");
    repo.add(&["kept/a.txt"]);
    let run = repo.commit(&["-m", "sparse"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_shallow_clone_pushes_with_a_missing_parent() {
    let origin = TestRepo::new();
    let old_key = Fakes::new(804).aws_key_id();
    origin.commit_file("legacy.cfg", &format!("key = {old_key}\n"), "old history with a key");
    origin.commit_file("README.md", "# app\n", "second");
    let url = format!("file://{}", origin.root.display());
    git_in(&origin, origin.temp_root(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let shallow = origin.outside("shallow");
    assert_eq!(git_in(&origin, &shallow, &["rev-parse", "--is-shallow-repository"]).trim(), "true");

    // A new commit on top: only it leaves (the boundary commit is the remote's).
    let new_key = Fakes::new(805).aws_key_id();
    std::fs::write(shallow.join("new.cfg"), format!("a = 1\nkey = {new_key}\n")).expect("write");
    git_in(&origin, &shallow, &["add", "new.cfg"]);
    git_in(&origin, &shallow, &["commit", "-q", "--no-verify", "-m", "new key"]);
    let tip = git_in(&origin, &shallow, &["rev-parse", "HEAD"]).trim().to_string();
    let boundary = git_in(&origin, &shallow, &["rev-parse", "HEAD~1"]).trim().to_string();
    let line = format!("refs/heads/main {tip} refs/heads/main {boundary}\n");
    let run = origin.leakgate_stdin_in(&shallow, &["pre-push", "origin", &url], line.as_bytes());
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(reports(&run, "new.cfg", 2, "aws.access-key-id"), "{}", run.all());
    assert!(!run.all().contains("legacy.cfg"), "history the remote has was judged: {}", run.all());
    run.assert_no_leak(&new_key);

    // To a destination that has nothing: the walk stops at the shallow boundary, whose parent is
    // missing; the boundary commit is then judged whole (more, never less) — and not crash.
    let line = format!("refs/heads/main {tip} refs/heads/main {}\n", zeros());
    let run =
        origin.leakgate_stdin_in(&shallow, &["-v", "pre-push", "elsewhere", "/nowhere"], line.as_bytes());
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(reports(&run, "new.cfg", 2, "aws.access-key-id"), "{}", run.all());
    assert!(reports(&run, "legacy.cfg", 1, "aws.access-key-id"), "{}", run.all());
    run.assert_no_leak(&old_key);

    // Through real git: clone's remote-tracking ref hides the boundary.
    let out = origin
        .command("git")
        .current_dir(&shallow)
        .args(["config", "receive.denyCurrentBranch", "ignore"])
        .output()
        .expect("git");
    assert!(out.status.success());
    let run = origin.leakgate_stdin_in(&shallow, &["install", "--pre-push"], b"");
    assert_eq!(run.code, 0, "{}", run.all());
    let out = origin
        .command("git")
        .current_dir(&shallow)
        .args(["push", "-q", "origin", "HEAD:refs/heads/topic"])
        .output()
        .expect("push");
    let run = Run::from(out);
    assert_ne!(run.code, 0, "the shallow push went through");
    assert!(reports(&run, "new.cfg", 2, "aws.access-key-id"), "{}", run.all());
}

#[test]
fn a_detached_head_commits_and_pushes_through_the_hooks() {
    let repo = TestRepo::pushed();
    repo.git(&["checkout", "-q", "--detach"]);
    let key = Fakes::new(806).aws_key_id();
    repo.write("d.txt", format!("detached\nkey = {key}\n"));
    repo.add(&["d.txt"]);
    let run = repo.commit(&["-m", "detached"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "d.txt", 2, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);

    repo.write("d.txt", "detached\n");
    repo.add(&["d.txt"]);
    let run = repo.commit(&["-m", "detached clean"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = repo.push(&["origin", "HEAD:refs/heads/det"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    repo.write("d.txt", format!("detached\nkey = {key}\n"));
    repo.add(&["d.txt"]);
    repo.commit_unchecked("sneak");
    let run = repo.push(&["origin", "HEAD:refs/heads/det2"]);
    assert_ne!(run.code, 0, "a detached HEAD pushed a secret");
    assert!(reports(&run, "d.txt", 2, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
}

#[test]
fn an_orphan_branch_is_an_unborn_branch_next_to_history() {
    let repo = repo_with_history();
    repo.git(&["checkout", "-q", "--orphan", "fresh"]);
    repo.git(&["rm", "-rq", "--cached", "."]);
    let token = Fakes::new(807).github_token();
    repo.write("ci.yml", format!("env:\n  TOKEN: {token}\n"));
    repo.add(&["ci.yml"]);
    let run = repo.commit(&["-m", "first on orphan"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "ci.yml", 2, "github.pat-classic"), "{}", run.stderr);
    run.assert_no_leak(&token);
    // README.md is staged again by nothing: only ci.yml is new; replace the token and commit.
    repo.write("ci.yml", "env:\n  TOKEN: ${{ secrets.TOKEN }}\n");
    repo.add(&["ci.yml"]);
    let run = repo.commit(&["-m", "first on orphan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_conflict_resolution_that_adds_a_secret_in_the_conflicted_file_is_blocked() {
    let repo = repo_with_history();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("shared.txt", "base\nfeature line\n", "feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("shared.txt", "base\nmain line\n", "main");
    let merge = repo.git_output(&["merge", "-q", "--no-edit", "feature"]);
    assert!(!merge.status.success(), "expected a conflict");
    assert!(repo.git_dir().join("MERGE_HEAD").exists());
    let key = Fakes::new(808).aws_key_id();
    repo.write("shared.txt", format!("base\nmain line\nfeature line\nkey = {key}\n"));
    repo.add(&["shared.txt"]);
    let run = repo.commit(&["--no-edit"]);
    assert_ne!(run.code, 0, "a secret in a conflict resolution went through");
    assert!(reports(&run, "shared.txt", 4, "aws.access-key-id"), "{}", run.stderr);
    assert!(!reports(&run, "shared.txt", 3, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);

    repo.write("shared.txt", "base\nmain line\nfeature line\n");
    repo.add(&["shared.txt"]);
    let run = repo.commit(&["--no-edit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(repo.git(&["rev-list", "--count", "--merges", "HEAD"]).trim(), "1");
}

#[test]
fn a_stopped_rebase_checks_what_is_committed_during_it() {
    let repo = repo_with_history();
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.commit_file("t.txt", "base\ntopic\n", "topic");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("t.txt", "base\nmain\n", "main");
    repo.git(&["checkout", "-q", "topic"]);
    let rebase = repo.git_output(&["rebase", "main"]);
    assert!(!rebase.status.success(), "expected a conflicting rebase");
    assert!(repo.git_dir().join("rebase-merge").exists(), "no rebase in progress");

    // The resolution carries a secret, committed by hand during the rebase (HEAD is detached).
    let key = Fakes::new(809).aws_key_id();
    repo.write("t.txt", format!("base\nmain\ntopic\nkey = {key}\n"));
    repo.add(&["t.txt"]);
    let run = repo.commit(&["-m", "resolved"]);
    assert_ne!(run.code, 0, "a secret committed during a rebase went through");
    assert!(reports(&run, "t.txt", 4, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);

    // A clean resolution continues (`rebase --continue` itself runs no pre-commit hook; see
    // `picks_that_skip_pre_commit_are_caught_at_push`).
    repo.write("t.txt", "base\nmain\ntopic\n");
    repo.add(&["t.txt"]);
    let run = repo.commit(&["-m", "resolved"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out =
        repo.command("git").env("GIT_EDITOR", "true").args(["rebase", "--continue"]).output().expect("git");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_interactive_rebase_edit_stop_checks_amends_and_exec_commits() {
    let repo = repo_with_history();
    repo.commit_file("e.txt", "one\n", "one");
    repo.commit_file("e.txt", "one\ntwo\n", "two");
    let out = repo
        .command("git")
        .env("GIT_SEQUENCE_EDITOR", "sed -i -e '1s/^pick/edit/'")
        .args(["rebase", "-q", "-i", "HEAD~2"])
        .output()
        .expect("git");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(repo.git_dir().join("rebase-merge").exists(), "not stopped for edit");
    let key = Fakes::new(810).aws_key_id();
    repo.write("e.txt", format!("one\nkey = {key}\n"));
    repo.add(&["e.txt"]);
    let run = repo.commit(&["--amend", "--no-edit"]);
    assert_ne!(run.code, 0, "an amend during a rebase let a secret through");
    assert!(reports(&run, "e.txt", 2, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
    repo.git(&["checkout", "-q", "HEAD", "--", "e.txt"]);
    let out = repo.command("git").args(["rebase", "--abort"]).output().expect("git");
    assert!(out.status.success());

    // `exec` lines run commands, here a commit, which goes through the hook.
    let script = repo.outside("add-secret.sh");
    std::fs::write(
        &script,
        format!("printf 'x = 1\\nkey = {key}\\n' > x.cfg && git add x.cfg && git commit -q -m x\n"),
    )
    .expect("script");
    let todo_edit = format!("sed -i -e '1a exec sh {}'", script.display());
    let out = repo
        .command("git")
        .env("GIT_SEQUENCE_EDITOR", &todo_edit)
        .args(["rebase", "-q", "-i", "HEAD~2"])
        .output()
        .expect("git");
    let run = Run::from(out);
    assert_ne!(run.code, 0, "the exec commit went through");
    assert!(reports(&run, "x.cfg", 2, "aws.access-key-id"), "{}", run.all());
    run.assert_no_leak(&key);
    repo.git(&["rebase", "--abort"]);
}

#[test]
fn a_cherry_pick_in_progress_checks_its_resolution() {
    let repo = repo_with_history();
    repo.git(&["checkout", "-q", "-b", "side"]);
    let picked = repo.commit_file("c.txt", "base\nside\n", "side");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("c.txt", "base\nmain\n", "main");
    let pick = repo.git_output(&["cherry-pick", &picked]);
    assert!(!pick.status.success(), "expected a conflict");
    assert!(repo.git_dir().join("CHERRY_PICK_HEAD").exists());
    let key = Fakes::new(811).aws_key_id();
    repo.write("c.txt", format!("base\nmain\nside\nkey = {key}\n"));
    repo.add(&["c.txt"]);
    let run = repo.commit(&["--no-edit"]);
    assert_ne!(run.code, 0, "a secret in a cherry-pick resolution went through");
    assert!(reports(&run, "c.txt", 4, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);

    repo.write("c.txt", "base\nmain\nside\n");
    repo.add(&["c.txt"]);
    let run = repo.commit(&["--no-edit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// git runs no pre-commit hook for the commits that `rebase --continue` and `cherry-pick`
/// (without a conflict) make themselves: a secret can enter that way, and the pre-push hook is
/// the net that catches it.
#[test]
fn picks_that_skip_pre_commit_are_caught_at_push() {
    let repo = TestRepo::pushed();
    let mut fakes = Fakes::new(823);
    let picked_key = fakes.aws_key_id();
    repo.git(&["checkout", "-q", "-b", "side"]);
    let picked = repo.commit_file("p.cfg", &format!("a\nkey = {picked_key}\n"), "side (no-verify)");
    repo.git(&["checkout", "-q", "main"]);
    let run = Run::from(repo.git_output(&["cherry-pick", &picked]));
    assert_eq!(run.code, 0, "git ran a pre-commit hook for a cherry-pick after all: {}", run.stderr);
    let run = repo.push(&["origin", "main"]);
    assert_ne!(run.code, 0, "a cherry-picked secret was pushed");
    assert!(reports(&run, "p.cfg", 2, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&picked_key);
    repo.git(&["reset", "-q", "--hard", "origin/main"]);

    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.commit_file("t.txt", "base\ntopic\n", "topic");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("t.txt", "base\nmain\n", "main");
    repo.git(&["checkout", "-q", "topic"]);
    assert!(!repo.git_output(&["rebase", "main"]).status.success(), "expected a conflict");
    let key = fakes.aws_key_id();
    repo.write("t.txt", format!("base\nmain\ntopic\nkey = {key}\n"));
    repo.add(&["t.txt"]);
    let out =
        repo.command("git").env("GIT_EDITOR", "true").args(["rebase", "--continue"]).output().expect("git");
    assert!(out.status.success(), "git ran a pre-commit hook for rebase --continue after all");
    let run = repo.push(&["origin", "topic"]);
    assert_ne!(run.code, 0, "a secret resolved into a rebase pick was pushed");
    assert!(reports(&run, "t.txt", 4, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
}

#[test]
fn commit_amend_judges_what_the_amend_adds() {
    let repo = repo_with_history();
    repo.commit_file("a.cfg", "a = 1\n", "clean commit");
    let key = Fakes::new(812).aws_key_id();
    repo.write("a.cfg", format!("a = 1\nkey = {key}\n"));
    repo.add(&["a.cfg"]);
    let before = head(&repo);
    let run = repo.commit(&["--amend", "--no-edit"]);
    assert_ne!(run.code, 0, "a secret introduced by an amend went through");
    assert!(reports(&run, "a.cfg", 2, "aws.access-key-id"), "{}", run.stderr);
    assert_eq!(head(&repo), before, "the amend happened");
    run.assert_no_leak(&key);

    // Amending a clean commit with a clean change, or only its message, passes silently.
    repo.write("a.cfg", "a = 1\nb = 2\n");
    repo.add(&["a.cfg"]);
    let run = repo.commit(&["--amend", "--no-edit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = repo.commit(&["--amend", "-m", "better message"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
}

#[test]
fn commit_only_is_judged_on_the_named_paths() {
    let repo = repo_with_history();
    let key = Fakes::new(813).aws_key_id();
    repo.write("secret.cfg", format!("id = {key}\n"));
    repo.add(&["secret.cfg"]);
    repo.write("README.md", "# app\n\nmore\n");
    let run = repo.commit(&["--only", "-m", "docs", "README.md"]);
    assert_eq!(run.code, 0, "a staged file outside --only was judged: {}", run.stderr);

    repo.git(&["reset", "-q", "secret.cfg"]);
    repo.write("src/app.py", format!("import os\nKEY = '{key}'\n"));
    let run = repo.commit(&["--only", "-m", "app", "src/app.py"]);
    assert_ne!(run.code, 0, "commit --only of a file with a secret went through");
    assert!(reports(&run, "src/app.py", 2, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
}

#[test]
fn crlf_files_report_the_right_line() {
    let repo = repo_with_history();
    let mut fakes = Fakes::new(814);
    let key = fakes.aws_key_id();
    repo.write("win.ini", format!("[a]\r\nx = 1\r\n\r\nkey = {key}\r\ny = 2\r\n"));
    repo.add(&["win.ini"]);
    let run = repo.commit(&["-m", "crlf"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "win.ini", 4, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
    repo.git(&["reset", "-q"]);

    // With autocrlf the committed blob has LF endings; the line is the same.
    repo.git(&["config", "core.autocrlf", "true"]);
    let other = fakes.aws_key_id();
    repo.write("win2.ini", format!("[a]\r\nx = 1\r\nkey = {other}\r\n"));
    repo.add(&["win2.ini"]);
    let run = repo.commit(&["-m", "autocrlf"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "win2.ini", 3, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&other);
}

#[cfg(unix)]
#[test]
fn a_non_utf8_file_name_is_named_in_the_finding() {
    use std::os::unix::ffi::OsStrExt;
    let repo = repo_with_history();
    let key = Fakes::new(815).aws_key_id();
    let name = OsStr::from_bytes(b"caf\xe9-conf.txt");
    std::fs::write(repo.root.join(name), format!("a\nkey = {key}\n")).expect("write");
    repo.git(&["add", "-A"]);
    for quote in ["true", "false"] {
        repo.git(&["config", "core.quotePath", quote]);
        let run = repo.commit(&["-m", "latin1 name"]);
        assert_ne!(run.code, 0, "{}", run.stderr);
        assert!(reports(&run, "caf\u{fffd}-conf.txt", 2, "aws.access-key-id"), "{}", run.stderr);
        assert!(run.stderr.contains("git restore --staged 'caf*-conf.txt'"), "{}", run.stderr);
        run.assert_no_leak(&key);
    }
    // The suggested command (a pathspec glob) really names the file.
    repo.git(&["restore", "--staged", "caf*-conf.txt"]);
    let run = repo.commit(&["-m", "nothing staged but the old commit"]);
    assert_ne!(run.code, 0, "nothing to commit, git refuses");
    assert!(!run.stderr.contains("aws.access-key-id"), "the file is still staged: {}", run.stderr);
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed() {
    let repo = repo_with_history();
    let mut fakes = Fakes::new(816);
    let outside_key = fakes.aws_key_id();
    let outside = repo.outside("credentials");
    std::fs::write(&outside, format!("key = {outside_key}\n")).expect("write");
    std::os::unix::fs::symlink(&outside, repo.path("creds-link")).expect("symlink");
    repo.add(&["creds-link"]);
    let run = repo.commit(&["-m", "link out"]);
    assert_eq!(run.code, 0, "the symlink's target file was read: {}", run.stderr);
    run.assert_no_leak(&outside_key);
    let run = repo.leakgate(&["scan", "."]);
    assert_eq!(run.code, 0, "scan followed a symlink out of the repository: {}", run.all());

    // The link's own blob (the target path) is committed text, so it is scanned like any line.
    let key = fakes.aws_key_id();
    std::os::unix::fs::symlink(format!("keys/{key}"), repo.path("odd-link")).expect("symlink");
    repo.add(&["odd-link"]);
    let run = repo.commit(&["-m", "odd link"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "odd-link", 1, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
}

#[cfg(unix)]
#[test]
fn a_mode_only_change_scans_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let repo = repo_with_history();
    let key = Fakes::new(817).aws_key_id();
    repo.commit_file("run.sh", &format!("#!/bin/sh\nKEY={key}\n"), "legacy script");
    std::fs::set_permissions(repo.path("run.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    repo.add(&["run.sh"]);
    let run = repo.leakgate(&["-v", "pre-commit"]);
    assert_eq!(run.code, 0, "a mode change was judged as new content: {}", run.stderr);
    assert!(run.stderr.contains("0 findings"), "{}", run.stderr);
    let run = repo.commit(&["-m", "chmod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(repo.git(&["diff", "--numstat", "HEAD~1", "HEAD"]).trim(), "0\t0\trun.sh");
}

#[test]
fn git_lfs_pointer_files_are_scanned_as_text() {
    let repo = repo_with_history();
    repo.write(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n");
    let oid: String = (0..64).map(|i| char::from(b"0123456789abcdef"[(i * 7) % 16])).collect();
    let pointer = format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 104857600\n");
    repo.write("model.bin", &pointer);
    repo.add(&[".gitattributes", "model.bin"]);
    let run = repo.leakgate(&["-v", "pre-commit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("in 2 files scanned"), "{}", run.stderr);
    let run = repo.commit(&["-m", "lfs pointer"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // A pointer-shaped file with a secret in it is still text, and still found.
    let key = Fakes::new(818).aws_key_id();
    repo.write("other.bin", format!("{pointer}x-key {key}\n"));
    repo.add(&["other.bin"]);
    let run = repo.commit(&["-m", "bad pointer"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "other.bin", 4, "aws.access-key-id"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn a_200_mb_staged_file_is_warned_about_and_never_loaded() {
    let repo = repo_with_history();
    // Sparse on disk; git compresses 200 MB of zeros quickly.
    let file = std::fs::File::create(repo.path("huge.dat")).expect("create");
    file.set_len(200 << 20).expect("set_len");
    drop(file);
    repo.add(&["huge.dat"]);
    std::fs::remove_file(repo.path("huge.dat")).expect("rm");
    repo.write("small.txt", "small\n");
    repo.add(&["small.txt"]);
    // Under a 150 MiB address-space limit the hook could not even hold the blob; a control run
    // on the same limit shows the limit itself is not what fails.
    let limited = |args: &str| -> Run {
        let script = format!("ulimit -v 153600 && exec \"$0\" {args}");
        Run::from(repo.command("sh").args(["-c", &script, leakgate_bin()]).output().expect("sh"))
    };
    let run = limited("-v pre-commit");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("huge.dat was not scanned: 200.0 MiB is over the 10.0 MiB limit"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 too large skipped"), "{}", run.stderr);
    let run = repo.commit(&["-m", "huge"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("huge.dat was not scanned"), "{}", run.stderr);
}

#[test]
fn a_10000_file_commit_finds_the_one_secret() {
    use std::io::Write;
    let repo = repo_with_history();
    let key = Fakes::new(819).aws_key_id();
    // 10,000 files written by `git fast-import` into one pack (creating them one by one in the
    // work tree costs many seconds of file-system time), then staged with `read-tree`: the hook
    // judges the index, and the work tree does not matter.
    let mut stream = Vec::with_capacity(1 << 20);
    stream.extend_from_slice(
        b"commit refs/heads/many\ncommitter Dev <dev@example.invalid> 0 +0000\ndata 4\nmany\n",
    );
    stream.extend_from_slice(b"from refs/heads/main\n");
    for d in 0..100 {
        for f in 0..100 {
            let mut body = format!("file {d} {f}\nvalue = {}\n", d * 100 + f);
            if (d, f) == (42, 17) {
                body.push_str(&format!("key = {key}\n"));
            }
            write!(stream, "M 100644 inline many/d{d:02}/f{f:02}.txt\ndata {}\n{body}\n", body.len())
                .expect("buf");
        }
    }
    let mut child = repo
        .command("git")
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child.stdin.take().expect("stdin").write_all(&stream).expect("stream");
    assert!(child.wait().expect("wait").success(), "fast-import failed");
    repo.git(&["read-tree", "refs/heads/many"]);
    assert_eq!(repo.git(&["diff", "--cached", "--name-only", "HEAD"]).lines().count(), 10_000);

    let run = repo.commit(&["-m", "many files"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "many/d42/f17.txt", 3, "aws.access-key-id"), "{}", run.stderr);
    assert!(run.stderr.contains("in 10000 files scanned"), "{}", run.stderr);
    assert_eq!(run.stderr.matches("aws.access-key-id  ").count(), 1, "{}", run.stderr);
    run.assert_no_leak(&key);
}

#[test]
fn an_empty_commit_passes_silently() {
    let repo = repo_with_history();
    let run = repo.commit(&["--allow-empty", "-m", "nothing"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let run = repo.leakgate(&["-v", "pre-commit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("0 findings (0 blocking) in 0 files scanned"), "{}", run.stderr);
}

#[test]
fn git_dir_and_work_tree_set_from_outside_the_work_tree() {
    let repo = repo_with_history();
    let key = Fakes::new(820).aws_key_id();
    repo.write("w.cfg", format!("a\nkey = {key}\n"));
    repo.add(&["w.cfg"]);
    let outside = repo.outside("elsewhere");
    std::fs::create_dir_all(&outside).expect("dir");
    repo.set_env("GIT_DIR", repo.git_dir());
    repo.set_env("GIT_WORK_TREE", &repo.root);
    let run = repo.leakgate_stdin_in(&outside, &["pre-commit"], b"");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(reports(&run, "w.cfg", 2, "aws.access-key-id"), "{}", run.all());
    run.assert_no_leak(&key);

    // And through git itself, run from outside with the variables set.
    let out =
        repo.command("git").current_dir(&outside).args(["commit", "-q", "-m", "w"]).output().expect("git");
    let run = Run::from(out);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "w.cfg", 2, "aws.access-key-id"), "{}", run.stderr);

    // A repository policy is read from the work tree named by GIT_WORK_TREE, not the cwd.
    repo.write(".leakgate.toml", "min-severity-to-blok = 1\n");
    let run = repo.leakgate_stdin_in(&outside, &["pre-commit"], b"");
    assert_eq!(run.code, 2, "{}", run.all());
}

#[test]
fn a_path_with_spaces_and_non_ascii_pushes_and_scans() {
    let repo = TestRepo::in_subdir("dépôt avec espaces");
    let remote = repo.outside("remote répo.git");
    git_in(&repo, repo.temp_root(), &["init", "-q", "--bare", &remote.to_string_lossy()]);
    repo.git(&["remote", "add", "origin", &remote.to_string_lossy()]);
    repo.commit_file("README.md", "# app\n", "initial");
    repo.git(&["push", "-q", "--no-verify", "origin", "main"]);
    let run = repo.leakgate(&["install", "--pre-commit", "--pre-push"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let key = Fakes::new(821).aws_key_id();
    repo.commit_file("sub dir/ünï.cfg", &format!("x\nkey = {key}\n"), "key");
    let run = repo.push(&["origin", "main"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(reports(&run, "sub dir/ünï.cfg", 2, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
    let run = repo.leakgate(&["scan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(run.code, 1, "{}", run.all());
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_flags_and_subcommands_are_clap_usage_errors() {
    let repo = TestRepo::new();
    for args in [&["frobnicate"][..], &["scan", "--nope"], &["pre-commit", "--bogus"], &["--what", "scan"]] {
        let run = repo.leakgate(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.all());
        assert!(run.stderr.contains("Usage: leakgate"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn a_missing_object_fails_closed_with_exit_3_and_a_sentence() {
    let repo = repo_with_history();
    repo.write("m.txt", "missing soon\n");
    repo.add(&["m.txt"]);
    let oid = repo.git(&["rev-parse", ":m.txt"]).trim().to_string();
    let loose = repo.git_dir().join("objects").join(&oid[..2]).join(&oid[2..]);
    std::fs::remove_file(&loose).expect("delete the loose blob");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("the blob of m.txt ({oid}) is missing")), "{}", run.stderr);
    assert!(run.stderr.contains("the commit is blocked to be safe"), "{}", run.stderr);
    let run = repo.commit(&["-m", "m"]);
    assert_ne!(run.code, 0, "a commit with a missing object went through");

    // The same for a push.
    let repo = TestRepo::pushed();
    repo.commit_file("p.txt", "pushed soon\n", "p");
    let oid = repo.git(&["rev-parse", "HEAD:p.txt"]).trim().to_string();
    std::fs::remove_file(repo.git_dir().join("objects").join(&oid[..2]).join(&oid[2..])).expect("rm");
    let line = format!("refs/heads/main {} refs/heads/main {}\n", head(&repo), zeros());
    let run = repo.leakgate_stdin(&["pre-push", "origin", "url"], line.as_bytes());
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("is missing"), "{}", run.stderr);
    assert!(run.stderr.contains("the push is blocked to be safe"), "{}", run.stderr);
}

#[test]
fn an_unreadable_policy_is_exit_2_and_blocks() {
    // We run as root in CI, so `chmod 000` proves nothing: a directory and invalid UTF-8 instead.
    let repo = repo_with_history();
    repo.write("a.txt", "a\n");
    repo.add(&["a.txt"]);
    std::fs::create_dir_all(repo.path(".leakgate.toml")).expect("dir");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "a directory as the policy was ignored: {}", run.stderr);
    assert!(run.stderr.contains(".leakgate.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("the commit is blocked"), "{}", run.stderr);
    std::fs::remove_dir(repo.path(".leakgate.toml")).expect("rmdir");

    repo.write(".leakgate.toml", b"max-file-bytes = 1000\n# caf\xe9\n");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(".leakgate.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("UTF-8"), "{}", run.stderr);
    let run = repo.commit(&["-m", "a"]);
    assert_ne!(run.code, 0);
    std::fs::remove_file(repo.path(".leakgate.toml")).expect("rm");

    let org = repo.outside("org-dir");
    std::fs::create_dir_all(&org).expect("dir");
    repo.set_env("LEAKGATE_ORG_POLICY", &org);
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a file"), "{}", run.stderr);
}

#[test]
fn a_panic_is_exit_3_with_one_line_and_a_request_to_report() {
    if !cfg!(debug_assertions) || std::env::var_os("LEAKGATE_TEST_BIN").is_some() {
        eprintln!("skipped: the panic trigger exists only in the debug build cargo made");
        return;
    }
    let repo = repo_with_history();
    repo.set_env("LEAKGATE_TEST_PANIC", "1");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("leakgate: internal error"), "{}", run.stderr);
    assert!(run.stderr.contains("blocked to be safe"), "{}", run.stderr);
    assert!(run.stderr.contains("Please report it"), "{}", run.stderr);
    let run = repo.commit(&["--allow-empty", "-m", "x"]);
    assert_ne!(run.code, 0, "a panicking hook let the commit through");
}

#[test]
fn a_catastrophic_regex_in_a_custom_rule_cannot_hang_the_hook() {
    let repo = repo_with_history();
    let rules = "[[rule]]\nid = \"acme.aab\"\nname = \"A\"\nseverity = \"high\"\nkeywords = [\"aaaa\"]\n\
                 regex = '''(?P<secret>(a|aa)*b)'''\n\n\
                 [[rule]]\nid = \"acme.xxy\"\nname = \"X\"\nseverity = \"high\"\nkeywords = [\"xxxx\"]\n\
                 regex = '''(?P<secret>(x+x+)+y)'''\nplaceholders = false\n";
    repo.write(".leakgate.toml", rules);
    // One 256 KiB line of each: exponential for a backtracking engine, linear here.
    let line = format!("{}\n{}\n", "a".repeat(256 << 10), "x".repeat(256 << 10));
    repo.write("big.txt", line);
    repo.add(&["big.txt"]);
    let run = repo.leakgate(&["-v", "pre-commit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("0 findings"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Security of the tool itself
// ---------------------------------------------------------------------------------------------

/// Asserts a policy problem that blocks with exit 2 and mentions `words`.
fn assert_refused(repo: &TestRepo, words: &str) {
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains(words), "expected {words:?} in {}", run.stderr);
    assert!(!run.stderr.contains("root:"), "a file outside the repository was read: {}", run.stderr);
}

#[test]
fn a_repository_policy_cannot_extend_files_outside_the_repository() {
    let repo = repo_with_history();
    repo.write("a.txt", "a\n");
    repo.add(&["a.txt"]);
    let outside = repo.outside("team.toml");
    std::fs::write(&outside, "max-push-commits = 5\n").expect("write");

    repo.write(".leakgate.toml", "extends = \"../../../../../../etc/passwd\"\n");
    assert_refused(&repo, "outside the repository");
    repo.write(".leakgate.toml", "extends = \"../team.toml\"\n");
    assert_refused(&repo, "outside the repository");
    repo.write(".leakgate.toml", format!("extends = \"{}\"\n", outside.display()));
    assert_refused(&repo, "outside the repository");
    repo.write(".leakgate.toml", "extends = \"/etc/passwd\"\n");
    assert_refused(&repo, "outside the repository");

    #[cfg(unix)]
    {
        // A symlink inside the repository that points out of it, as the file or as a directory.
        std::os::unix::fs::symlink(&outside, repo.path("team-link.toml")).expect("symlink");
        repo.write(".leakgate.toml", "extends = \"team-link.toml\"\n");
        assert_refused(&repo, "outside the repository");
        std::os::unix::fs::symlink(repo.temp_root(), repo.path("up")).expect("symlink");
        repo.write(".leakgate.toml", "extends = \"up/team.toml\"\n");
        assert_refused(&repo, "outside the repository");

        // The repository policy and ignore file themselves, as symlinks out of the repository.
        std::fs::remove_file(repo.path(".leakgate.toml")).expect("rm");
        std::os::unix::fs::symlink(&outside, repo.path(".leakgate.toml")).expect("symlink");
        assert_refused(&repo, "outside the repository");
        std::fs::remove_file(repo.path(".leakgate.toml")).expect("rm");
        let ignore = repo.outside("ignore.toml");
        std::fs::write(&ignore, "").expect("write");
        std::os::unix::fs::symlink(&ignore, repo.path(".leakgate-ignore")).expect("symlink");
        assert_refused(&repo, "outside the repository");
        std::fs::remove_file(repo.path(".leakgate-ignore")).expect("rm");
    }

    // Inside the repository, extends still works (also through a symlink that stays inside).
    repo.write("policy/team.toml", "max-push-commits = 7\n");
    repo.write(".leakgate.toml", "extends = \"policy/../policy/team.toml\"\n");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 0, "{}", run.all());

    // The organisation layer is trusted: it may extend an absolute path.
    let org = repo.outside("org.toml");
    std::fs::write(&org, format!("extends = \"{}\"\n", outside.display())).expect("write");
    repo.set_env("LEAKGATE_ORG_POLICY", &org);
    let show = repo.leakgate(&["policy", "show"]);
    assert_eq!(show.code, 0, "{}", show.all());
    assert!(show.stdout.contains("team.toml"), "{}", show.stdout);
}

#[test]
fn a_repository_policy_cannot_name_a_program_to_run() {
    let repo = repo_with_history();
    let rule = "[[rule]]\nid = \"acme.token\"\nname = \"A\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\n\
                regex = 'acme_[a-z]{8}'\nvalidator = \"sh -c 'touch pwned'\"\n";
    repo.write(".leakgate.toml", rule);
    repo.write("a.txt", "acme_abcdefgh\n");
    repo.add(&["a.txt"]);
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("is unknown"), "{}", run.stderr);
    assert!(!repo.path("pwned").exists());
    repo.write(".leakgate.toml", "hook = \"sh -c 'touch pwned'\"\n");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("unknown field"), "{}", run.stderr);
    assert!(!repo.path("pwned").exists());
}

#[cfg(unix)]
#[test]
fn reports_and_audit_logs_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    let repo = repo_with_history();
    let data: PathBuf = repo.outside("data");
    repo.set_env("LEAKGATE_DATA_DIR", &data);
    let key = Fakes::new(822).aws_key_id();
    repo.write("k.cfg", format!("key = {key}\n"));
    repo.add(&["k.cfg"]);
    let out_dir = repo.outside("reports");
    std::fs::create_dir_all(&out_dir).expect("dir");
    for (i, format) in ["human", "json", "sarif"].into_iter().enumerate() {
        let report = out_dir.join(format!("pre-commit-{i}.{format}"));
        let run = repo.leakgate(&["pre-commit", "--format", format, "-o", &report.to_string_lossy()]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(mode(&report), 0o600, "{format} report");
        let report = out_dir.join(format!("scan-{i}.{format}"));
        let run = repo.leakgate(&["scan", "--staged", "--format", format, "-o", &report.to_string_lossy()]);
        assert_eq!(run.code, 1, "{}", run.all());
        assert_eq!(mode(&report), 0o600, "{format} scan report");
        assert!(!crate::harness::contains_bytes(&std::fs::read(&report).expect("read"), key.as_bytes()));
    }
    let log = crate::harness::files_under(&data);
    assert!(!log.is_empty(), "no audit log written");
    for (path, content) in log {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        assert!(!crate::harness::contains_bytes(&content, key.as_bytes()), "the audit log holds the secret");
    }
    assert_eq!(mode(&data), 0o700);
    let leftovers: Vec<_> =
        std::fs::read_dir(&out_dir).expect("ls").flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 6, "temporary files left behind: {leftovers:?}");
}
