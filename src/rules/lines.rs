//! Whether a pattern's matches stay on one line, shared by `build.rs` (built-in rules) and the
//! policy loader (custom rules).
//!
//! The engine runs a single-line rule only on the lines where one of its keywords occurs, which
//! is what makes a commit full of `token` and `password` decoys cheap to scan. That is exact for
//! any pattern that can match a newline only as its first or last byte (the usual boundaries
//! `(?:^|[^:/])` and `(?:[^A-Za-z0-9]|$)` may consume the newlines around the line): such a
//! match lies within one line and the newlines on either side of it.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Whether every match of `pattern` (regex crate syntax, bytes mode) holds a newline only as its
/// first or last byte, so that it lies within one line and the newlines on either side of it.
/// `false` when the pattern does not parse (the compiler reports that later) or when the
/// analysis cannot prove it.
pub fn single_line(pattern: &str) -> bool {
    match super::syntax::parser().parse(pattern) {
        Ok(hir) => newline_at_edges_only(&hir, true, true),
        Err(_) => false,
    }
}

/// Every match of `hir` holds a newline only as its first byte (if `first`) or its last byte
/// (if `last`); with both `false`, no newline at all.
fn newline_at_edges_only(hir: &Hir, first: bool, last: bool) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(literal) => {
            let bytes = &literal.0;
            bytes
                .iter()
                .enumerate()
                .all(|(at, &b)| b != b'\n' || (first && at == 0) || (last && at + 1 == bytes.len()))
        }
        // A class matches one byte (or character), which is both the first and the last.
        HirKind::Class(class) => first || last || !class_has_newline(class),
        HirKind::Capture(capture) => newline_at_edges_only(&capture.sub, first, last),
        HirKind::Alternation(subs) => subs.iter().all(|sub| newline_at_edges_only(sub, first, last)),
        HirKind::Repetition(repetition) => {
            newline_at_edges_only(&repetition.sub, false, false)
                || (repetition.max == Some(1) && newline_at_edges_only(&repetition.sub, first, last))
        }
        // Only the first part may start with a newline and only the last end with one. (If
        // the first part matched nothing, the second would start the match; treating it as a
        // middle part is merely conservative.)
        HirKind::Concat(subs) => match subs.as_slice() {
            [] => true,
            [only] => newline_at_edges_only(only, first, last),
            [head, middle @ .., tail] => {
                newline_at_edges_only(head, first, false)
                    && middle.iter().all(|sub| newline_at_edges_only(sub, false, false))
                    && newline_at_edges_only(tail, false, last)
            }
        },
    }
}

fn class_has_newline(class: &Class) -> bool {
    match class {
        Class::Unicode(c) => c.ranges().iter().any(|r| r.start() <= '\n' && '\n' <= r.end()),
        Class::Bytes(c) => c.ranges().iter().any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
    }
}

#[cfg(test)]
mod tests {
    use super::single_line;

    #[test]
    fn patterns_that_end_at_most_on_the_newline_are_single_line() {
        assert!(single_line(r"\b(ab_[a-z]{4})(?:[^a-z]|$)"));
        assert!(single_line(r"key[ \t]*=[ \t]*([A-Za-z0-9]{8})"));
        assert!(single_line(r"(?-u)x[^\n]{0,60}?y\n?"));
        assert!(single_line(r"(?:^|[^:/])(?:password|token)[ \t]*=[ \t]*(\S+?)(?:[ \t]*\r?\n|$)"));
        assert!(single_line("\nkey\n"));
    }

    #[test]
    fn patterns_that_can_cross_a_line_are_not() {
        assert!(!single_line(r"key\s*=\s*(\w+)"));
        assert!(!single_line(r"BEGIN\r?\n(?:[A-Z]+\r?\n){2,}END"));
        assert!(!single_line(r"(?s)a.b"));
        assert!(!single_line(r"a[^x]+b"));
        assert!(!single_line(r"(?:a\n)+"));
        assert!(!single_line("a\nb"));
        assert!(!single_line(r"[^a](?:x|\n)[^a]"));
        assert!(!single_line("(unclosed"));
    }
}
