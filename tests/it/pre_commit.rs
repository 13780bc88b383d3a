//! `leakgate pre-commit` through real `git commit`: it must judge exactly what the commit records.

use crate::harness::{reports, Fakes, TestRepo};

/// A repository with one clean commit and the hook installed.
fn repo_with_history() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# app\n");
    repo.write("src/app.py", "import os\n\nprint('hello')\n");
    repo.add(&["README.md", "src/app.py"]);
    repo.commit_unchecked("initial");
    repo.install_hook();
    repo
}

#[test]
fn a_clean_commit_passes_silently() {
    let repo = repo_with_history();
    repo.write("src/app.py", "import os\n\nprint('hello, world')\ntoken = os.environ['API_TOKEN']\n");
    repo.add(&["src/app.py"]);
    let run = repo.commit(&["-m", "greet"]);
    assert_eq!(run.code, 0, "clean commit refused: {}", run.stderr);
    assert_eq!(run.stderr, "", "a clean commit must be silent");
}

#[test]
fn an_aws_key_is_blocked_with_file_and_line() {
    let repo = repo_with_history();
    let key = Fakes::new(1).aws_key_id();
    repo.write("config/settings.ini", format!("[aws]\nregion = eu-west-1\naws_access_key_id = {key}\n"));
    repo.add(&["config/settings.ini"]);
    let run = repo.commit(&["-m", "config"]);
    assert_ne!(run.code, 0, "commit with an AWS key went through");
    assert!(reports(&run, "config/settings.ini", 3, "aws.access-key-id"), "{}", run.stderr);
    assert!(run.stderr.contains("revoke"), "no remediation: {}", run.stderr);
    run.assert_no_leak(&key);
    assert_eq!(repo.git_output(&["rev-parse", "-q", "--verify", "HEAD~1"]).status.code(), Some(1));

    let direct = repo.leakgate(&["pre-commit"]);
    assert_eq!(direct.code, 1, "{}", direct.stderr);
    direct.assert_no_leak(&key);
}

#[test]
fn a_github_token_and_a_pem_block_are_blocked_at_their_lines() {
    let repo = repo_with_history();
    let mut fakes = Fakes::new(2);
    let token = fakes.github_token();
    let pem = fakes.pem_block();
    let body: Vec<String> = (1..=40).map(|i| format!("line_{i} = {i}")).collect();
    let script = format!("#!/bin/sh\n{}\nexport GITHUB_TOKEN={token}\n", body.join("\n"));
    repo.write("deploy.sh", script);
    repo.write("keys/server.txt", format!("comment\n\n{pem}\n"));
    repo.add(&["deploy.sh", "keys/server.txt"]);
    let run = repo.commit(&["-m", "deploy"]);
    assert_ne!(run.code, 0);
    assert!(reports(&run, "deploy.sh", 42, "github.pat-classic"), "{}", run.stderr);
    assert!(reports(&run, "keys/server.txt", 3, "private-key.rsa"), "{}", run.stderr);
    run.assert_no_leak(&token);
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        run.assert_no_leak(line);
    }
}

#[test]
fn only_added_lines_count_deleting_a_secret_passes() {
    let repo = repo_with_history();
    let key = Fakes::new(3).aws_key_id();
    repo.write("old.env.txt", format!("A=1\nKEY_ID={key}\nB=2\n"));
    repo.add(&["old.env.txt"]);
    repo.commit_unchecked("legacy secret");
    repo.write("old.env.txt", "A=1\nB=2\nC=3\n");
    repo.add(&["old.env.txt"]);
    let run = repo.commit(&["-m", "remove the key"]);
    assert_eq!(run.code, 0, "removing a secret was blocked: {}", run.stderr);
}

#[test]
fn editing_near_an_old_secret_does_not_block_on_it() {
    let repo = repo_with_history();
    let key = Fakes::new(4).aws_key_id();
    repo.write("app.cfg", format!("A=1\nKEY_ID={key}\nB=2\n"));
    repo.add(&["app.cfg"]);
    repo.commit_unchecked("legacy secret");
    repo.write("app.cfg", format!("A=1\nKEY_ID={key}\nB=3\nD=4\n"));
    repo.add(&["app.cfg"]);
    let run = repo.commit(&["-m", "edit next to it"]);
    assert_eq!(run.code, 0, "an unchanged, already committed line was judged again: {}", run.stderr);
}

/// Commits a file holding one key, lets `move_objects` move the committed objects elsewhere, then
/// stages a second key below the first: the commit must be refused for the new line only, which
/// takes reading the committed version wherever it now is.
fn second_key_after(path: &str, seed: u64, move_objects: impl FnOnce(&TestRepo)) {
    let repo = repo_with_history();
    let mut fakes = Fakes::new(seed);
    let (old_key, new_key) = (fakes.aws_key_id(), fakes.aws_key_id());
    repo.write(path, format!("A=1\nKEY_ID={old_key}\nB=2\n"));
    repo.add(&[path]);
    repo.commit_unchecked("legacy secret");
    move_objects(&repo);
    assert!(repo.git_output(&["cat-file", "-e", &format!("HEAD:{path}")]).status.success(), "git reads it");
    repo.write(path, format!("A=1\nKEY_ID={old_key}\nB=2\nNEW_ID={new_key}\n"));
    repo.add(&[path]);
    let run = repo.commit(&["-m", "a second key"]);
    assert_ne!(run.code, 0, "the new key went through");
    assert!(reports(&run, path, 4, "aws.access-key-id"), "{}", run.stderr);
    assert!(!reports(&run, path, 2, "aws.access-key-id"), "an old line was judged: {}", run.stderr);
    run.assert_no_leak(&new_key);
}

/// After `git gc` the committed trees and blobs are packed while the commit's new trees are
/// loose: the diff reads both kinds (leakgate reads loose objects itself).
#[test]
fn packed_history_and_loose_staged_trees_are_read_alike() {
    second_key_after("conf/deep/app.cfg", 7, |repo| {
        assert!(repo.git_output(&["gc", "-q", "--prune=now"]).status.success(), "git gc failed");
        let packs = std::fs::read_dir(repo.path(".git/objects/pack")).expect("pack dir").count();
        assert!(packs > 0, "nothing was packed");
    });
}

/// The committed objects live in an alternate object directory (as after `git clone --shared`):
/// leakgate's own loose-object reader does not look there, libgit2 does.
#[test]
fn committed_objects_in_an_alternate_are_read() {
    second_key_after("conf/app.cfg", 8, |repo| {
        let objects = repo.path(".git/objects");
        let store = repo.outside("alternate-objects");
        std::fs::create_dir_all(&store).expect("store");
        for entry in std::fs::read_dir(&objects).expect("objects") {
            let entry = entry.expect("entry");
            if entry.file_name().len() == 2 {
                std::fs::rename(entry.path(), store.join(entry.file_name())).expect("move");
            }
        }
        std::fs::write(objects.join("info/alternates"), format!("{}\n", store.display()))
            .expect("alternates");
    });
}

#[test]
fn a_secret_staged_then_removed_from_the_work_tree_still_blocks() {
    let repo = repo_with_history();
    let key = Fakes::new(5).aws_key_id();
    repo.write("creds.txt", format!("key = {key}\n"));
    repo.add(&["creds.txt"]);
    repo.write("creds.txt", "key = ${AWS_ACCESS_KEY_ID}\n");
    let run = repo.commit(&["-m", "creds"]);
    assert_ne!(run.code, 0, "the staged blob was not scanned");
    assert!(reports(&run, "creds.txt", 1, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn a_secret_only_in_the_work_tree_does_not_block() {
    let repo = repo_with_history();
    let key = Fakes::new(6).aws_key_id();
    repo.write("notes.txt", "todo\n");
    repo.add(&["notes.txt"]);
    repo.write("notes.txt", format!("todo\nkey = {key}\n"));
    let run = repo.commit(&["-m", "notes"]);
    assert_eq!(run.code, 0, "unstaged content was judged: {}", run.stderr);
}

/// leakgate may read a staged file's bytes from the work tree, but only when they hash to the
/// staged blob: a clean filter that makes the two differ must not fool it either way.
#[test]
fn a_clean_filter_is_judged_on_the_blob_it_stores() {
    let repo = repo_with_history();
    let key = Fakes::new(9).aws_key_id();
    repo.write(".gitattributes", "*.tpl filter=fill\n*.strip filter=strip\n");
    repo.git(&["config", "filter.fill.clean", &format!("sed s/PLACEHOLDER/{key}/")]);
    repo.git(&["config", "filter.strip.clean", "sed s/=.*/=REDACTED/"]);
    repo.add(&[".gitattributes"]);
    repo.commit(&["-m", "filters"]);

    // The work tree is clean, the stored blob holds the key: blocked.
    repo.write("app.tpl", "key = PLACEHOLDER\n");
    repo.add(&["app.tpl"]);
    let run = repo.commit(&["-m", "filled"]);
    assert_ne!(run.code, 0, "the filtered blob was not scanned");
    assert!(reports(&run, "app.tpl", 1, "aws.access-key-id"), "{}", run.stderr);
    run.assert_no_leak(&key);
    repo.git(&["reset", "-q"]);

    // The work tree holds the key, the stored blob does not: allowed.
    repo.write("app.strip", format!("key={key}\n"));
    repo.add(&["app.strip"]);
    let run = repo.commit(&["-m", "stripped"]);
    assert_eq!(run.code, 0, "work-tree bytes that are not staged were judged: {}", run.stderr);
}

#[test]
fn commit_all_is_judged_on_the_index_git_is_committing() {
    // `git commit -a` stages into a temporary index named by GIT_INDEX_FILE; `.git/index` on disk
    // still lacks the change. Reading the wrong index lets this secret through.
    let repo = repo_with_history();
    let key = Fakes::new(7).aws_key_id();
    repo.write("src/app.py", format!("import os\n\nprint('hello')\nKEY = '{key}'\n"));
    let run = repo.commit(&["-a", "-m", "all"]);
    assert_ne!(run.code, 0, "commit -a let a secret through");
    assert!(reports(&run, "src/app.py", 4, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn a_partial_commit_is_judged_on_the_named_paths_only() {
    let repo = repo_with_history();
    let key = Fakes::new(8).aws_key_id();
    // Staged secret in one file, a clean change in another: committing only the clean file passes.
    repo.write("secret.cfg", format!("id = {key}\n"));
    repo.add(&["secret.cfg"]);
    repo.write("README.md", "# app\n\nmore docs\n");
    let run = repo.commit(&["-m", "docs", "--", "README.md"]);
    assert_eq!(run.code, 0, "a file outside the partial commit was judged: {}", run.stderr);

    // The other way round: the named path carries an unstaged secret, the staged file is clean.
    repo.git(&["reset", "-q", "secret.cfg"]);
    repo.write("src/app.py", format!("import os\nKEY = '{key}'\n"));
    repo.write("other.txt", "clean\n");
    repo.add(&["other.txt"]);
    let run = repo.commit(&["-m", "app", "--", "src/app.py"]);
    assert_ne!(run.code, 0, "a partial commit of a file with a secret went through");
    assert!(reports(&run, "src/app.py", 2, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn the_first_commit_of_an_empty_repository_is_scanned() {
    let repo = TestRepo::new();
    repo.install_hook();
    let token = Fakes::new(9).github_token();
    repo.write(".github/ci.yml", format!("env:\n  TOKEN: {token}\n"));
    repo.add(&[".github/ci.yml"]);
    let run = repo.commit(&["-m", "first"]);
    assert_ne!(run.code, 0, "the first commit was not scanned");
    assert!(reports(&run, ".github/ci.yml", 2, "github.pat-classic"), "{}", run.stderr);

    repo.write(".github/ci.yml", "env:\n  TOKEN: ${{ secrets.TOKEN }}\n");
    repo.add(&[".github/ci.yml"]);
    let run = repo.commit(&["-m", "first"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_renamed_file_is_not_rescanned_but_new_lines_in_it_are() {
    let repo = repo_with_history();
    let mut fakes = Fakes::new(10);
    let old_key = fakes.aws_key_id();
    let lines: Vec<String> = (0..20).map(|i| format!("setting_{i} = value {i}")).collect();
    repo.write("conf/a.ini", format!("{}\nid = {old_key}\n", lines.join("\n")));
    repo.add(&["conf/a.ini"]);
    repo.commit_unchecked("legacy");

    repo.git(&["mv", "conf/a.ini", "conf/b.ini"]);
    let run = repo.commit(&["-m", "rename"]);
    assert_eq!(run.code, 0, "a pure rename was judged as new content: {}", run.stderr);

    let new_key = fakes.aws_key_id();
    repo.git(&["mv", "conf/b.ini", "conf/c.ini"]);
    let mut content = std::fs::read_to_string(repo.path("conf/c.ini")).expect("read");
    content.push_str(&format!("second = {new_key}\n"));
    repo.write("conf/c.ini", content);
    repo.add(&["conf/c.ini"]);
    let run = repo.commit(&["-m", "rename and add"]);
    assert_ne!(run.code, 0);
    assert!(reports(&run, "conf/c.ini", 22, "aws.access-key-id"), "{}", run.stderr);
    assert!(
        !reports(&run, "conf/c.ini", 21, "aws.access-key-id"),
        "the old line was reported: {}",
        run.stderr
    );
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let repo = repo_with_history();
    let key = Fakes::new(11).aws_key_id();
    let mut blob = vec![0u8, 1, 2, 3, 0, 0];
    blob.extend_from_slice(key.as_bytes());
    repo.write("assets/logo.bin", blob);
    repo.add(&["assets/logo.bin"]);
    let run = repo.leakgate(&["-v", "pre-commit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("1 binary skipped"), "binary skip not reported: {}", run.stderr);
}

#[test]
fn content_that_is_not_utf8_is_still_scanned() {
    let repo = repo_with_history();
    let key = Fakes::new(12).aws_key_id();
    let mut content = b"caf\xe9 = 1\n\xff\xfe broken\n".to_vec();
    content.extend_from_slice(format!("key = {key}\n").as_bytes());
    repo.write("latin1.txt", content);
    repo.add(&["latin1.txt"]);
    let run = repo.commit(&["-m", "latin1"]);
    assert_ne!(run.code, 0);
    assert!(reports(&run, "latin1.txt", 3, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn a_file_over_the_size_limit_is_reported_as_skipped() {
    let repo = repo_with_history();
    repo.write(".leakgate.toml", "max-file-bytes = 1000\n");
    let key = Fakes::new(13).aws_key_id();
    let big = format!("{}key = {key}\n", "x = 1\n".repeat(400));
    repo.write("big.txt", big);
    repo.add(&["big.txt"]);
    let run = repo.commit(&["-m", "big"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("big.txt was not scanned"), "skip not reported: {}", run.stderr);
}

#[test]
fn split_index_falls_back_to_git_plumbing() {
    let repo = repo_with_history();
    repo.git(&["config", "core.splitIndex", "true"]);
    repo.git(&["update-index", "--split-index"]);
    let key = Fakes::new(14).aws_key_id();
    repo.write("split.txt", format!("one\nkey = {key}\n"));
    repo.add(&["split.txt"]);
    let run = repo.commit(&["-m", "split"]);
    assert_ne!(run.code, 0, "split index: {}", run.stderr);
    assert!(reports(&run, "split.txt", 2, "aws.access-key-id"), "{}", run.stderr);

    repo.write("split.txt", "one\ntwo\n");
    repo.add(&["split.txt"]);
    let run = repo.commit(&["-m", "split"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_merge_reports_only_what_no_parent_had() {
    let repo = repo_with_history();
    let mut fakes = Fakes::new(15);
    let theirs = fakes.aws_key_id();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("shared.txt", format!("base\nfeature_key = {theirs}\n"));
    repo.add(&["shared.txt"]);
    repo.commit_unchecked("feature brings a key");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("shared.txt", "base\nmain line\n");
    repo.add(&["shared.txt"]);
    repo.commit_unchecked("main edits");
    let merge = repo.git_output(&["merge", "-q", "--no-edit", "--no-verify", "feature"]);
    assert!(!merge.status.success(), "expected a conflict");
    // Resolve by keeping both lines: the key came from a parent, so it is not new here.
    repo.write("shared.txt", format!("base\nmain line\nfeature_key = {theirs}\n"));
    repo.add(&["shared.txt"]);
    let run = repo.commit(&["--no-edit"]);
    assert_eq!(run.code, 0, "a parent's content was judged as new: {}", run.stderr);

    // An "evil merge" adds a secret in the resolution itself.
    repo.git(&["checkout", "-q", "-b", "f2", "HEAD~1"]);
    repo.write("other.txt", "x\n");
    repo.add(&["other.txt"]);
    repo.commit_unchecked("f2");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--no-commit", "--no-ff", "f2"]);
    let evil = fakes.aws_key_id();
    repo.write("other.txt", format!("x\nkey = {evil}\n"));
    repo.add(&["other.txt"]);
    let run = repo.commit(&["--no-edit"]);
    assert_ne!(run.code, 0, "a secret added in a merge resolution went through");
    assert!(reports(&run, "other.txt", 2, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn a_corrupt_index_fails_closed_with_exit_3() {
    let repo = repo_with_history();
    repo.write("a.txt", "a\n");
    repo.add(&["a.txt"]);
    std::fs::write(repo.git_dir().join("index"), b"DIRC garbage").expect("corrupt index");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("cannot read the index"), "{}", run.stderr);
    assert!(run.stderr.contains("blocked to be safe"), "{}", run.stderr);
}

#[test]
fn an_invalid_policy_blocks_with_exit_2_and_its_position() {
    let repo = repo_with_history();
    repo.write(".leakgate.toml", "max-file-bytes = 1000\nmin-severity-to-blok = \"high\"\n");
    repo.write("a.txt", "a\n");
    repo.add(&["a.txt"]);
    let run = repo.commit(&["-m", "a"]);
    assert_ne!(run.code, 0);
    let direct = repo.leakgate(&["pre-commit"]);
    assert_eq!(direct.code, 2, "{}", direct.stderr);
    assert!(direct.stderr.contains(".leakgate.toml:2:1"), "{}", direct.stderr);
    assert!(direct.stderr.contains("min-severity-to-blok"), "{}", direct.stderr);
}

#[test]
fn works_from_a_linked_worktree() {
    let repo = repo_with_history();
    repo.git(&["worktree", "add", "-q", "../wt", "-b", "wt"]);
    let wt = repo.root.parent().expect("parent").join("wt");
    let key = Fakes::new(16).aws_key_id();
    std::fs::write(wt.join("w.txt"), format!("key = {key}\n")).expect("write");
    let out = repo.command("git").current_dir(&wt).args(["add", "w.txt"]).output().expect("git add");
    assert!(out.status.success());
    let run: crate::harness::Run = repo
        .command("git")
        .current_dir(&wt)
        .args(["commit", "-q", "-m", "w"])
        .output()
        .expect("commit")
        .into();
    assert_ne!(run.code, 0, "the hook did not run or did not block in a worktree: {}", run.stderr);
    assert!(reports(&run, "w.txt", 1, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn a_repository_path_with_spaces_and_non_ascii_works() {
    let repo = TestRepo::in_subdir("my répo with spaces");
    repo.install_hook();
    let key = Fakes::new(17).aws_key_id();
    repo.write("dir with space/fïle.txt", format!("key = {key}\n"));
    repo.add(&["dir with space/fïle.txt"]);
    let run = repo.commit(&["-m", "x"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn sparse_index_falls_back_to_git_plumbing() {
    let repo = repo_with_history();
    repo.write("kept/a.txt", "a\n");
    repo.write("hidden/b.txt", "b\n");
    repo.add(&["kept/a.txt", "hidden/b.txt"]);
    repo.commit_unchecked("dirs");
    repo.git(&["sparse-checkout", "init", "--cone", "--sparse-index"]);
    repo.git(&["sparse-checkout", "set", "kept"]);
    let key = Fakes::new(18).aws_key_id();
    repo.write("kept/a.txt", format!("a\nkey = {key}\n"));
    repo.add(&["kept/a.txt"]);
    let run = repo.commit(&["-m", "sparse"]);
    assert_ne!(run.code, 0, "sparse index: {}", run.stderr);
    assert!(reports(&run, "kept/a.txt", 2, "aws.access-key-id"), "{}", run.stderr);
}

#[test]
fn submodule_pointers_are_not_descended_into_and_symlinks_do_not_break() {
    let repo = repo_with_history();
    let sub = TestRepo::new();
    sub.write("s.txt", "s\n");
    sub.add(&["s.txt"]);
    sub.commit_unchecked("s");
    let url = format!("file://{}", sub.root.display());
    repo.git(&["-c", "protocol.file.allow=always", "submodule", "add", "-q", &url, "vendor/sub"]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("README.md", repo.path("link.md")).expect("symlink");
    repo.git(&["add", "-A"]);
    let run = repo.commit(&["-m", "submodule and symlink"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn named_files_filter_the_staged_diff_and_unchanged_ones_are_scanned_whole() {
    // The pre-commit framework passes file names: they are a filter, and under
    // `pre-commit run --all-files` (nothing staged) each named file is scanned whole.
    let repo = repo_with_history();
    let key = Fakes::new(19).aws_key_id();
    repo.commit_file("old.cfg", &format!("a = 1\nkey = {key}\n"), "committed earlier, unchecked");
    let run = repo.leakgate(&["pre-commit", "old.cfg", "README.md"]);
    assert_eq!(run.code, 1, "a named file without staged change was not scanned whole: {}", run.stderr);
    assert!(reports(&run, "old.cfg", 2, "aws.access-key-id"), "{}", run.stderr);

    let other = Fakes::new(20).aws_key_id();
    repo.write("staged.cfg", format!("key = {other}\n"));
    repo.write("README.md", "# app\nmore\n");
    repo.add(&["staged.cfg", "README.md"]);
    let run = repo.leakgate(&["pre-commit", "README.md"]);
    assert_eq!(run.code, 0, "a file that was not named was scanned: {}", run.stderr);
    let run = repo.leakgate(&["pre-commit", "staged.cfg"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}
