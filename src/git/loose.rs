//! Loose objects read straight from `objects/xx/yyyy…`, without libgit2.
//!
//! At `git commit` the trees of the index were just written by git as loose objects, and a hook
//! run reads a few dozen of them. libgit2 asks its pack backend first (a miss formats an error
//! message), then spends six system calls and a fresh zlib stream with a 32 KiB window on each:
//! a quarter of a typical hook run's instructions went there. Here an object costs an `open`, a
//! `read` or two and a `close`, inflated in one go into its buffer.
//!
//! This is only a faster path: an object that is not loose in the repository's own object
//! directory (packed, in an alternate, under `GIT_OBJECT_DIRECTORY`), or that does not read back
//! as a well-formed object of the expected kind, is `None`, and the caller asks libgit2, which
//! finds it or reports the problem.

use flate2::{Decompress, FlushDecompress, Status};

use super::{ObjectId, Repo};

use super::dirfiles::DirFiles;

/// The kind of object a loose object's header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A commit.
    Commit,
    /// A tree.
    Tree,
    /// A blob.
    Blob,
}

impl Kind {
    fn name(self) -> &'static [u8] {
        match self {
            Kind::Commit => b"commit",
            Kind::Tree => b"tree",
            Kind::Blob => b"blob",
        }
    }
}

/// The loose objects of one repository, with a buffer and a zlib stream reused across reads.
pub struct LooseObjects {
    dir: DirFiles,
    compressed: Vec<u8>,
    /// Made on the first object found: a hook run holds two readers (trees, old blobs), and the
    /// second often reads nothing.
    inflater: Option<Decompress>,
}

impl LooseObjects {
    /// Largest object read here; larger ones are left to libgit2, which streams them.
    const MAX_OBJECT: usize = 64 << 20;

    /// The loose objects of `repo`, in its common git directory (shared by linked worktrees).
    pub fn of(repo: &Repo) -> LooseObjects {
        let dir = DirFiles::new(repo.commondir().join("objects"));
        LooseObjects { dir, compressed: Vec::new(), inflater: None }
    }

    /// The content of object `id` (without its header) if it is stored loose and is a `kind`.
    pub fn read(&mut self, id: ObjectId, kind: Kind) -> Option<Vec<u8>> {
        self.compressed.clear();
        self.dir.read_into(&object_path(id), &mut self.compressed, Self::MAX_OBJECT)?;
        let inflated = self.inflate()?;
        content(inflated, kind)
    }

    /// Whether object `id` is stored loose; `None` when that cannot be told here (libgit2 can).
    /// Not finding it says nothing of its packed copies.
    pub fn has(&mut self, id: ObjectId) -> Option<bool> {
        self.dir.exists(&object_path(id))
    }

    /// The object in `compressed`, inflated. The output buffer is sized so that a tree or a
    /// source file usually inflates in a single call: zlib then needs no window of its own (a
    /// 32 KiB allocation per object).
    fn inflate(&mut self) -> Option<Vec<u8>> {
        let inflater = self.inflater.get_or_insert_with(|| Decompress::new(true));
        inflater.reset(true);
        let mut out = Vec::with_capacity(self.compressed.len().saturating_mul(4).max(256));
        loop {
            let consumed = usize::try_from(inflater.total_in()).ok()?;
            let status = inflater
                .decompress_vec(&self.compressed[consumed..], &mut out, FlushDecompress::Finish)
                .ok()?;
            match status {
                Status::StreamEnd => return Some(out),
                _ if out.len() < out.capacity() => return None,
                _ if out.len() > LooseObjects::MAX_OBJECT => return None,
                _ => out.reserve(out.len()),
            }
        }
    }
}

/// Where object `id` is stored loose, relative to the object directory.
fn object_path(id: ObjectId) -> String {
    let mut hex = id.to_string();
    hex.insert(2, '/');
    hex
}

/// A blob's content: read from its loose object, or borrowed from libgit2's buffer.
pub enum BlobBytes<'r> {
    /// Read and inflated here.
    Loose(Vec<u8>),
    /// Read by libgit2 (packed, or not readable here).
    Git(git2::Blob<'r>),
}

impl AsRef<[u8]> for BlobBytes<'_> {
    fn as_ref(&self) -> &[u8] {
        match self {
            BlobBytes::Loose(bytes) => bytes,
            BlobBytes::Git(blob) => blob.content(),
        }
    }
}

/// Blob `id`, from its loose object when `loose` is given and it is stored loose, else through
/// libgit2.
///
/// # Errors
/// libgit2 cannot open the repository, or find or read the blob.
pub fn read_blob<'r>(
    loose: Option<&mut LooseObjects>,
    repo: &'r Repo,
    id: ObjectId,
) -> anyhow::Result<BlobBytes<'r>> {
    match loose.and_then(|l| l.read(id, Kind::Blob)) {
        Some(bytes) => Ok(BlobBytes::Loose(bytes)),
        None => Ok(repo.git()?.find_blob(id.to_git()).map(BlobBytes::Git)?),
    }
}

/// The content of an inflated loose object (`<kind> <size>\0<content>`), if its header names
/// `kind` and the size it states.
fn content(mut inflated: Vec<u8>, kind: Kind) -> Option<Vec<u8>> {
    let nul = memchr::memchr(0, &inflated[..inflated.len().min(32)])?;
    let header = &inflated[..nul];
    let size = header.strip_prefix(kind.name())?.strip_prefix(b" ")?;
    if size.is_empty() || size.len() > 20 || !size.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let size: usize = std::str::from_utf8(size).ok()?.parse().ok()?;
    if inflated.len() - nul - 1 != size {
        return None;
    }
    inflated.drain(..=nul);
    Some(inflated)
}

/// The tree a commit's content names (its first line, `tree <hex>`).
pub fn commit_tree(commit: &[u8]) -> Option<ObjectId> {
    let hex = commit.strip_prefix(b"tree ")?.get(..40)?;
    if commit.get(45) != Some(&b'\n') {
        return None;
    }
    ObjectId::from_hex(hex)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{git, write};
    use super::*;

    /// Every loose object git wrote reads back as libgit2 reads it; a wrong kind, a packed
    /// object and a damaged file (truncated, or with a wrong checksum) are `None`.
    #[test]
    fn loose_objects_read_as_libgit2_reads_them() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        write(dir, "a/b.txt", "one\n");
        let big: String = (0..3000).map(|i| format!("line {i} of a file larger than one read\n")).collect();
        write(dir, "big.txt", &big);
        write(dir, "empty.txt", "");
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-qm", "first"]);

        let handle = Repo::from(git2::Repository::open(dir).expect("repo"));
        let mut loose = LooseObjects::of(&handle);
        let repo = handle.git().expect("libgit2 handle");
        let head = repo.head().expect("head").peel_to_commit().expect("commit");
        let commit = loose.read(head.id().into(), Kind::Commit).expect("loose commit");
        assert_eq!(commit_tree(&commit), Some(head.tree_id().into()));
        assert_eq!(loose.read(head.id().into(), Kind::Tree), None, "a commit is not a tree");
        let odb = repo.odb().expect("odb");
        let tree = head.tree().expect("tree");
        let mut checked = 0;
        tree.walk(git2::TreeWalkMode::PreOrder, |_, entry| {
            let kind = if entry.kind() == Some(git2::ObjectType::Tree) { Kind::Tree } else { Kind::Blob };
            let ours = loose.read(entry.id().into(), kind).expect("loose object");
            assert_eq!(ours, odb.read(entry.id()).expect("odb").data(), "{:?}", entry.name());
            checked += 1;
            git2::TreeWalkResult::Ok
        })
        .expect("walk");
        assert_eq!(checked, 4, "a/, a/b.txt, big.txt, empty.txt");

        let blob = tree.get_path(std::path::Path::new("big.txt")).expect("entry").id();
        let hex = blob.to_string();
        let path = dir.join(".git/objects").join(&hex[..2]).join(&hex[2..]);
        let whole = std::fs::read(&path).expect("object file");
        let mut bytes = whole.clone();
        bytes.truncate(bytes.len() / 2);
        std::fs::remove_file(&path).expect("rm");
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(loose.read(blob.into(), Kind::Blob), None, "a truncated object is left to libgit2");
        let mut bytes = whole.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::remove_file(&path).expect("rm");
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(loose.read(blob.into(), Kind::Blob), None, "a wrong checksum is left to libgit2");
        std::fs::remove_file(&path).expect("rm");
        std::fs::write(&path, &whole).expect("write");
        assert!(loose.read(blob.into(), Kind::Blob).is_some(), "the same object, whole again");

        git(dir, &["gc", "-q", "--prune=now"]);
        assert_eq!(loose.read(head.tree_id().into(), Kind::Tree), None, "packed");
    }

    /// A header must name the kind and the size that follows.
    #[test]
    fn headers_are_checked() {
        assert_eq!(content(b"blob 3\0abc".to_vec(), Kind::Blob), Some(b"abc".to_vec()));
        assert_eq!(content(b"blob 0\0".to_vec(), Kind::Blob), Some(Vec::new()));
        assert_eq!(content(b"blob 4\0abc".to_vec(), Kind::Blob), None);
        assert_eq!(content(b"blob 3\0abc".to_vec(), Kind::Tree), None);
        assert_eq!(content(b"blob +3\0abc".to_vec(), Kind::Blob), None);
        assert_eq!(content(b"blobs 3\0abc".to_vec(), Kind::Blob), None);
        assert_eq!(content(b"blob 3abc".to_vec(), Kind::Blob), None);
    }
}
