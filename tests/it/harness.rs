//! A temp repository driven by the real `git`, with a sanitised environment, and fake secrets
//! generated at run time (this repository must never contain a credential-looking string).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use leakgate::rules::example::{alphabet, Rng};
use leakgate::rules::validate;
use tempfile::TempDir;

/// The leakgate binary under test: the one cargo built, or the one `LEAKGATE_TEST_BIN` names
/// (CI runs the suite again against the static build `./install.sh` installs).
pub fn leakgate_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("LEAKGATE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_leakgate").to_string())
    })
}

/// A git repository in a temp dir, with its own HOME and config.
pub struct TestRepo {
    _tmp: TempDir,
    pub root: PathBuf,
    home: PathBuf,
    /// Extra variables for every command: set (`Some`) or removed (`None`).
    env: std::cell::RefCell<Vec<(String, Option<OsString>)>>,
}

impl TestRepo {
    /// `git init` in a fresh temp dir (branch `main`), with a committer identity.
    pub fn new() -> TestRepo {
        TestRepo::in_subdir("repo")
    }

    /// A repository with a pushed `main`, a bare remote `origin`, and both hooks installed.
    pub fn pushed() -> TestRepo {
        let repo = TestRepo::new();
        repo.add_bare_remote();
        repo.commit_file("README.md", "# app\n", "initial");
        repo.git(&["push", "-q", "--no-verify", "origin", "main"]);
        let run = repo.leakgate(&["install", "--pre-commit", "--pre-push"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        repo
    }

    /// Like `new`, with the work tree at `name` inside the temp dir (spaces and non-ASCII allowed).
    pub fn in_subdir(name: &str) -> TestRepo {
        let tmp = tempfile::tempdir().expect("temp dir");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).expect("home dir");
        std::fs::write(home.join(".gitconfig"), "").expect("empty global config");
        let root = tmp.path().join(name);
        std::fs::create_dir_all(&root).expect("repo dir");
        let repo = TestRepo { _tmp: tmp, root, home, env: std::cell::RefCell::default() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "dev@example.invalid"]);
        repo.git(&["config", "user.name", "Dev"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// A command with the sanitised environment, run in the work tree.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"))
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("NO_COLOR", "1")
            .env("LANG", "C");
        for (key, value) in self.env.borrow().iter() {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }

    /// Sets a variable for every later command.
    pub fn set_env(&self, key: &str, value: impl AsRef<OsStr>) {
        let mut env = self.env.borrow_mut();
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), Some(value.as_ref().to_os_string())));
    }

    /// Removes a variable from every later command's environment (also one the harness sets).
    pub fn unset_env(&self, key: &str) {
        let mut env = self.env.borrow_mut();
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), None));
    }

    /// The temp dir holding the work tree (a place for files outside the repository).
    pub fn outside(&self, rel: &str) -> PathBuf {
        self.root.parent().expect("temp dir").join(rel)
    }

    /// The temp HOME (the default audit log lives under it).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The temp dir holding HOME and the work tree.
    pub fn temp_root(&self) -> &Path {
        self._tmp.path()
    }

    /// Runs leakgate in the work tree with `input` on stdin.
    pub fn leakgate_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        self.leakgate_stdin_in(&self.root, args, input)
    }

    /// Runs leakgate in `dir` with this repository's sanitised environment and `input` on stdin.
    pub fn leakgate_stdin_in(&self, dir: &Path, args: &[&str], input: &[u8]) -> Run {
        let mut child = self
            .command(leakgate_bin())
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn leakgate");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().expect("wait");
        writer.join().expect("writer thread").ok();
        Run::from(out)
    }

    /// Runs git and returns its output (whatever the exit status).
    pub fn git_output(&self, args: &[&str]) -> Output {
        self.command("git").args(args).output().expect("git runs")
    }

    /// Runs git and panics (with its stderr) if it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs leakgate in the work tree.
    pub fn leakgate(&self, args: &[&str]) -> Run {
        Run::from(self.command(leakgate_bin()).args(args).output().expect("leakgate runs"))
    }

    /// Writes a file (creating parent directories).
    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("parent dirs");
        }
        std::fs::write(full, content).expect("write file");
    }

    /// `git add` the paths.
    pub fn add(&self, paths: &[&str]) {
        let mut args = vec!["add", "--"];
        args.extend_from_slice(paths);
        self.git(&args);
    }

    /// Commits what is staged without running hooks (to set up history).
    pub fn commit_unchecked(&self, message: &str) {
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
    }

    /// Installs the hook the way a user would.
    pub fn install_hook(&self) {
        let run = self.leakgate(&["install"]);
        assert_eq!(run.code, 0, "install failed: {}", run.stderr);
    }

    /// `git commit` through the installed hook; the result carries git's exit code and output.
    pub fn commit(&self, args: &[&str]) -> Run {
        let mut all = vec!["commit", "-q"];
        all.extend_from_slice(args);
        Run::from(self.git_output(&all))
    }

    /// Creates a bare repository next to the work tree and adds it as remote `origin`.
    pub fn add_bare_remote(&self) -> PathBuf {
        let bare = self.root.parent().expect("temp dir").join("remote.git");
        let out =
            self.command("git").args(["init", "-q", "--bare"]).arg(&bare).output().expect("git init --bare");
        assert!(out.status.success());
        self.git(&["remote", "add", "origin", &bare.to_string_lossy()]);
        bare
    }

    /// `git push` through the installed hooks.
    pub fn push(&self, args: &[&str]) -> Run {
        let mut all = vec!["push", "-q"];
        all.extend_from_slice(args);
        Run::from(self.git_output(&all))
    }

    /// Commits a file with the given content without hooks; returns the commit id.
    pub fn commit_file(&self, path: &str, content: &str, message: &str) -> String {
        self.write(path, content);
        self.add(&[path]);
        self.commit_unchecked(message);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Path of a file inside the repository.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The git dir.
    pub fn git_dir(&self) -> PathBuf {
        self.root.join(".git")
    }
}

/// A finished process.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Asserts the secret appears nowhere in the output, without ever printing it.
    pub fn assert_no_leak(&self, secret: &str) {
        let len = secret.len();
        assert!(!self.all().contains(secret), "the output contains a full {len}-char secret");
    }
}

/// Generates fake secrets of real formats, from a seed, at run time.
pub struct Fakes(Rng);

impl Fakes {
    pub fn new(seed: u64) -> Fakes {
        Fakes(Rng::new(seed))
    }

    fn chars(&mut self, class: &str, len: usize) -> String {
        self.0.string(alphabet(class).expect("known class"), len)
    }

    /// An AWS access key id.
    pub fn aws_key_id(&mut self) -> String {
        ["AK", "IA"].concat() + &self.chars("base32", 16)
    }

    /// A classic GitHub personal access token.
    pub fn github_token(&mut self) -> String {
        // 30 random characters and their base62 CRC-32, as GitHub issues them (the rule checks it).
        let body = self.chars("alnum", 30);
        let check = validate::base62_6(validate::crc32(body.as_bytes()));
        ["gh", "p_"].concat() + &body + &check
    }

    /// A random password of 16 alphanumeric characters (found by the generic rule when assigned).
    pub fn password(&mut self) -> String {
        self.chars("alnum", 16)
    }

    /// An AWS secret access key (40 base64 characters).
    pub fn aws_secret(&mut self) -> String {
        self.chars("alnum", 40)
    }

    /// A PEM RSA private key block (random body).
    pub fn pem_block(&mut self) -> String {
        let kind = ["RSA PRIV", "ATE KEY"].concat();
        let mut block = format!("-----BEGIN {kind}-----\n");
        for _ in 0..6 {
            block.push_str(&self.chars("base64", 64));
            block.push('\n');
        }
        block.push_str(&format!("-----END {kind}-----"));
        block
    }
}

/// Whether the report names `path` and a finding at `line` for `rule`.
pub fn reports(run: &Run, path: &str, line: u32, rule: &str) -> bool {
    let text = run.all();
    let mut in_file = false;
    for l in text.lines() {
        if !l.starts_with(' ') && !l.is_empty() {
            in_file = l.trim() == path || l.starts_with(&format!("{path} (commit "));
            continue;
        }
        let t = l.trim_start();
        if in_file && t.starts_with(&format!("{line}:")) && t.contains(rule) {
            return true;
        }
    }
    false
}

/// Makes `path` exist relative to the test's temp dir (used for hooks paths).
pub fn ensure_dir(path: &Path) {
    std::fs::create_dir_all(path).expect("create dir");
}

/// Every file under `dir` (recursively), with its content.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            out.extend(files_under(&path));
        } else if kind.is_file() {
            if let Ok(content) = std::fs::read(&path) {
                out.push((path, content));
            }
        }
    }
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Replaces what changes from run to run (fingerprints, temp paths) with stable markers.
pub fn normalize(text: &str, temp: &Path) -> String {
    let fp = regex::Regex::new(r"lg1:[0-9a-f]{16}").expect("regex");
    let text = text.replace(&temp.to_string_lossy().into_owned(), "<tmp>");
    fp.replace_all(&text, "lg1:<fingerprint>").into_owned()
}

/// Compares `actual` with `tests/it/snapshots/<name>.txt`. With `LEAKGATE_BLESS=1`, or when the
/// snapshot does not exist yet, writes it instead (review the diff like code).
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots").join(format!("{name}.txt"));
    let bless = std::env::var_os("LEAKGATE_BLESS").is_some_and(|v| v == "1");
    match std::fs::read_to_string(&path) {
        Ok(expected) if !bless => {
            if expected != actual {
                let diff: Vec<String> = expected
                    .lines()
                    .zip(actual.lines())
                    .enumerate()
                    .filter(|(_, (e, a))| e != a)
                    .take(5)
                    .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
                    .collect();
                panic!(
                    "snapshot {name} differs ({} vs {} lines); rerun with LEAKGATE_BLESS=1 to accept\n{}\n--- actual ---\n{actual}",
                    expected.lines().count(),
                    actual.lines().count(),
                    diff.join("\n")
                );
            }
        }
        _ => {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("snapshot dir");
            std::fs::write(&path, actual).expect("write snapshot");
        }
    }
}
