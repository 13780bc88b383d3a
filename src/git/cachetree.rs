//! The tree git is about to commit, read from the index's cache-tree extension (`TREE`).
//!
//! Before it runs the pre-commit hook, `git commit` brings the index's cache-tree up to date and
//! writes the trees it names (builtin/commit.c, `prepare_index`): its root is then the very tree
//! the commit will record. Diffing `HEAD`'s tree against it walks only the subtrees whose ids
//! differ, where comparing the index with `HEAD` entry by entry reads every tree of the
//! repository: a hook run on a 20,000-file repository takes 4 ms instead of 19 ms. When the
//! extension is missing or out of date (after a plain `git add`, or in a split or sparse index),
//! the caller compares the index entries instead.
//!
//! The staged side of that diff need not be read from the object database either: a directory's
//! tree is its index entries, and the ids of its subtrees are in the cache-tree. [`StagedTree`]
//! builds a tree's content from them and gives it only when it hashes to the id the cache-tree
//! records, so a mistake here costs a read, never a wrong diff. On the benchmark's typical commit
//! that is 17 of the 27 trees the hook read (each an `open`, a `read`, a `close` and an inflate).
//!
//! Index format: <https://git-scm.com/docs/index-format>.

use std::collections::HashMap;
use std::path::Path;

use sha1::{Digest, Sha1};

use super::ObjectId;

/// Directories deeper than this make the cache-tree unusable here (no real tree is this deep).
const MAX_DEPTH: usize = 256;

/// The tree the index at `index_path` records, if the index has a valid cache-tree and no
/// extension that moves entries elsewhere. `None` when the file cannot be read or parsed: the
/// caller then reads the index entries.
#[must_use]
pub fn staged_tree(index_path: &Path) -> Option<StagedTree> {
    StagedTree::parse(std::fs::read(index_path).ok()?)
}

/// The tree git is about to commit: its root's id, and the content of each of its directories,
/// built from the index.
pub struct StagedTree {
    /// The id of the root tree.
    pub root: ObjectId,
    bytes: Vec<u8>,
    /// Where each entry starts in `bytes`, in index order (by path); empty for an index of
    /// version 4, whose compressed paths are not rebuilt here.
    entries: Vec<usize>,
    version: u32,
    /// The cache-tree's directories, in its order (the root first).
    dirs: Vec<Dir>,
    /// Index in `dirs` of each valid directory, by tree id.
    by_id: HashMap<ObjectId, usize>,
}

/// A directory of the cache-tree.
struct Dir {
    /// Its path with a trailing `/` (empty for the root).
    path: Vec<u8>,
    /// How many index entries lie under it; its id when it is up to date.
    entries: usize,
    id: Option<ObjectId>,
    /// Its subdirectories (indices in `dirs`).
    children: Vec<usize>,
}

impl StagedTree {
    fn parse(bytes: Vec<u8>) -> Option<StagedTree> {
        if bytes.get(..4)? != b"DIRC" {
            return None;
        }
        let version = be32(&bytes, 4)?;
        let count = be32(&bytes, 8)?;
        let mut reader = Entries { bytes: &bytes, version, at: 12 };
        let mut entries = Vec::with_capacity(if version == 4 { 0 } else { count as usize });
        for _ in 0..count {
            if version != 4 {
                entries.push(reader.at);
            }
            reader.skip_entry()?;
        }
        let mut at = reader.at;
        // Extensions until the trailing checksum.
        let end = bytes.len().checked_sub(ObjectId::LEN)?;
        let mut dirs = None;
        while at + 8 <= end {
            let signature = &bytes[at..at + 4];
            let size = be32(&bytes, at + 4)? as usize;
            let data = bytes.get(at + 8..(at + 8).checked_add(size)?)?;
            match signature {
                b"TREE" => dirs = parse_dirs(data),
                // A split index keeps entries in another file; a sparse index collapses directories.
                b"link" | b"sdir" => return None,
                _ => {}
            }
            at += 8 + size;
        }
        let dirs = dirs?;
        let root = dirs.first()?.id?;
        let by_id = dirs.iter().enumerate().filter_map(|(i, d)| Some((d.id?, i))).collect();
        Some(StagedTree { root, bytes, entries, version, dirs, by_id })
    }

    /// The content of tree `id`, if it is a directory of the staged tree: its index entries and
    /// the ids of its subdirectories, in git's order. `None` when `id` is not one of them, or the
    /// content built does not hash to `id` (then the tree is read from the object database).
    #[must_use]
    pub fn tree_data(&self, id: ObjectId) -> Option<Vec<u8>> {
        let dir = &self.dirs[*self.by_id.get(&id)?];
        if self.entries.is_empty() && dir.entries > 0 {
            return None;
        }
        let first = self.entries.partition_point(|&at| self.path(at).is_some_and(|p| p < &dir.path[..]));
        let mut data = Vec::with_capacity(dir.entries * 40);
        let mut last_subdir: &[u8] = &[];
        for &at in self.entries.get(first..first.checked_add(dir.entries)?)? {
            let entry = self.entry(at)?;
            let name = entry.path.strip_prefix(&dir.path[..])?;
            if let Some(slash) = memchr::memchr(b'/', name) {
                let subdir = &name[..slash];
                if subdir != last_subdir {
                    last_subdir = subdir;
                    let child = dir.children.iter().map(|&c| &self.dirs[c]).find(|c| {
                        c.path.len() == dir.path.len() + slash + 1
                            && c.path[dir.path.len()..].starts_with(subdir)
                    })?;
                    push_entry(&mut data, b"40000", subdir, child.id?);
                }
            } else {
                // Unmerged entries (stage > 0) and intent-to-add ones leave no valid cache-tree.
                if entry.stage != 0 || entry.intent_to_add {
                    return None;
                }
                let mode: &[u8] = match entry.mode {
                    0o100644 => b"100644",
                    0o100755 => b"100755",
                    0o120000 => b"120000",
                    0o160000 => b"160000",
                    _ => return None,
                };
                push_entry(&mut data, mode, name, entry.id);
            }
        }
        let mut hasher = Sha1::new();
        hasher.update(format!("tree {}\0", data.len()).as_bytes());
        hasher.update(&data);
        (hasher.finalize().as_slice() == id.as_bytes()).then_some(data)
    }

    /// The path of the entry at `at`.
    fn path(&self, at: usize) -> Option<&[u8]> {
        self.entry(at).map(|e| e.path)
    }

    /// The entry at `at` (index versions 2 and 3).
    fn entry(&self, at: usize) -> Option<Entry<'_>> {
        let fixed = at + Entries::FIXED;
        let flags = u16::from_be_bytes(self.bytes.get(fixed - 2..fixed)?.try_into().ok()?);
        let (path_at, extended) = if self.version >= 3 && flags & 0x4000 != 0 {
            (fixed + 2, u16::from_be_bytes(self.bytes.get(fixed..fixed + 2)?.try_into().ok()?))
        } else {
            (fixed, 0)
        };
        let rest = self.bytes.get(path_at..)?;
        Some(Entry {
            mode: be32(&self.bytes, at + 24)?,
            id: ObjectId::from_bytes(self.bytes.get(at + 40..at + 40 + ObjectId::LEN)?)?,
            stage: (flags >> 12) & 3,
            intent_to_add: extended & 0x2000 != 0,
            path: &rest[..memchr::memchr(0, rest)?],
        })
    }
}

/// An index entry, as far as a tree needs it.
struct Entry<'a> {
    mode: u32,
    id: ObjectId,
    stage: u16,
    intent_to_add: bool,
    path: &'a [u8],
}

/// Appends a tree entry: `<mode> SP <name> NUL <id>`.
fn push_entry(data: &mut Vec<u8>, mode: &[u8], name: &[u8], id: ObjectId) {
    data.extend_from_slice(mode);
    data.push(b' ');
    data.extend_from_slice(name);
    data.push(0);
    data.extend_from_slice(id.as_bytes());
}

/// The directories of a `TREE` extension, in its order (depth first, the root first). Each is
/// `<name> NUL <entry count> SP <subtrees> LF <id>`, where an entry count of -1 marks it out of
/// date (and no id follows), and its subtrees follow it.
fn parse_dirs(data: &[u8]) -> Option<Vec<Dir>> {
    let mut dirs = Vec::new();
    let mut at = 0;
    parse_dir(data, &mut at, &[], 0, &mut dirs)?;
    (dirs.first()?.path.is_empty()).then_some(dirs)
}

fn parse_dir(data: &[u8], at: &mut usize, parent: &[u8], depth: usize, dirs: &mut Vec<Dir>) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let rest = data.get(*at..)?;
    let nul = memchr::memchr(0, rest)?;
    let name = &rest[..nul];
    let rest = &rest[nul + 1..];
    let newline = memchr::memchr(b'\n', rest)?;
    let counts = std::str::from_utf8(&rest[..newline]).ok()?;
    let (entry_count, subtrees) = counts.split_once(' ')?;
    let entry_count = entry_count.parse::<i64>().ok()?;
    let subtrees = subtrees.parse::<usize>().ok()?;
    *at += nul + 1 + newline + 1;
    let id = if entry_count >= 0 {
        let id = ObjectId::from_bytes(data.get(*at..*at + ObjectId::LEN)?)?;
        *at += ObjectId::LEN;
        Some(id)
    } else {
        None
    };
    let mut path = parent.to_vec();
    if !name.is_empty() {
        path.extend_from_slice(name);
        path.push(b'/');
    }
    let index = dirs.len();
    dirs.push(Dir { path, entries: usize::try_from(entry_count).unwrap_or(0), id, children: Vec::new() });
    for _ in 0..subtrees {
        let parent = dirs[index].path.clone();
        let child = parse_dir(data, at, &parent, depth + 1, dirs)?;
        dirs[index].children.push(child);
    }
    Some(index)
}

/// A cursor over the index entries, which must be walked to reach the extensions.
struct Entries<'a> {
    bytes: &'a [u8],
    version: u32,
    at: usize,
}

impl Entries<'_> {
    /// Stat data (40 bytes), object id, 16-bit flags.
    const FIXED: usize = 40 + ObjectId::LEN + 2;

    fn skip_entry(&mut self) -> Option<()> {
        let start = self.at;
        let flags = u16::from_be_bytes(
            self.bytes.get(start + Self::FIXED - 2..start + Self::FIXED)?.try_into().ok()?,
        );
        let mut at = start + Self::FIXED;
        if self.version >= 3 && flags & 0x4000 != 0 {
            at += 2;
        }
        match self.version {
            2 | 3 => {
                // The path, NUL-terminated, then NUL padding to a multiple of eight bytes.
                let nul = at + memchr::memchr(0, self.bytes.get(at..)?)?;
                let length = nul - start;
                self.at = start + (length + 8) / 8 * 8;
            }
            4 => {
                // A varint (bytes to drop from the previous path), then the NUL-terminated rest.
                while *self.bytes.get(at)? & 0x80 != 0 {
                    at += 1;
                }
                at += 1;
                self.at = at + memchr::memchr(0, self.bytes.get(at..)?)? + 1;
            }
            _ => return None,
        }
        (self.at <= self.bytes.len()).then_some(())
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{git, write};
    use super::*;

    /// Every directory of the staged tree is built from the index exactly as git wrote it (the
    /// object database has the same bytes), for index versions 2 and 3 (with an entry holding
    /// extended flags): nested and sibling directories whose names sort around `/`, an executable,
    /// a symlink and a submodule. Version 4's compressed paths are not rebuilt: its trees are read.
    #[test]
    fn staged_trees_are_built_as_git_wrote_them() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        for path in ["a/b/c.txt", "a/b-c.txt", "a/b.d/e.txt", "a.txt", "a-b/f.txt", "z/y/x/w.txt", "top.txt"]
        {
            write(dir, path, &format!("{path}\n"));
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("top.txt", dir.join("a/link")).expect("symlink");
        git(dir, &["add", "-A"]);
        git(dir, &["update-index", "--chmod=+x", "top.txt"]);
        git(
            dir,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                "160000,1111111111111111111111111111111111111111,a/sub",
            ],
        );
        let repo = git2::Repository::open(dir).expect("repo");
        let odb = repo.odb().expect("odb");
        let index_path = dir.join(".git/index");
        for version in ["2", "3", "4"] {
            git(dir, &["update-index", "--index-version", version]);
            if version == "3" {
                git(dir, &["update-index", "--skip-worktree", "a/b/c.txt"]);
            }
            git(dir, &["write-tree"]);
            let staged = staged_tree(&index_path).expect("a valid cache-tree");
            assert_eq!(staged.dirs.len(), 8, "index version {version}");
            for d in &staged.dirs {
                let id = d.id.expect("up to date");
                let built = staged.tree_data(id);
                if version == "4" {
                    assert!(built.is_none());
                    continue;
                }
                let stored = odb.read(id.to_git()).expect("the tree git wrote");
                let path = String::from_utf8_lossy(&d.path).to_string();
                assert_eq!(built.as_deref(), Some(stored.data()), "{path} in index version {version}");
            }
        }
    }

    /// A directory whose entries do not match the id the cache-tree records for it builds
    /// nothing: the hash check refuses it.
    #[test]
    fn a_tree_that_does_not_hash_to_its_id_is_not_given() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        write(dir, "d/f.txt", "one\n");
        git(dir, &["add", "-A"]);
        git(dir, &["write-tree"]);
        let index_path = dir.join(".git/index");
        let mut staged = staged_tree(&index_path).expect("a valid cache-tree");
        let root = staged.root;
        assert!(staged.tree_data(root).is_some());
        // Point the entry at another blob: `d`'s content no longer hashes to its id (the root,
        // which names `d` by the id the cache-tree records, is unchanged).
        let at = staged.entries[0] + 40;
        staged.bytes[at] ^= 0xff;
        let sub = staged.dirs[1].id.expect("up to date");
        assert!(staged.tree_data(sub).is_none());
        assert!(staged.tree_data(root).is_some());
    }
}
