//! `-o FILE`: a report written to a file that only its owner can read.
//!
//! The file is always created fresh: the report goes to a new temporary file in the same
//! directory, opened with `O_CREAT | O_EXCL` and mode `0600` (so it is never readable by others,
//! not even for an instant), and is then renamed over `FILE`. An existing file — whatever its
//! permissions, or a symlink planted where the report is expected — is replaced, not written
//! through.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `content` to `path` with owner-only permissions (see the module docs).
///
/// # Errors
/// The directory is not writable, or writing or renaming fails.
pub fn write_private(path: &Path, content: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.leakgate-{}-{attempt}.tmp", std::process::id()));
        match create_new_private(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file.write_all(content).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        fs::remove_file(&tmp).ok();
        return Err(e);
    }
    Ok(())
}

#[cfg(unix)]
fn create_new_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn create_new_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_an_existing_world_readable_file_with_an_owner_only_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("report.json");
        fs::write(&path, "old").expect("old");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&path, b"new").expect("write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1, "no temp file left behind");
    }
}
