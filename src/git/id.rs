//! A git object id (SHA-1) of leakgate's own. The hook reads the index, `HEAD` and loose objects
//! itself and never needs libgit2, but every `git2::Oid` is made through a constructor that first
//! initialises libgit2 (its allocator, settings, search paths and filters: about 3% of a hook
//! run, with the first C allocation it makes). Ids convert to and from `git2::Oid` where code
//! does call libgit2.

use std::fmt;

/// The 20 bytes of a SHA-1 object id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; ObjectId::LEN]);

impl ObjectId {
    /// Bytes in an id.
    pub const LEN: usize = 20;

    /// The id in `bytes`, if it is one (20 bytes).
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<ObjectId> {
        bytes.try_into().ok().map(ObjectId)
    }

    /// The id written as 40 hexadecimal digits (either case), as git writes it.
    #[must_use]
    pub fn from_hex(hex: &[u8]) -> Option<ObjectId> {
        if hex.len() != 2 * ObjectId::LEN {
            return None;
        }
        let mut id = [0; ObjectId::LEN];
        for (byte, pair) in id.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = hex_digit(pair[0])? << 4 | hex_digit(pair[1])?;
        }
        Some(ObjectId(id))
    }

    /// Whether this is the all-zero id git writes for "no object".
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.0 == [0; ObjectId::LEN]
    }

    /// The id's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; ObjectId::LEN] {
        &self.0
    }

    /// The same id for libgit2.
    #[must_use]
    pub fn to_git(self) -> git2::Oid {
        // From 20 bytes `from_bytes` cannot fail; the zero id would only stand for a missing one.
        git2::Oid::from_bytes(&self.0).unwrap_or_else(|_| git2::Oid::zero())
    }
}

impl From<git2::Oid> for ObjectId {
    fn from(oid: git2::Oid) -> ObjectId {
        // libgit2 here is built for SHA-1: its ids have 20 bytes.
        ObjectId::from_bytes(oid.as_bytes()).unwrap_or(ObjectId([0; ObjectId::LEN]))
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0; 2 * ObjectId::LEN];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsing, printing and converting agree with libgit2's.
    #[test]
    fn ids_read_and_print_as_libgit2_does() {
        let hex = "309b032027f122eda603f09a96e4e14bb7f22a30";
        let git = git2::Oid::from_str(hex).expect("test setup");
        let id = ObjectId::from_hex(hex.as_bytes()).expect("an id");
        assert_eq!(id.to_string(), hex);
        assert_eq!(id.to_git(), git);
        assert_eq!(ObjectId::from(git), id);
        assert_eq!(ObjectId::from_bytes(git.as_bytes()), Some(id));
        assert_eq!(ObjectId::from_hex(hex.to_uppercase().as_bytes()), Some(id));
        for bad in ["", &hex[1..], &format!("{hex}0"), &hex.replace('b', "g")] {
            assert_eq!(ObjectId::from_hex(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(ObjectId::from_bytes(&[0; 19]), None);
    }
}
