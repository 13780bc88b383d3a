//! The unsigned LEB128 numbers the compile-time forms of the built-in patterns are written in (see
//! [`super::hircode`] and [`super::nfacode`]), and a cursor to read them back.

/// Appends `value`, seven bits a byte, the high bit set on every byte but the last.
pub fn put(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A cursor over code; every read is `None` past its end.
pub struct Reader<'a> {
    code: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `code`.
    pub fn new(code: &'a [u8]) -> Reader<'a> {
        Reader { code, at: 0 }
    }

    /// Whether all of the code was read.
    pub fn is_at_end(&self) -> bool {
        self.at == self.code.len()
    }

    /// One byte.
    pub fn byte(&mut self) -> Option<u8> {
        let byte = *self.code.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.code.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    /// A number written by [`put`].
    pub fn number(&mut self) -> Option<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = self.byte()?;
            value |= u32::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers read back as written, at the edges of each byte length; a cut-off number is `None`.
    #[test]
    fn numbers_read_back() {
        let values = [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1f_ffff, 0x20_0000, u32::MAX - 1, u32::MAX];
        let mut code = Vec::new();
        values.iter().for_each(|&v| put(&mut code, v));
        let mut reader = Reader::new(&code);
        for &v in &values {
            assert_eq!(reader.number(), Some(v));
        }
        assert!(reader.is_at_end());
        assert_eq!(Reader::new(&code[..code.len() - 1]).bytes(code.len()), None);
        let mut cut = Reader::new(&[0x80, 0x80]);
        assert_eq!(cut.number(), None);
    }
}
