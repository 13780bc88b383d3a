//! What every match of a pattern must contain, shared by `build.rs` (which works it out for each
//! built-in rule from its parsed pattern) and the engine (which checks it).
//!
//! A rule's keyword says where to look, not that the rule can match there: on a typical commit
//! most keyword lines are decoys (`secret_name = "value"`, `api_key = settings.API_KEY`). Before
//! compiling and running a rule's regex on a window, the engine checks the window against the
//! rule's *requirement*: literals (compared ignoring ASCII case) and runs of bytes from a class
//! that any match must hold, combined with "all of" and "any of". A requirement is only ever a
//! consequence of the pattern, so a window that fails it cannot hold a match; one that passes it
//! is searched as before.
//!
//! The requirement is stored as a small byte code, so the built-in catalog carries it as static
//! data: `ALL n <n nodes>`, `ANY n <n nodes>`, `LIT len <bytes, lower case>`, `RUN min <32-byte
//! set>`. An empty code requires nothing.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

const ALL: u8 = 0;
const ANY: u8 = 1;
const LIT: u8 = 2;
const RUN: u8 = 3;

/// A set of bytes, one bit each.
type ByteSet = [u8; 32];

/// Classes matching at least this many bytes are not worth checking: nearly any text has them.
const TOO_COMMON: u32 = 200;

/// Children of an "any of" beyond this are not worth checking: a window almost surely holds one.
const MAX_CHOICES: usize = 64;
const _: () = assert!(MAX_CHOICES <= 64, "StartFinder keeps the literals as bits of a u64");

/// A repeated literal is required this many times at most (a prefix of a required literal is
/// itself required).
const MAX_REPEATED: u32 = 16;

/// What a match must contain, before encoding.
#[derive(Debug, Clone, PartialEq)]
enum Need {
    Nothing,
    Literal(Vec<u8>),
    Run(ByteSet, u32),
    All(Vec<Need>),
    Any(Vec<Need>),
}

/// The requirement of `pattern` (regex crate syntax, bytes mode), encoded; empty when the pattern
/// does not parse or requires nothing worth checking.
pub fn compile(pattern: &str) -> Vec<u8> {
    compile_given(pattern, &[])
}

/// [`compile`], less what the rule's keywords (lower case) already guarantee. The engine checks
/// a requirement only on windows holding one of the rule's keywords, and a rule's keywords are
/// often its pattern's leading words: `generic.assignment` had to find one of 20 such words in
/// every window again, 40% of the cost of checking it.
pub fn compile_given(pattern: &str, keywords: &[String]) -> Vec<u8> {
    let Ok(hir) = super::syntax::parser().parse(pattern) else {
        return Vec::new();
    };
    let mut code = Vec::new();
    encode(&without_implied(need(&hir), keywords), &mut code);
    code
}

/// `need` without the parts that every one of `keywords` meets by itself.
fn without_implied(need: Need, keywords: &[String]) -> Need {
    if keywords.is_empty() {
        return need;
    }
    if keywords.iter().all(|k| implied_by(&need, k.as_bytes())) {
        return Need::Nothing;
    }
    match need {
        Need::All(needs) => all(needs.into_iter().map(|n| without_implied(n, keywords)).collect()),
        other => other,
    }
}

/// Whether any text holding `keyword` (in any letter case) meets `need`.
fn implied_by(need: &Need, keyword: &[u8]) -> bool {
    match need {
        Need::Nothing => true,
        Need::Literal(literal) => contains_literal(keyword, literal),
        // Each byte of the run must be in the set in both cases: the text may spell the keyword
        // in either.
        Need::Run(set, min) => keyword
            .split(|&b| !contains(set, b.to_ascii_lowercase()) || !contains(set, b.to_ascii_uppercase()))
            .any(|run| run.len() >= *min as usize),
        Need::All(needs) => needs.iter().all(|n| implied_by(n, keyword)),
        Need::Any(needs) => needs.iter().any(|n| implied_by(n, keyword)),
    }
}

/// The requirement of a path pattern, to be checked with [`holds`] against the path with a `/`
/// put before it (see [`slashed`]). The start of the text (`^`) becomes that `/`, so a pattern
/// such as `(?:^|/)\.env$` requires `/.env`, and `app/table.env` is refused without compiling it.
pub fn compile_path(pattern: &str) -> Vec<u8> {
    let Ok(hir) = super::syntax::parser().parse(pattern) else {
        return Vec::new();
    };
    let mut code = Vec::new();
    encode(&need(&start_as_slash(&hir)), &mut code);
    code
}

/// `path` with a `/` before it, the text a [`compile_path`] requirement is checked against.
pub fn slashed(path: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(path.len() + 1);
    text.push(b'/');
    text.extend_from_slice(path);
    text
}

/// `hir` with every start-of-text assertion replaced by a literal `/`. Any match of `hir` in a
/// path is then a match of the result in the slashed path, one byte later (`^` only holds at
/// the start of a path, where the slash now is), so what the result requires, the slashed path
/// holds.
fn start_as_slash(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(regex_syntax::hir::Look::Start) => Hir::literal(*b"/"),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Repetition(repetition) => Hir::repetition(regex_syntax::hir::Repetition {
            sub: Box::new(start_as_slash(&repetition.sub)),
            ..repetition.clone()
        }),
        HirKind::Capture(capture) => Hir::capture(regex_syntax::hir::Capture {
            sub: Box::new(start_as_slash(&capture.sub)),
            ..capture.clone()
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(start_as_slash).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(start_as_slash).collect()),
    }
}

/// Where matches of `pattern` can start, encoded: every match starts at most `reach` bytes
/// before an occurrence of one of a few literals (compared ignoring ASCII case), and at least
/// `near` bytes before it unless it starts at the very start of the text, as
/// `[reach, near, (len, literal)...]`. Empty when the pattern does not parse, can match the
/// empty string, or does not begin (after a bounded lead such as `(?:^|[^:/])`) with literals.
///
/// The engine then runs the rule's regex anchored at those few places instead of trying every
/// position of a keyword line: the same leftmost-first matches, found at a fraction of the cost.
/// `near` spares the tries a lead that can be empty only at the start of the text would cost:
/// `(?:^|[^:/])password` is tried one byte before each `password`, not also at it.
pub fn starts(pattern: &str) -> Vec<u8> {
    let Ok(hir) = super::syntax::parser().parse(pattern) else {
        return Vec::new();
    };
    if hir.properties().minimum_len().is_none_or(|min| min == 0) {
        return Vec::new();
    }
    let Some((reach, near, literals)) = lead_and_literals(&hir) else {
        return Vec::new();
    };
    let (Ok(reach), Ok(near)) = (u8::try_from(reach), u8::try_from(near.min(reach))) else {
        return Vec::new();
    };
    let mut code = vec![reach, near];
    for literal in literals {
        let literal = &literal[..literal.len().min(255)];
        code.push(literal.len() as u8);
        code.extend_from_slice(literal);
    }
    code
}

/// The longest lead every match may have before one of the returned literals starts, and the
/// shortest lead of a match that does not start at the start of the text.
fn lead_and_literals(hir: &Hir) -> Option<(usize, usize, Vec<Vec<u8>>)> {
    match hir.kind() {
        HirKind::Capture(capture) => lead_and_literals(&capture.sub),
        HirKind::Concat(subs) => {
            let (mut reach, mut near) = (0, 0);
            for (at, sub) in subs.iter().enumerate() {
                if let Some(literals) = prefix_literals(&subs[at..]) {
                    return Some((reach, near, literals));
                }
                match sub.kind() {
                    HirKind::Capture(_) | HirKind::Concat(_) => {
                        if let Some((inner, inner_near, literals)) = lead_and_literals(sub) {
                            return Some((reach + inner, near + inner_near, literals));
                        }
                    }
                    _ => {}
                }
                reach += sub.properties().maximum_len()?;
                // A part with no match past the start of the text (`^`) adds nothing: only
                // matches at the start get through it, and `StartFinder::candidates` tries the start
                // whenever a literal is within `reach` of it.
                near += shortest_past_start(sub).unwrap_or(0);
            }
            None
        }
        _ => prefix_literals(std::slice::from_ref(hir)).map(|literals| (0, 0, literals)),
    }
}

/// The shortest match of `hir` at a position past the start of the text, where `^` (without
/// the multi-line flag) cannot match; `None` when there is none.
fn shortest_past_start(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Look(Look::Start) => None,
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(literal) => Some(literal.0.len()),
        HirKind::Class(_) => hir.properties().minimum_len(),
        HirKind::Capture(capture) => shortest_past_start(&capture.sub),
        HirKind::Repetition(repetition) if repetition.min == 0 => Some(0),
        HirKind::Repetition(repetition) => {
            shortest_past_start(&repetition.sub)?.checked_mul(usize::try_from(repetition.min).ok()?)
        }
        HirKind::Concat(subs) => subs.iter().map(shortest_past_start).sum(),
        HirKind::Alternation(subs) => subs.iter().filter_map(shortest_past_start).min(),
    }
}

/// Literals one of which begins every match of the concatenation `subs`, if there are few.
fn prefix_literals(subs: &[Hir]) -> Option<Vec<Vec<u8>>> {
    let mut lead = Vec::new();
    for sub in subs {
        match single_text(sub) {
            Some(text) => lead.extend(text),
            None => break,
        }
    }
    if !lead.is_empty() {
        return Some(vec![lead]);
    }
    let first = subs.first()?;
    let literals = match first.kind() {
        HirKind::Capture(capture) => prefix_literals(std::slice::from_ref(&capture.sub))?,
        HirKind::Concat(inner) => prefix_literals(inner)?,
        HirKind::Repetition(repetition) if repetition.min > 0 => {
            prefix_literals(std::slice::from_ref(&repetition.sub))?
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                for literal in prefix_literals(std::slice::from_ref(branch))? {
                    if !all.contains(&literal) {
                        all.push(literal);
                    }
                }
            }
            all
        }
        _ => return None,
    };
    (literals.len() <= MAX_CHOICES && literals.iter().all(|l| !l.is_empty())).then_some(literals)
}

/// A rule's [`starts`] code made ready to find where matches may start (see
/// [`StartFinder::candidates`]) in many windows: a keyword line each, for most rules, so that
/// setting up per window (decoding the literals, filling a table of 2 KiB) would cost as much as
/// scanning the line. Prepared once per rule and engine.
pub struct StartFinder<'c> {
    reach: usize,
    near: usize,
    literals: Vec<&'c [u8]>,
    /// With [`FIRST_BYTE_SCAN_FROM`] literals or more, the window is scanned once, byte by byte.
    pairs: Option<Box<PairTable>>,
}

/// Which literals can start at a byte, as bits (literal `i` is bit `i`): those beginning with the
/// byte (`first`), and, of those, the ones the next byte can continue (`second`: indexed by that
/// byte, or by `END` at the window's end). Most bytes of a line begin no literal, and most
/// pairs continue none, so the scan compares a literal only where its first two bytes are.
struct PairTable {
    first: [u64; 256],
    second: [u64; 257],
}

/// The index of `PairTable::second` for the end of the window.
const END: usize = 256;

impl<'c> StartFinder<'c> {
    /// Prepares `code` (from [`starts`]); an empty code finds no candidates.
    pub fn new(code: &'c [u8]) -> StartFinder<'c> {
        let Some((&[reach, near], literals)) = code.split_first_chunk::<2>() else {
            return StartFinder { reach: 0, near: 0, literals: Vec::new(), pairs: None };
        };
        // (`starts` keeps at most `MAX_CHOICES` literals.)
        let literals: Vec<&[u8]> = Literals(literals).take(MAX_CHOICES).collect();
        let pairs = (literals.len() >= FIRST_BYTE_SCAN_FROM).then(|| {
            let mut table = Box::new(PairTable { first: [0; 256], second: [0; 257] });
            for (bit, literal) in literals.iter().enumerate() {
                let bit = 1u64 << bit;
                table.first[usize::from(literal[0])] |= bit;
                table.first[usize::from(literal[0].to_ascii_uppercase())] |= bit;
                match literal.get(1) {
                    Some(&b) => {
                        table.second[usize::from(b)] |= bit;
                        table.second[usize::from(b.to_ascii_uppercase())] |= bit;
                    }
                    None => table.second.iter_mut().for_each(|s| *s |= bit),
                }
            }
            table
        });
        StartFinder { reach: usize::from(reach), near: usize::from(near), literals, pairs }
    }

    /// The places in `within` of `text` where a match may start, into `out` (cleared first),
    /// ascending: from `reach` to `near` bytes before an occurrence of one of the literals in
    /// `within`, or the start of the text when an occurrence is `reach` bytes or fewer from it.
    pub fn candidates(&self, text: &[u8], within: std::ops::Range<usize>, out: &mut Vec<usize>) {
        out.clear();
        if self.literals.is_empty() {
            return;
        }
        let (reach, near) = (self.reach, self.near);
        let mut found = |at: usize| {
            let at = within.start + at;
            if at <= reach && within.start == 0 {
                out.push(0);
            }
            out.extend(at.saturating_sub(reach).max(within.start).max(1)..=at.saturating_sub(near));
        };
        let window = &text[within.clone()];
        let Some(table) = &self.pairs else {
            for literal in &self.literals {
                occurrences(window, literal).for_each(&mut found);
            }
            return finish(out);
        };
        // One pass over the window for all the literals, rather than one search per literal (a
        // keyword line and `generic.assignment`'s 15 literals: 15 searches set up to find two or
        // three words).
        let mut check = |at: usize, mut bits: u64| {
            while bits != 0 {
                let literal = self.literals[bits.trailing_zeros() as usize];
                if window[at..].get(..literal.len()).is_some_and(|w| w.eq_ignore_ascii_case(literal)) {
                    found(at);
                    return;
                }
                bits &= bits - 1;
            }
        };
        // Both tables are read at every byte: a branch on the first alone mispredicts at many of
        // the letters, which begin some literal.
        for (at, pair) in window.windows(2).enumerate() {
            let bits = table.first[usize::from(pair[0])] & table.second[usize::from(pair[1])];
            if bits != 0 {
                check(at, bits);
            }
        }
        if let Some(&byte) = window.last() {
            check(window.len() - 1, table.first[usize::from(byte)] & table.second[END]);
        }
        finish(out);
    }
}

/// Sorts `out` and drops repeats.
fn finish(out: &mut Vec<usize>) {
    out.sort_unstable();
    out.dedup();
}

/// Literals from which [`StartFinder::candidates`] scans a window once with a table of their first
/// bytes rather than searching it for each.
const FIRST_BYTE_SCAN_FROM: usize = 3;

/// The `(len, literal)...` tail of a [`starts`] code.
struct Literals<'a>(&'a [u8]);

impl<'a> Iterator for Literals<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (literal, rest) = literal_at(self.0).filter(|(l, _)| !l.is_empty())?;
        self.0 = rest;
        Some(literal)
    }
}

fn need(hir: &Hir) -> Need {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Need::Nothing,
        HirKind::Literal(literal) => Need::Literal(literal.0.to_ascii_lowercase()),
        HirKind::Class(class) => class_need(class, 1),
        HirKind::Capture(capture) => need(&capture.sub),
        HirKind::Repetition(repetition) if repetition.min == 0 => Need::Nothing,
        HirKind::Repetition(repetition) => match repetition.sub.kind() {
            HirKind::Class(class) => class_need(class, repetition.min),
            HirKind::Literal(literal) => {
                let times = repetition.min.min(MAX_REPEATED) as usize;
                Need::Literal(literal.0.to_ascii_lowercase().repeat(times))
            }
            _ => need(&repetition.sub),
        },
        HirKind::Concat(subs) => all(concat_needs(subs)),
        HirKind::Alternation(subs) => any(subs.iter().map(need).collect()),
    }
}

/// The needs of a concatenation, with consecutive single characters (a literal, or a class such
/// as `[Pp]` that `(?i)` makes of a letter) joined into one literal.
fn concat_needs(subs: &[Hir]) -> Vec<Need> {
    let mut needs = Vec::new();
    let mut literal: Vec<u8> = Vec::new();
    for sub in subs {
        match single_text(sub) {
            Some(text) => literal.extend(text),
            None => {
                if !literal.is_empty() {
                    needs.push(Need::Literal(std::mem::take(&mut literal)));
                }
                needs.push(need(sub));
            }
        }
    }
    if !literal.is_empty() {
        needs.push(Need::Literal(literal));
    }
    needs
}

/// The lower-case text `hir` always matches, ignoring case, if it is a literal or a one-letter
/// class.
fn single_text(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(literal) => Some(literal.0.to_ascii_lowercase()),
        HirKind::Class(class) => {
            let set = folded(&byte_set(class)?);
            let mut members = (0..=255u8).filter(|&b| contains(&set, b));
            let first = members.next()?;
            members.next().is_none().then(|| vec![first])
        }
        _ => None,
    }
}

/// `min` bytes in a row from `class`.
fn class_need(class: &Class, min: u32) -> Need {
    let Some(set) = byte_set(class) else {
        return Need::Nothing;
    };
    let size: u32 = set.iter().map(|b| b.count_ones()).sum();
    if size >= TOO_COMMON {
        return Need::Nothing;
    }
    Need::Run(set, min)
}

/// The bytes `class` matches; `None` if it matches a character outside ASCII (several bytes).
fn byte_set(class: &Class) -> Option<ByteSet> {
    let mut set = [0u8; 32];
    let mut add = |start: u32, end: u32| {
        for b in start..=end {
            set[(b / 8) as usize] |= 1 << (b % 8);
        }
    };
    match class {
        Class::Bytes(bytes) => bytes.ranges().iter().for_each(|r| add(r.start().into(), r.end().into())),
        Class::Unicode(unicode) => {
            for range in unicode.ranges() {
                if u32::from(range.end()) > 0x7f {
                    return None;
                }
                add(range.start().into(), range.end().into());
            }
        }
    }
    Some(set)
}

/// `set` with upper-case letters replaced by lower-case ones.
fn folded(set: &ByteSet) -> ByteSet {
    let mut out = [0u8; 32];
    for b in (0..=255u8).filter(|&b| contains(set, b)) {
        let b = b.to_ascii_lowercase();
        out[usize::from(b / 8)] |= 1 << (b % 8);
    }
    out
}

fn contains(set: &ByteSet, b: u8) -> bool {
    set[usize::from(b / 8)] & (1 << (b % 8)) != 0
}

fn all(needs: Vec<Need>) -> Need {
    let mut kept = Vec::new();
    for need in needs {
        match need {
            Need::Nothing => {}
            Need::All(inner) => kept.extend(inner),
            other if !kept.contains(&other) => kept.push(other),
            _ => {}
        }
    }
    // Dropping a requirement leaves the rest required; the count is stored in a byte.
    kept.truncate(usize::from(u8::MAX));
    // The cheapest checks first: "all of" stops at the first that fails, and the costly ones
    // (a keyword alternation) usually hold on a keyword line anyway.
    kept.sort_by_key(Need::cost);
    match kept.len() {
        0 => Need::Nothing,
        1 => kept.pop().unwrap_or(Need::Nothing),
        _ => Need::All(kept),
    }
}

fn any(needs: Vec<Need>) -> Need {
    let mut kept = Vec::new();
    for need in needs {
        match need {
            Need::Nothing => return Need::Nothing,
            Need::Any(inner) => kept.extend(inner),
            other if !kept.contains(&other) => kept.push(other),
            _ => {}
        }
    }
    kept.sort_by_key(Need::cost);
    match kept.len() {
        0 => Need::Nothing,
        1 => kept.pop().unwrap_or(Need::Nothing),
        n if n > MAX_CHOICES => Need::Nothing,
        _ => Need::Any(kept),
    }
}

impl Need {
    /// How many passes over a window checking this takes at most.
    fn cost(&self) -> usize {
        match self {
            Need::Nothing => 0,
            Need::Literal(_) | Need::Run(..) => 1,
            Need::All(needs) | Need::Any(needs) => needs.iter().map(Need::cost).sum(),
        }
    }
}

fn encode(need: &Need, out: &mut Vec<u8>) {
    match need {
        Need::Nothing => {}
        Need::Literal(bytes) => {
            // Literals longer than a byte count are cut: a prefix is still required.
            let bytes = &bytes[..bytes.len().min(255)];
            out.extend([LIT, bytes.len() as u8]);
            out.extend_from_slice(bytes);
        }
        Need::Run(set, min) => {
            out.extend([RUN]);
            out.extend_from_slice(&(*min).min(u32::from(u16::MAX)).to_le_bytes()[..2]);
            out.extend_from_slice(set);
        }
        Need::All(needs) | Need::Any(needs) => {
            out.extend([if matches!(need, Need::All(_)) { ALL } else { ANY }, needs.len() as u8]);
            needs.iter().for_each(|n| encode(n, out));
        }
    }
}

/// Whether `window` meets the requirement `code` (from [`compile`]): `false` only if no match of
/// the pattern can lie within it. A malformed code requires nothing.
pub fn holds(code: &[u8], window: &[u8]) -> bool {
    code.is_empty() || eval(code, window).is_none_or(|(met, _)| met)
}

/// Evaluates the node at the start of `code`: whether it holds, and the code after it. "All of"
/// stops at the first node that fails and "any of" at the first that holds, skipping the rest.
fn eval<'c>(code: &'c [u8], window: &[u8]) -> Option<(bool, &'c [u8])> {
    let (&op, rest) = code.split_first()?;
    match op {
        ALL | ANY => {
            let (&n, mut rest) = rest.split_first()?;
            let decided = op == ANY;
            for done in 0..n {
                let (one, after) = eval(rest, window)?;
                rest = after;
                if one == decided {
                    for _ in done + 1..n {
                        rest = skip(rest)?;
                    }
                    return Some((decided, rest));
                }
            }
            Some((!decided, rest))
        }
        LIT => {
            let (literal, rest) = literal_at(rest)?;
            Some((contains_literal(window, literal), rest))
        }
        RUN => {
            let (min, set, rest) = run_at(rest)?;
            Some((has_run(window, set, min), rest))
        }
        _ => None,
    }
}

/// The code after the node at the start of `code`.
fn skip(code: &[u8]) -> Option<&[u8]> {
    let (&op, rest) = code.split_first()?;
    match op {
        ALL | ANY => {
            let (&n, mut rest) = rest.split_first()?;
            for _ in 0..n {
                rest = skip(rest)?;
            }
            Some(rest)
        }
        LIT => literal_at(rest).map(|(_, rest)| rest),
        RUN => run_at(rest).map(|(_, _, rest)| rest),
        _ => None,
    }
}

fn literal_at(code: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = code.split_first()?;
    rest.split_at_checked(usize::from(len))
}

fn run_at(code: &[u8]) -> Option<(usize, &[u8], &[u8])> {
    let (min, rest) = code.split_at_checked(2)?;
    let (set, rest) = rest.split_at_checked(32)?;
    Some((usize::from(u16::from_le_bytes([min[0], min[1]])), set, rest))
}

/// Whether `window` contains `literal` (lower case), ignoring ASCII case.
fn contains_literal(window: &[u8], literal: &[u8]) -> bool {
    occurrences(window, literal).next().is_some()
}

/// Where `literal` (lower case) occurs in `window`, ignoring ASCII case.
fn occurrences<'a>(window: &'a [u8], literal: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let (first, tail) = literal.split_first().map_or((0, &[][..]), |(f, t)| (*f, t));
    let candidates = window
        .len()
        .checked_sub(literal.len())
        .filter(|_| !literal.is_empty())
        .map_or(&window[..0], |last_start| &window[..=last_start]);
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), candidates)
        .filter(move |&at| window[at + 1..at + literal.len()].eq_ignore_ascii_case(tail))
}

/// Whether `window` holds `min` bytes in a row from `set`.
fn has_run(window: &[u8], set: &[u8], min: usize) -> bool {
    let mut run = 0;
    for &b in window {
        if set[usize::from(b / 8)] & (1 << (b % 8)) != 0 {
            run += 1;
            if run >= min {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds_for(pattern: &str, text: &str) -> bool {
        holds(&compile(pattern), text.as_bytes())
    }

    #[test]
    fn case_insensitive_words_become_literals() {
        let code = compile(r"(?-u)(?i)password\s*=\s*(\w{8,})");
        assert!(holds(&code, b"PassWord = hunter22hunter"));
        assert!(!holds(&code, b"password_min_length"), "no '=': no match possible");
        assert!(!holds(&code, b"pass = hunter22hunter"));
    }

    /// What a rule's keywords guarantee is not checked again; the rest still is, and a run the
    /// keyword meets only in lower case is kept.
    #[test]
    fn what_the_keywords_guarantee_is_dropped() {
        let pattern = r"(?-u)(?i)(?:password|secret)[a-z_]*\s*=\s*([a-z]{8,})";
        let keywords = ["password".to_string(), "secret".to_string()];
        let full = compile(pattern);
        let given = compile_given(pattern, &keywords);
        assert!(given.len() < full.len(), "the keyword alternation is dropped");
        assert!(!holds(&full, b"x = abcdefghij"));
        assert!(holds(&given, b"x = abcdefghij"), "the words are not searched again");
        assert!(!holds(&given, b"x = abc"), "the run is kept: 'secret' is shorter than 8 letters");
        assert!(!holds(&given, b"password_min_length"), "no '=': no match possible");
        let case_sensitive = r"(?-u)(?:password|secret)\s*=\s*([a-z]{8,})";
        let given = compile_given(case_sensitive, &keywords);
        assert!(!holds(&given, b"PASSWORD = ABCDEFGHIJ"), "the run of lower-case letters is kept");
        assert!(holds(&given, b"PASSWORD = abcdefghij"));
        assert_eq!(compile_given(pattern, &["api_key".to_string()]), full, "a keyword the words are not in");
    }

    #[test]
    fn runs_of_a_class_are_required() {
        let pattern = r"(?-u)key\s*=\s*([a-f0-9]{32}|[A-F0-9]{32})";
        assert!(!holds_for(pattern, "key = settings.VALUE_ROUTER_API_KEY"));
        assert!(holds_for(pattern, &format!("key = {}", "ab12".repeat(8))));
        assert!(!holds_for(pattern, &format!("key = {}", "ab1".repeat(10))), "30 hex digits are too few");
    }

    #[test]
    fn alternatives_need_one_of_their_branches() {
        let pattern = r"(?:<secret>|value=)(\w+)";
        assert!(holds_for(pattern, "<secret>abc"));
        assert!(holds_for(pattern, "value=abc"));
        assert!(!holds_for(pattern, "secret = abc"));
        assert!(holds_for(r"(?:a|b*)c", "c"), "an optional branch requires nothing");
    }

    #[test]
    fn evaluation_stops_early_and_skips_the_rest() {
        let code = compile(r"(?:ab|cd|ef)(?:gh|ij)x{3}");
        assert!(holds(&code, b"ab ij xxx"));
        assert!(holds(&code, b"ef gh xxx"));
        assert!(!holds(&code, b"zz gh xxx"));
        assert!(!holds(&code, b"cd zz xxx"));
        assert!(!holds(&code, b"cd ij xx"));
    }

    /// `^` in a path pattern is the slash put before the path: a file merely ending in `.env`
    /// does not satisfy the dotenv pattern's requirement, one named `.env` does, at any depth.
    #[test]
    fn path_requirements_see_the_start_as_a_slash() {
        let code = compile_path(r"(?-u)(?:^|/)\.env(?:\.local)*$");
        let holds_on = |path: &str| holds(&code, &slashed(path.as_bytes()));
        assert!(holds_on(".env") && holds_on("app/.env") && holds_on(".env.local"));
        assert!(!holds_on("app/table.env") && !holds_on("x.env.local"));
        let anchored = compile_path(r"^\.aws/credentials$");
        assert!(holds(&anchored, &slashed(b".aws/credentials")));
        assert!(!holds(&anchored, &slashed(b"my.aws/credentials")));
    }

    fn candidates(pattern: &str, text: &str) -> Vec<usize> {
        let mut out = Vec::new();
        StartFinder::new(&starts(pattern)).candidates(text.as_bytes(), 0..text.len(), &mut out);
        out
    }

    #[test]
    fn matches_start_near_their_leading_literals() {
        let generic = r"(?-u)(?i)(?:^|[^:/])(?:password|api[_.-]?key|secret)\s*=\s*(\w{8,})";
        assert_eq!(starts(generic)[..2], [1, 1], "the lead is one byte, empty only at the start");
        assert_eq!(candidates(generic, "  my_SECRET = x; api-key"), vec![4, 16]);
        assert_eq!(candidates(generic, "password=1 Secret"), vec![0, 10], "the lead is empty at 0");
        assert_eq!(candidates(generic, "xpassword=1"), vec![0], "or one byte long");
        // Through a window: only its own places, and the start of the text only when inside it.
        let mut out = Vec::new();
        StartFinder::new(&starts(generic)).candidates(b"password secret", 1..15, &mut out);
        assert_eq!(out, vec![8]);
        let optional = r"(?i)(?:[_.-]?[a-z]{2})?(?:password|api[_.-]?key|secret)=";
        assert_eq!(starts(optional)[..2], [3, 0], "an optional lead may be empty anywhere");
        assert_eq!(candidates(optional, "ab secret="), vec![0, 1, 2, 3]);
        assert_eq!(candidates(r"\b(ghp_[a-z]{4})\b", "x ghp_abcd ghp_"), vec![2, 11]);
        let two = r"(?:^|[^a-z]{2})(?:ab|cd)";
        assert_eq!(starts(two)[..2], [2, 2]);
        assert_eq!(candidates(two, "ab--cd"), vec![0, 2]);
        assert!(starts(r"(\w+)=secret").is_empty(), "an unbounded lead");
        assert!(starts(r"(?:secret)?").is_empty(), "can match the empty string");
        assert!(starts(r"[a-z]+").is_empty(), "no leading literal");
    }

    /// The one-pass scan over byte pairs finds what searching for each literal finds: literals
    /// of one byte, literals at the window's last bytes, in either case.
    #[test]
    fn the_pair_scan_finds_what_each_literal_search_finds() {
        let literals: [&[u8]; 6] = [b"k", b"ke", b"key", b"pass", b"_t", b"ok"];
        let mut code = vec![2, 0];
        for literal in literals {
            code.push(literal.len() as u8);
            code.extend_from_slice(literal);
        }
        let paired = StartFinder::new(&code);
        assert!(paired.pairs.is_some());
        let searched = StartFinder { pairs: None, ..StartFinder::new(&code) };
        let mut rng = crate::rules::example::Rng::new(14);
        let mut next = |n: usize| rng.below(n);
        let (mut by_pairs, mut by_search) = (Vec::new(), Vec::new());
        for round in 0..2000 {
            let text: Vec<u8> = (0..next(24)).map(|_| b"kKeEyYpPaAsS_tToO x"[next(19)]).collect();
            let start = next(text.len() + 1);
            let within = start..start + next(text.len() - start + 1);
            paired.candidates(&text, within.clone(), &mut by_pairs);
            searched.candidates(&text, within.clone(), &mut by_search);
            assert_eq!(
                by_pairs,
                by_search,
                "round {round}: {:?} in {within:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn optional_and_unanalysable_parts_require_nothing() {
        assert!(compile(r"x?").is_empty());
        assert!(compile(r"[^\n]{5}").is_empty(), "a class of nearly every byte");
        assert!(compile(r"(unclosed").is_empty());
        assert!(holds(&[], b""));
        assert!(holds(&[9, 9, 9], b"malformed code requires nothing"));
    }
}
