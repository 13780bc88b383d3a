//! The plain repository layout, read without libgit2: the work tree's `.git` is a directory of
//! the user's, with `HEAD`, `objects/` and `refs/`, and a config that neither moves nor extends
//! the repository. That is what `git init` and `git clone` make, and where git runs a plain
//! repository's hooks. Whatever this reading does not recognise is left to libgit2
//! (see [`super::Repo`]): the reading is conservative, never approximate.

use std::path::{Path, PathBuf};

use super::ObjectId;

/// What the plain reading found.
#[derive(Clone)]
pub struct PlainLayout {
    /// The work-tree root (the current directory).
    pub root: PathBuf,
    /// `<root>/.git`.
    pub git_dir: PathBuf,
    /// What `HEAD` holds.
    pub head: HeadFile,
    /// `remote.origin.url` in the repository's config.
    pub origin_url: Option<String>,
}

/// The content of a `HEAD` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeadFile {
    /// `ref: <name>`: on a branch (or another reference).
    Symbolic(String),
    /// A commit id: detached.
    Detached(ObjectId),
}

impl PlainLayout {
    /// The repository at `root`, if it has the plain layout.
    pub fn read(root: &Path) -> Option<PlainLayout> {
        let git_dir = root.join(".git");
        let meta = std::fs::symlink_metadata(&git_dir).ok()?;
        if !meta.is_dir() || !owned_by_user(&meta) {
            return None;
        }
        // libgit2 takes a directory for a repository when it holds these; a linked worktree's
        // or a relocated git directory (`commondir`) is left to libgit2.
        let is_dir = |name: &str| std::fs::metadata(git_dir.join(name)).is_ok_and(|m| m.is_dir());
        if !is_dir("objects")
            || !is_dir("refs")
            || std::fs::symlink_metadata(git_dir.join("commondir")).is_ok()
        {
            return None;
        }
        let head = HeadFile::parse(&std::fs::read(git_dir.join("HEAD")).ok()?)?;
        let config = match std::fs::read(git_dir.join("config")) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(_) => return None,
        };
        let origin_url = RepoConfig::parse(&config)?.origin_url;
        Some(PlainLayout { root: root.to_path_buf(), git_dir, head, origin_url })
    }

    /// The commit `HEAD` names (`Some(None)`: an unborn branch), when a loose reference file
    /// tells it; `None` when only libgit2 can (packed references, a symbolic chain).
    pub fn head_commit(&self) -> Option<Option<ObjectId>> {
        let name = match &self.head {
            HeadFile::Detached(id) => return Some(Some(*id)),
            HeadFile::Symbolic(name) => name,
        };
        match std::fs::read(self.git_dir.join(name)) {
            Ok(bytes) => parse_id_line(&bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Not loose: packed, or the branch is unborn.
                let packed = std::fs::symlink_metadata(self.git_dir.join("packed-refs"));
                matches!(packed, Err(e) if e.kind() == std::io::ErrorKind::NotFound).then_some(None)
            }
            Err(_) => None,
        }
    }
}

#[cfg(unix)]
fn owned_by_user(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == rustix::process::geteuid().as_raw()
}

#[cfg(not(unix))]
fn owned_by_user(_: &std::fs::Metadata) -> bool {
    false
}

impl HeadFile {
    /// `HEAD`'s content, if it is a branch reference with a plain name or a SHA-1 id.
    fn parse(bytes: &[u8]) -> Option<HeadFile> {
        let text = std::str::from_utf8(bytes).ok()?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        match text.strip_prefix("ref: ") {
            Some(name) if is_plain_ref_name(name) => Some(HeadFile::Symbolic(name.to_string())),
            Some(_) => None,
            None => parse_id_line(bytes).map(HeadFile::Detached),
        }
    }
}

/// A reference name that is a path under `refs/` and nothing git would refuse: letters, digits,
/// `-`, `_`, `.` and `/`, no empty or dot-led component, no `..`, no `.lock` ending.
fn is_plain_ref_name(name: &str) -> bool {
    name.starts_with("refs/")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        && name.split('/').all(|c| !c.is_empty() && !c.starts_with('.') && !c.ends_with(".lock"))
        && !name.contains("..")
        && !name.ends_with('.')
}

/// A SHA-1 id in hex (40 digits), with or without its newline.
fn parse_id_line(bytes: &[u8]) -> Option<ObjectId> {
    let hex = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    ObjectId::from_hex(hex)
}

/// What the plain reading needs of the repository's config file.
#[derive(Debug, Default, PartialEq, Eq)]
struct RepoConfig {
    origin_url: Option<String>,
}

impl RepoConfig {
    /// `None` when the file says something that moves or extends the repository (a format
    /// version other than 0 or 1, `extensions.*`, `core.worktree`, `core.bare` not false,
    /// includes), or holds syntax this reading does not take (quotes, escapes, continued lines,
    /// old-style subsections): libgit2 reads it then.
    fn parse(bytes: &[u8]) -> Option<RepoConfig> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut config = RepoConfig::default();
        let mut section: Option<(String, Option<&str>)> = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if line.starts_with('[') {
                section = Some(parse_header(line)?);
                continue;
            }
            let (name, sub) = section.as_ref()?;
            let (key, value) = parse_entry(line)?;
            match (name.as_str(), *sub, key.as_str()) {
                ("extensions" | "include" | "includeif", ..) => return None,
                ("core", None, "repositoryformatversion") if !matches!(value, Some("0" | "1")) => {
                    return None
                }
                ("core", None, "worktree") => return None,
                ("core", None, "bare") if !value.is_some_and(is_false) => return None,
                ("remote", Some("origin"), "url") => config.origin_url = value.map(str::to_string),
                _ => {}
            }
        }
        Some(config)
    }
}

/// `[name]` or `[name "sub"]` (lower-cased name), with nothing but a comment after it.
fn parse_header(line: &str) -> Option<(String, Option<&str>)> {
    let (inside, rest) = line.strip_prefix('[')?.split_once(']')?;
    let rest = rest.trim_start();
    if !(rest.is_empty() || rest.starts_with(['#', ';'])) {
        return None;
    }
    let (name, sub) = match inside.split_once(' ') {
        Some((name, quoted)) => {
            let sub = quoted.strip_prefix('"')?.strip_suffix('"')?;
            if sub.contains(['"', '\\']) {
                return None;
            }
            (name, Some(sub))
        }
        None => (inside, None),
    };
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    valid.then(|| (name.to_ascii_lowercase(), sub))
}

/// `key = value` (lower-cased key; the value without its comment), or `key` alone (`None`).
fn parse_entry(line: &str) -> Option<(String, Option<&str>)> {
    let (key, value) = match line.split_once('=') {
        Some((key, value)) => (key.trim_end(), Some(value)),
        None => (line, None),
    };
    let valid = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !valid || value.is_some_and(|v| v.contains(['"', '\\'])) {
        return None;
    }
    let value = value.map(|v| v.split(['#', ';']).next().unwrap_or_default().trim());
    Some((key.to_ascii_lowercase(), value))
}

fn is_false(value: &str) -> bool {
    ["false", "no", "off", "0"].iter().any(|f| value.eq_ignore_ascii_case(f))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{git, write};
    use super::*;

    /// The layout `git init` makes is read, down to the commit `HEAD` names; a git directory
    /// that is a linked worktree's, or misses what makes it a repository, is left to libgit2.
    #[cfg(unix)]
    #[test]
    fn reads_a_plain_repository_and_nothing_else() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["config", "remote.origin.url", "https://example.invalid/o/r.git"]);
        let unborn = PlainLayout::read(root).expect("plain");
        assert_eq!(unborn.head, HeadFile::Symbolic("refs/heads/main".into()));
        assert_eq!(unborn.head_commit(), Some(None), "unborn");
        assert_eq!(unborn.origin_url.as_deref(), Some("https://example.invalid/o/r.git"));
        write(root, "a.txt", "a\n");
        git(root, &["add", "a.txt"]);
        git(root, &["commit", "-qm", "one"]);
        let head = std::fs::read_to_string(root.join(".git/refs/heads/main")).expect("ref");
        let plain = PlainLayout::read(root).expect("plain");
        assert_eq!(plain.head_commit().flatten().map(|id| id.to_string()), Some(head.trim().to_string()));
        git(root, &["pack-refs", "--all"]);
        assert_eq!(plain.head_commit(), None, "a packed branch is read by libgit2");

        std::fs::write(root.join(".git/commondir"), "..\n").expect("write");
        assert!(PlainLayout::read(root).is_none(), "a linked worktree's git directory");
        std::fs::remove_file(root.join(".git/commondir")).expect("rm");
        std::fs::rename(root.join(".git/refs"), root.join(".git/refs.moved")).expect("mv");
        assert!(PlainLayout::read(root).is_none(), "no refs directory");
        std::fs::rename(root.join(".git/refs.moved"), root.join(".git/refs")).expect("mv");
        assert!(PlainLayout::read(root).is_some());
        assert!(PlainLayout::read(&root.join("sub")).is_none(), "not the work-tree root");
    }

    fn parse(text: &str) -> Option<RepoConfig> {
        RepoConfig::parse(text.as_bytes())
    }

    #[test]
    fn reads_what_git_init_and_clone_write() {
        let config = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\
                      \tlogallrefupdates = true\n[remote \"origin\"]\n\turl = https://example.invalid/o/r.git\n\
                      \tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n";
        let url = parse(config).expect("plain").origin_url;
        assert_eq!(url.as_deref(), Some("https://example.invalid/o/r.git"));
        assert_eq!(parse(""), Some(RepoConfig::default()));
        assert_eq!(
            parse("[Core]\n  Bare = No ; comment\n# note\n[user]\nname = x\n"),
            Some(RepoConfig::default())
        );
    }

    #[test]
    fn leaves_to_libgit2_what_moves_or_extends_the_repository() {
        for config in [
            "[core]\nrepositoryformatversion = 2\n",
            "[core]\nbare = true\n",
            "[core]\nbare\n",
            "[core]\nworktree = ../elsewhere\n",
            "[extensions]\nobjectformat = sha256\n",
            "[Extensions]\nrefStorage = reftable\n",
            "[include]\npath = other.config\n",
            "[includeIf \"gitdir:~/w/\"]\npath = other.config\n",
        ] {
            assert_eq!(parse(config), None, "{config:?}");
        }
    }

    #[test]
    fn leaves_to_libgit2_what_it_does_not_parse() {
        for config in [
            "[remote \"origin\"]\nurl = \"https://example.invalid/a b\"\n",
            "[core]\nbare = false \\\n  \n",
            "[remote.origin]\nurl = x\n",
            "[remote \"ori\\\"gin\"]\nurl = x\n",
            "url = before any section\n",
            "[core] bare = false\n",
            "[core]\n1key = x\n",
        ] {
            assert_eq!(parse(config), None, "{config:?}");
        }
    }

    #[test]
    fn reads_head() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            HeadFile::parse(b"ref: refs/heads/main\n"),
            Some(HeadFile::Symbolic("refs/heads/main".into()))
        );
        assert!(
            matches!(HeadFile::parse(format!("{id}\n").as_bytes()), Some(HeadFile::Detached(o)) if o.to_string() == id)
        );
        for odd in [
            "ref: refs/heads/../../config\n",
            "ref: HEAD\n",
            "ref: refs/heads/x.lock\n",
            "ref: refs/heads/.hidden\n",
            "ref: refs/heads//x\n",
            "0123\n",
            "0123456789abcdef0123456789abcdef0123456z\n",
            "0123456789abcdef0123456789abcdef012345678\n",
        ] {
            assert_eq!(HeadFile::parse(odd.as_bytes()), None, "{odd:?}");
        }
    }
}
