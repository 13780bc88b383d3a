//! A compact byte code for a parsed pattern (regex-syntax's `Hir`), shared by `build.rs` and the
//! engine: the built-in patterns are parsed at compile time, and the engine rebuilds their `Hir`
//! from the code, which costs a fraction of parsing (about 40% of a pattern's compile time on
//! a typical commit).

use super::varint::{put, Reader};
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look,
    Repetition,
};

const EMPTY: u32 = 0;
const LITERAL: u32 = 1;
const CLASS_UNICODE: u32 = 2;
const CLASS_BYTES: u32 = 3;
const LOOK: u32 = 4;
const REPETITION: u32 = 5;
const CAPTURE: u32 = 6;
const CONCAT: u32 = 7;
const ALTERNATION: u32 = 8;
/// A repetition without an upper bound.
const UNBOUNDED: u32 = u32::MAX;

/// Parses `pattern` (leakgate's syntax, see [`super::syntax`]) into code.
///
/// # Errors
/// The pattern does not parse.
pub fn compile(pattern: &str) -> Result<Vec<u8>, String> {
    let hir = super::syntax::parser().parse(pattern).map_err(|e| e.to_string())?;
    let mut code = Vec::new();
    encode(&hir, &mut code);
    Ok(code)
}

/// Appends the code of `hir` to `out`.
pub fn encode(hir: &Hir, out: &mut Vec<u8>) {
    match hir.kind() {
        HirKind::Empty => put(out, EMPTY),
        HirKind::Literal(literal) => {
            put(out, LITERAL);
            put(out, len(literal.0.len()));
            out.extend_from_slice(&literal.0);
        }
        HirKind::Class(Class::Unicode(class)) => {
            put(out, CLASS_UNICODE);
            put(out, len(class.ranges().len()));
            for range in class.ranges() {
                put(out, u32::from(range.start()));
                put(out, u32::from(range.end()));
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            put(out, CLASS_BYTES);
            put(out, len(class.ranges().len()));
            for range in class.ranges() {
                put(out, u32::from(range.start()));
                put(out, u32::from(range.end()));
            }
        }
        HirKind::Look(look) => {
            put(out, LOOK);
            put(out, look.as_repr());
        }
        HirKind::Repetition(repetition) => {
            put(out, REPETITION);
            put(out, repetition.min);
            put(out, repetition.max.unwrap_or(UNBOUNDED));
            put(out, u32::from(repetition.greedy));
            encode(&repetition.sub, out);
        }
        HirKind::Capture(capture) => {
            put(out, CAPTURE);
            put(out, capture.index);
            let name = capture.name.as_deref().unwrap_or("");
            put(out, len(name.len()));
            out.extend_from_slice(name.as_bytes());
            encode(&capture.sub, out);
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            put(out, if matches!(hir.kind(), HirKind::Concat(_)) { CONCAT } else { ALTERNATION });
            put(out, len(subs.len()));
            for sub in subs {
                encode(sub, out);
            }
        }
    }
}

/// Bounded repetitions whose bounds are further apart than this are worth relaxing (see
/// [`relax`]).
const RELAX_ABOVE: u32 = 32;

/// A cheaper form of a pattern: the same `Hir` with the one capture group that is a repetition
/// of a one-byte class with bounds far apart, `(C{n,m})`, or such a repetition between parts of
/// fixed length, `(sk_live_C{n,m})`, made unbounded, `(C{n,})`, along with that group's index
/// and the longest the group can be in the exact pattern.
///
/// Compiling `C{n,m}` writes out `m` copies of `C` (the value part of `generic.assignment`,
/// `{8,128}`, was half of its 473 states), and the unbounded form needs `n` and a loop. Run at
/// the same start, the relaxed pattern tries the exact pattern's ways of matching in the same
/// order, with extra ones where the repetition is longer than `m`; so a relaxed match whose group
/// is no longer than the exact pattern allows is exactly the exact pattern's match, and only a
/// longer one needs the exact pattern run again at that start (see the engine). `None` when the
/// pattern has no such group, or more than one, or when the group sits inside a repetition (its
/// length would then show only its last round).
pub fn relax(hir: &Hir) -> Option<(Hir, u32, u32)> {
    let mut groups = Vec::new();
    relaxable_groups(hir, false, &mut groups);
    let [(index, max)] = groups[..] else {
        return None;
    };
    Some((relaxed(hir, index), index, max))
}

/// The relaxable capture groups of `hir` (index and longest length), see [`relax`].
fn relaxable_groups(hir: &Hir, repeated: bool, out: &mut Vec<(u32, u32)>) {
    match hir.kind() {
        HirKind::Capture(capture) => {
            if let (false, Some(max)) = (repeated, relaxable_span(&capture.sub)) {
                out.push((capture.index, max));
                return;
            }
            relaxable_groups(&capture.sub, repeated, out);
        }
        HirKind::Repetition(rep) => relaxable_groups(&rep.sub, repeated || rep.max != Some(1), out),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|sub| relaxable_groups(sub, repeated, out));
        }
        _ => {}
    }
}

/// The longest a capture group holding `sub` can be, when `sub` is a relaxable repetition, or a
/// concatenation of one such repetition with parts of fixed length: the relaxed group's length
/// then tells the repetition's.
fn relaxable_span(sub: &Hir) -> Option<u32> {
    match sub.kind() {
        HirKind::Repetition(rep) => relaxable_max(rep),
        HirKind::Concat(parts) => {
            let mut repetition = None;
            let mut fixed = 0u32;
            for part in parts {
                match part.kind() {
                    HirKind::Repetition(rep) if repetition.is_none() && relaxable_max(rep).is_some() => {
                        repetition = relaxable_max(rep);
                    }
                    _ => fixed = fixed.checked_add(fixed_len(part)?)?,
                }
            }
            repetition?.checked_add(fixed)
        }
        _ => None,
    }
}

/// The upper bound of `rep`, if it repeats a one-byte class with bounds far apart.
fn relaxable_max(rep: &Repetition) -> Option<u32> {
    let one_byte = match rep.sub.kind() {
        HirKind::Class(Class::Bytes(_)) => true,
        HirKind::Class(Class::Unicode(class)) => class.ranges().iter().all(|r| r.end().is_ascii()),
        _ => false,
    };
    rep.max.filter(|&max| one_byte && max.saturating_sub(rep.min) > RELAX_ABOVE)
}

/// The length of every match of `hir`, if they all have the same.
fn fixed_len(hir: &Hir) -> Option<u32> {
    let props = hir.properties();
    let len = props.minimum_len()?;
    (props.maximum_len() == Some(len)).then(|| u32::try_from(len).ok()).flatten()
}

/// `hir` with capture group `index` (see [`relax`]) made unbounded.
fn relaxed(hir: &Hir, index: u32) -> Hir {
    match hir.kind() {
        HirKind::Capture(capture) => {
            let sub =
                if capture.index == index { unbounded(&capture.sub) } else { relaxed(&capture.sub, index) };
            Hir::capture(Capture { index: capture.index, name: capture.name.clone(), sub: Box::new(sub) })
        }
        HirKind::Repetition(rep) => {
            Hir::repetition(Repetition { sub: Box::new(relaxed(&rep.sub, index)), ..rep.clone() })
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(|sub| relaxed(sub, index)).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(|sub| relaxed(sub, index)).collect()),
        _ => hir.clone(),
    }
}

/// The content of a relaxable group (see [`relaxable_span`]) with its repetition unbounded.
fn unbounded(sub: &Hir) -> Hir {
    let open = |rep: &Repetition| Hir::repetition(Repetition { max: None, ..rep.clone() });
    match sub.kind() {
        HirKind::Repetition(rep) => open(rep),
        HirKind::Concat(parts) => Hir::concat(
            parts
                .iter()
                .map(|part| match part.kind() {
                    HirKind::Repetition(rep) if relaxable_max(rep).is_some() => open(rep),
                    _ => part.clone(),
                })
                .collect(),
        ),
        _ => sub.clone(),
    }
}

/// `hir` for text whose ASCII letters were lowercased, if it matches there exactly what `hir`
/// matches in the original text: when every literal and class of it treats the two cases of
/// each ASCII letter alike, as a `(?i)` pattern does. Its classes lose their upper-case letters,
/// and the two-letter classes `(?i)` makes of a word (`[Pp][Aa][Ss]...`) become literals,
/// which compile to fewer states and step faster: `generic.assignment`'s keyword alternation.
/// `None` when some part tells the cases apart (a literal letter, `[A-Z]`).
pub fn fold(hir: &Hir) -> Option<Hir> {
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => hir.clone(),
        HirKind::Literal(literal) => {
            if literal.0.iter().any(u8::is_ascii_alphabetic) {
                return None;
            }
            hir.clone()
        }
        HirKind::Class(Class::Bytes(class)) => {
            let upper = ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]);
            if !case_closed(class.ranges().iter().map(|r| (r.start(), r.end()))) {
                return None;
            }
            let mut folded = class.clone();
            folded.difference(&upper);
            Hir::class(Class::Bytes(folded))
        }
        HirKind::Class(Class::Unicode(class)) => {
            let ascii = class
                .ranges()
                .iter()
                .filter(|r| r.start().is_ascii())
                .map(|r| (r.start() as u8, if r.end().is_ascii() { r.end() as u8 } else { 0x7f }));
            if !case_closed(ascii) {
                return None;
            }
            let mut folded = class.clone();
            folded.difference(&ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]));
            Hir::class(Class::Unicode(folded))
        }
        HirKind::Repetition(rep) => {
            Hir::repetition(Repetition { sub: Box::new(fold(&rep.sub)?), ..rep.clone() })
        }
        HirKind::Capture(capture) => Hir::capture(Capture {
            index: capture.index,
            name: capture.name.clone(),
            sub: Box::new(fold(&capture.sub)?),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(fold).collect::<Option<_>>()?),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(fold).collect::<Option<_>>()?),
    })
}

/// Whether the byte ranges (ASCII part) hold each ASCII letter in both cases or in neither.
fn case_closed(ranges: impl Iterator<Item = (u8, u8)>) -> bool {
    let mut has = [false; 128];
    for (start, end) in ranges {
        for b in start..=end.min(0x7f) {
            has[usize::from(b)] = true;
        }
    }
    (b'a'..=b'z').all(|b| has[usize::from(b)] == has[usize::from(b.to_ascii_uppercase())])
}

/// Rebuilds the `Hir` that [`encode`] wrote. `None` if `code` is not such code.
pub fn decode(code: &[u8]) -> Option<Hir> {
    let mut reader = Reader::new(code);
    let hir = hir(&mut reader)?;
    reader.is_at_end().then_some(hir)
}

/// The `Hir` the code at `reader` describes.
fn hir(reader: &mut Reader<'_>) -> Option<Hir> {
    Some(match reader.number()? {
        EMPTY => Hir::empty(),
        LITERAL => {
            let n = reader.number()? as usize;
            Hir::literal(reader.bytes(n)?)
        }
        CLASS_UNICODE => {
            let n = reader.number()?;
            let ranges = (0..n)
                .map(|_| {
                    Some(ClassUnicodeRange::new(
                        char::from_u32(reader.number()?)?,
                        char::from_u32(reader.number()?)?,
                    ))
                })
                .collect::<Option<Vec<_>>>()?;
            Hir::class(Class::Unicode(ClassUnicode::new(ranges)))
        }
        CLASS_BYTES => {
            let n = reader.number()?;
            let ranges = (0..n)
                .map(|_| {
                    Some(ClassBytesRange::new(
                        u8::try_from(reader.number()?).ok()?,
                        u8::try_from(reader.number()?).ok()?,
                    ))
                })
                .collect::<Option<Vec<_>>>()?;
            Hir::class(Class::Bytes(ClassBytes::new(ranges)))
        }
        LOOK => Hir::look(Look::from_repr(reader.number()?)?),
        REPETITION => {
            let min = reader.number()?;
            let max = Some(reader.number()?).filter(|&m| m != UNBOUNDED);
            let greedy = reader.number()? != 0;
            let sub = Box::new(hir(reader)?);
            Hir::repetition(Repetition { min, max, greedy, sub })
        }
        CAPTURE => {
            let index = reader.number()?;
            let n = reader.number()? as usize;
            let name = std::str::from_utf8(reader.bytes(n)?).ok()?;
            let name = (!name.is_empty()).then(|| Box::from(name));
            let sub = Box::new(hir(reader)?);
            Hir::capture(Capture { index, name, sub })
        }
        kind @ (CONCAT | ALTERNATION) => {
            let n = reader.number()?;
            let subs = (0..n).map(|_| hir(reader)).collect::<Option<Vec<_>>>()?;
            if kind == CONCAT {
                Hir::concat(subs)
            } else {
                Hir::alternation(subs)
            }
        }
        _ => return None,
    })
}

fn len(n: usize) -> u32 {
    u32::try_from(n).expect("pattern part under 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in pattern, content and path, comes back from its code exactly as the parser
    /// made it.
    #[test]
    fn every_builtin_pattern_round_trips() {
        let parse = |pattern| crate::rules::syntax::parser().parse(pattern).expect("parses");
        for rule in crate::rules::BUILTIN {
            if let Some(pattern) = rule.regex() {
                assert_eq!(decode(rule.hir()), Some(parse(pattern)), "{}", rule.id());
            }
            if let Some(pattern) = rule.path() {
                assert_eq!(decode(rule.path_hir()), Some(parse(pattern)), "{} (path)", rule.id());
            }
        }
    }

    /// A pattern folds only when it treats letter cases alike; folded, its `(?i)` words are
    /// plain literals.
    #[test]
    fn only_case_blind_patterns_fold() {
        let parse = |pattern| crate::rules::syntax::parser().parse(pattern).expect("parses");
        let folded = fold(&parse(r"(?i)\bpassword[ \t]*=[ \t]*([a-z0-9_]{8,})")).expect("folds");
        assert_eq!(folded, parse(r"\bpassword[ \t]*=[ \t]*([a-z0-9_]{8,})"));
        for cased in [r"sk_live_[a-z0-9]{24}", r"(?i)key=(?-i:[A-Z]{4})", r"(?i)key=(?-i:x)", r"[Pp]assword"]
        {
            assert!(fold(&parse(cased)).is_none(), "{cased}");
        }
        assert!(fold(&parse(r"(?i)[Pp]assword=\d+")).is_some());
    }

    #[test]
    fn malformed_code_is_refused() {
        let code = compile(r"(?i)ab[c-f]{2,5}(?P<secret>x+)\b").expect("parses");
        for cut in 0..code.len() {
            assert!(decode(&code[..cut]).is_none(), "cut at {cut}");
        }
        assert!(decode(&[99]).is_none());
    }
}
