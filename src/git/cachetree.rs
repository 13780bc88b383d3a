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
//! Index format: <https://git-scm.com/docs/index-format>.

use std::path::Path;

use git2::Oid;

/// Bytes of an object id (SHA-1; libgit2 reads no other format here).
const OID_LEN: usize = 20;

/// The root tree id recorded in the index at `index_path`, if the index has a valid cache-tree
/// and no extension that moves entries elsewhere. `None` when the file cannot be read or parsed:
/// the caller then reads the index entries.
#[must_use]
pub fn index_tree(index_path: &Path) -> Option<Oid> {
    let bytes = std::fs::read(index_path).ok()?;
    root_of(&bytes)
}

fn root_of(bytes: &[u8]) -> Option<Oid> {
    if bytes.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(bytes, 4)?;
    let entries = be32(bytes, 8)?;
    let mut reader = Entries { bytes, version, at: 12 };
    for _ in 0..entries {
        reader.skip_entry()?;
    }
    let mut at = reader.at;
    // Extensions until the trailing checksum.
    let end = bytes.len().checked_sub(OID_LEN)?;
    let mut root = None;
    while at + 8 <= end {
        let signature = &bytes[at..at + 4];
        let size = be32(bytes, at + 4)? as usize;
        let data = bytes.get(at + 8..(at + 8).checked_add(size)?)?;
        match signature {
            b"TREE" => root = tree_root(data),
            // A split index keeps entries in another file; a sparse index collapses directories.
            b"link" | b"sdir" => return None,
            _ => {}
        }
        at += 8 + size;
    }
    root
}

/// The root entry of a `TREE` extension: `"" NUL <entry count> SP <subtrees> LF <oid>`, where an
/// entry count of -1 marks it out of date (and no id follows).
fn tree_root(data: &[u8]) -> Option<Oid> {
    let nul = memchr::memchr(0, data)?;
    if nul != 0 {
        return None;
    }
    let rest = &data[1..];
    let newline = memchr::memchr(b'\n', rest)?;
    let counts = std::str::from_utf8(&rest[..newline]).ok()?;
    let (entry_count, _subtrees) = counts.split_once(' ')?;
    if entry_count.parse::<i64>().ok()? < 0 {
        return None;
    }
    Oid::from_bytes(rest.get(newline + 1..newline + 1 + OID_LEN)?).ok()
}

/// A cursor over the index entries, which must be walked to reach the extensions.
struct Entries<'a> {
    bytes: &'a [u8],
    version: u32,
    at: usize,
}

impl Entries<'_> {
    /// Stat data (40 bytes), object id, 16-bit flags.
    const FIXED: usize = 40 + OID_LEN + 2;

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
