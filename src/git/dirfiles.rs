//! Files read relative to one directory, opened once: the object directory's loose objects and
//! the work tree's staged files.
//!
//! A hook run reads a few dozen small files there. Opened by full path, each one made the kernel
//! walk every component of the path again, and cost five to eight system calls: musl follows an
//! `open` with an `fcntl` for close-on-exec, and `read_to_end` asks for the size and the position,
//! then reads once more to see the end. On Unix the files are opened with `openat` from the
//! directory's descriptor (system calls made directly, by `rustix`), and read without the extra
//! calls: three per loose object, four per work-tree file.
//!
//! Callers check what they read (a loose object inflates to the size its header gives, a work-tree
//! copy hashes to the staged blob's id), so a file that changes while it is read, or a short read
//! taken for its end, is caught there, and the object database is read instead.

use std::path::PathBuf;

/// A directory whose files are read by paths relative to it. Nothing is opened until the first
/// read.
pub struct DirFiles {
    root: PathBuf,
    #[cfg(unix)]
    fd: Option<Option<rustix::fd::OwnedFd>>,
}

impl DirFiles {
    /// The files under `root`.
    pub fn new(root: PathBuf) -> DirFiles {
        DirFiles {
            root,
            #[cfg(unix)]
            fd: None,
        }
    }

    /// Appends the content of file `rel` to `out`; `None` if it cannot be opened or read, or
    /// holds more than `max` bytes. Reading stops at the first read that does not fill the
    /// buffer, which on a regular file is its end (the caller checks what it got).
    pub fn read_into(&mut self, rel: &str, out: &mut Vec<u8>, max: usize) -> Option<()> {
        imp::read_into(self, rel, out, max)
    }

    /// The content of `rel` if it is a regular file (a symbolic link is not followed) of at most
    /// `max` bytes; `None` otherwise. A FIFO is never waited on. The content read is as long as
    /// the file was when it was looked at: a file being written may give a mix of its versions,
    /// so the caller checks it.
    pub fn read_regular(&mut self, rel: &str, max: u64) -> Option<Vec<u8>> {
        imp::read_regular(self, rel, max)
    }

    /// Whether `rel` exists (a symbolic link is not followed); `None` if that cannot be told.
    pub fn exists(&mut self, rel: &str) -> Option<bool> {
        imp::exists(self, rel)
    }
}

#[cfg(unix)]
mod imp {
    use rustix::buffer::spare_capacity;
    use rustix::fd::{AsFd, OwnedFd};
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::DirFiles;

    /// Bytes asked for by the first read of a file of unknown size: most loose objects fit.
    const FIRST_READ: usize = 4096;

    fn dir(files: &mut DirFiles) -> Option<&OwnedFd> {
        files
            .fd
            .get_or_insert_with(|| {
                rustix::fs::open(
                    &files.root,
                    OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .ok()
            })
            .as_ref()
    }

    /// Reads from `fd` into the spare capacity of `out` (grown to hold `want` more bytes),
    /// retrying on interruption; the number of bytes read.
    fn read_some(fd: impl AsFd, out: &mut Vec<u8>, want: usize) -> Option<usize> {
        out.reserve(want);
        loop {
            match rustix::io::read(fd.as_fd(), spare_capacity(out)) {
                Ok(n) => return Some(n),
                Err(Errno::INTR) => {}
                Err(_) => return None,
            }
        }
    }

    pub fn read_into(files: &mut DirFiles, rel: &str, out: &mut Vec<u8>, max: usize) -> Option<()> {
        let fd =
            rustix::fs::openat(dir(files)?, rel, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
        let mut want = FIRST_READ;
        loop {
            let n = read_some(&fd, out, want)?;
            if out.len() > max {
                return None;
            }
            if n < want {
                return Some(());
            }
            want = out.len().max(FIRST_READ);
        }
    }

    pub fn read_regular(files: &mut DirFiles, rel: &str, max: u64) -> Option<Vec<u8>> {
        let dir = dir(files)?;
        // Looked at before it is opened: a FIFO or a device is never opened.
        let stat = rustix::fs::statat(dir, rel, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        let size = u64::try_from(stat.st_size).ok()?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile || size > max {
            return None;
        }
        // NONBLOCK: should a FIFO take the file's place in between, it is not waited on.
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
        let fd = rustix::fs::openat(dir, rel, flags, Mode::empty()).ok()?;
        let size = usize::try_from(size).ok()?;
        let mut out = Vec::with_capacity(size);
        while out.len() < size {
            let want = size - out.len();
            if read_some(&fd, &mut out, want)? == 0 {
                break;
            }
        }
        Some(out)
    }

    pub fn exists(files: &mut DirFiles, rel: &str) -> Option<bool> {
        match rustix::fs::statat(dir(files)?, rel, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Some(true),
            Err(Errno::NOENT) => Some(false),
            Err(_) => None,
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::fs::File;
    use std::io::Read;

    use super::DirFiles;

    pub fn read_into(files: &mut DirFiles, rel: &str, out: &mut Vec<u8>, max: usize) -> Option<()> {
        let file = File::open(files.root.join(rel)).ok()?;
        let limit = u64::try_from(max).ok()?.saturating_add(1);
        file.take(limit).read_to_end(out).ok()?;
        (out.len() <= max).then_some(())
    }

    pub fn read_regular(files: &mut DirFiles, rel: &str, max: u64) -> Option<Vec<u8>> {
        let path = files.root.join(rel);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.file_type().is_file() || meta.len() > max {
            return None;
        }
        let mut out = Vec::with_capacity(usize::try_from(meta.len()).ok()?);
        File::open(&path).ok()?.take(meta.len()).read_to_end(&mut out).ok()?;
        Some(out)
    }

    pub fn exists(files: &mut DirFiles, rel: &str) -> Option<bool> {
        std::fs::symlink_metadata(files.root.join(rel)).map(|_| true).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_relative_to_the_directory() {
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::create_dir(dir.path().join("sub")).expect("test setup");
        let big: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("sub/big.bin"), &big).expect("test setup");
        std::fs::write(dir.path().join("small.txt"), b"small\n").expect("test setup");
        let mut files = DirFiles::new(dir.path().to_path_buf());

        let mut out = b"kept:".to_vec();
        assert_eq!(files.read_into("sub/big.bin", &mut out, 1 << 20), Some(()));
        assert_eq!(&out[..5], b"kept:", "appended");
        assert_eq!(&out[5..], &big[..]);
        assert_eq!(files.read_into("sub/big.bin", &mut Vec::new(), 19_999), None, "over the limit");
        assert_eq!(files.read_into("missing", &mut Vec::new(), 1 << 20), None);

        assert_eq!(files.read_regular("small.txt", 6).as_deref(), Some(&b"small\n"[..]));
        assert_eq!(files.read_regular("small.txt", 5), None, "over the limit");
        assert_eq!(files.read_regular("sub", 1 << 20), None, "a directory");
        assert_eq!(files.read_regular("sub/big.bin", 1 << 20).as_deref(), Some(&big[..]));

        assert_eq!(files.exists("small.txt"), Some(true));
        assert_eq!(files.exists("sub/missing"), Some(false));
    }

    #[cfg(unix)]
    #[test]
    fn links_and_fifos_are_not_read() {
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::write(dir.path().join("a.txt"), b"a\n").expect("test setup");
        std::os::unix::fs::symlink("a.txt", dir.path().join("link")).expect("test setup");
        let fifo = std::process::Command::new("mkfifo").arg(dir.path().join("fifo")).status();
        let mut files = DirFiles::new(dir.path().to_path_buf());
        assert_eq!(files.read_regular("link", 1 << 20), None, "a symlink is not followed");
        assert_eq!(files.exists("link"), Some(true), "the link itself exists");
        if fifo.is_ok_and(|s| s.success()) {
            assert_eq!(files.read_regular("fifo", 1 << 20), None, "a FIFO is not opened");
        }
    }

    #[test]
    fn a_missing_directory_reads_nothing() {
        let mut files = DirFiles::new(PathBuf::from("/nonexistent/leakgate/dir"));
        assert_eq!(files.read_into("x", &mut Vec::new(), 10), None);
        assert_eq!(files.read_regular("x", 10), None);
        assert_eq!(files.exists("x"), None);
    }
}
