//! A cheaper road to a staged blob's bytes: the work-tree copy of the file, used only when it
//! hashes to the staged blob's id.
//!
//! Inflating loose objects was a fifth of a typical commit's hook time. Right after `git add`
//! the work-tree file usually holds exactly the staged bytes; hashing it the way git names blobs
//! (SHA-1 of `blob <len>\0<bytes>`) costs a quarter of inflating it. Because the id is checked,
//! what is scanned is still the staged content, byte for byte: a partly staged file
//! (`git add -p`), a clean filter (Git LFS, `autocrlf`), a sparse checkout or a later edit make
//! the hashes differ, and the blob is read from the object database as before.

use sha1::{Digest, Sha1};

use super::dirfiles::DirFiles;
use super::ObjectId;

/// The bytes of blob `oid`, read from file `path` of the work tree `files` if that is a regular
/// file of at most `max_bytes` whose git blob id is `oid`; `None` otherwise (absent, a symlink or
/// FIFO, too large, unreadable, or different content), in which case the caller reads the object
/// database.
#[must_use]
pub fn staged_copy(files: &mut DirFiles, path: &str, oid: ObjectId, max_bytes: u64) -> Option<Vec<u8>> {
    let bytes = files.read_regular(path, max_bytes)?;
    (blob_id(&bytes)? == oid).then_some(bytes)
}

/// The SHA-1 git gives a blob holding `bytes`.
fn blob_id(bytes: &[u8]) -> Option<ObjectId> {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    ObjectId::from_bytes(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id agrees with libgit2's for empty, small and multi-block content.
    #[test]
    fn blob_id_is_gits() {
        for content in [&b""[..], b"hello\n", &[b'x'; 1000][..]] {
            let expected =
                ObjectId::from(git2::Oid::hash_object(git2::ObjectType::Blob, content).expect("test setup"));
            assert_eq!(blob_id(content), Some(expected));
        }
    }

    #[test]
    fn only_the_matching_regular_file_is_used() {
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::write(dir.path().join("a.txt"), b"staged\n").expect("test setup");
        let staged =
            ObjectId::from(git2::Oid::hash_object(git2::ObjectType::Blob, b"staged\n").expect("test setup"));
        let other = ObjectId::from(
            git2::Oid::hash_object(git2::ObjectType::Blob, b"edited after add\n").expect("test setup"),
        );
        let mut files = DirFiles::new(dir.path().to_path_buf());
        assert_eq!(staged_copy(&mut files, "a.txt", staged, 1 << 20).as_deref(), Some(&b"staged\n"[..]));
        assert_eq!(staged_copy(&mut files, "a.txt", other, 1 << 20), None);
        assert_eq!(staged_copy(&mut files, "a.txt", staged, 3), None, "larger than the limit");
        assert_eq!(staged_copy(&mut files, "missing.txt", staged, 1 << 20), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("a.txt", dir.path().join("link")).expect("test setup");
            assert_eq!(staged_copy(&mut files, "link", staged, 1 << 20), None, "a symlink is not followed");
        }
    }
}
