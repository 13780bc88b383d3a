//! The one pattern syntax of leakgate, for built-in and custom rules, path patterns and allowlist
//! regexes alike: the `regex` crate's syntax over bytes, in ASCII mode. `\w`, `\d`, `\s`, `\b`,
//! `(?i)` and `.` mean their ASCII (byte) forms, and a pattern need not be valid UTF-8 to match.
//!
//! Credentials are ASCII, and the ASCII forms are what a rule means by `\w` or `(?i)`. Leaving
//! Unicode out also keeps its tables out of the binary: they were half the data the loader had
//! to relocate at every start (about 0.3 ms of each hook run). A pattern using a Unicode class
//! (`\p{L}`) is refused when the policy loads.

/// A parser for that syntax.
pub fn parser() -> regex_syntax::Parser {
    regex_syntax::ParserBuilder::new().utf8(false).unicode(false).build()
}
