//! Thompson NFAs as bytes. `build.rs` compiles the form of each built-in pattern that the engine
//! runs on keyword lines into the NFA that regex-automata's bounded backtracker searches, and
//! stores its states; the engine rebuilds the NFA from them with regex-automata's NFA builder.
//! Compiling the few patterns a commit needs was about a tenth of a hook run (the regex
//! compiler's code is all cold in a new process); rebuilding skips the parse tree and the
//! compiler, and copies the states as they are.
//!
//! The code: a header (the anchored and unanchored start states, the pattern's start state, the
//! UTF-8 flag, the length of the shortest match), the capture group names, then each state as a tag and its fields, numbers as
//! LEB128 varints. The states keep their order, so their ids need no mapping.

use std::sync::Arc;

use regex_automata::nfa::thompson::{self, State, Transition, WhichCaptures, NFA};
use regex_automata::util::look::Look;
use regex_automata::util::primitives::{PatternID, StateID};
use regex_syntax::hir::Hir;

use super::varint;

const BYTE_RANGE: u8 = 0;
const SPARSE: u8 = 1;
const LOOK: u8 = 2;
const UNION: u8 = 3;
const BINARY_UNION: u8 = 4;
const CAPTURE_START: u8 = 5;
const CAPTURE_END: u8 = 6;
const FAIL: u8 = 7;
const MATCH: u8 = 8;

/// Compiles `hir` into the NFA the engine searches on keyword lines: forward, with every capture
/// group, and otherwise configured as regex-automata's meta regex configures it by default (no
/// empty match splitting a UTF-8 sequence, `\n` ending lines for `^` and `$` in multi-line
/// mode).
///
/// # Errors
/// The pattern is too large for the NFA.
pub fn compile(hir: &Hir) -> Result<NFA, String> {
    let config = thompson::Config::new().utf8(true).shrink(false).which_captures(WhichCaptures::All);
    thompson::Compiler::new().configure(config).build_from_hir(hir).map_err(|e| e.to_string())
}

/// A rebuilt NFA, and the length of the shortest match of its pattern (`None`: it matches
/// nothing): a search of a shorter span is skipped, as regex-automata's meta regex skips it.
pub struct Decoded {
    /// The NFA.
    pub nfa: NFA,
    /// The length of the shortest match.
    pub minimum_len: Option<usize>,
}

/// Appends the code of `nfa`, a single-pattern forward NFA as [`compile`] makes, and of the
/// shortest length of a match of its pattern (`Hir::properties().minimum_len()`). `None` when the
/// NFA is of another kind (several patterns, reverse), or its capture groups do not first appear
/// in the order of their index (the builder names a group when its first start state is added).
pub fn encode(nfa: &NFA, minimum_len: Option<usize>, out: &mut Vec<u8>) -> Option<()> {
    if nfa.pattern_len() != 1 || nfa.is_reverse() {
        return None;
    }
    let pattern = PatternID::ZERO;
    for id in [nfa.start_anchored(), nfa.start_unanchored(), nfa.start_pattern(pattern)?] {
        varint(id.as_usize(), out);
    }
    out.push(u8::from(nfa.is_utf8()));
    varint(minimum_len.map_or(0, |n| n + 1), out);
    let groups = nfa.group_info().group_len(pattern);
    varint(groups, out);
    for group in 0..groups {
        match nfa.group_info().to_name(pattern, group) {
            Some(name) => {
                out.push(1);
                varint(name.len(), out);
                out.extend_from_slice(name.as_bytes());
            }
            None => out.push(0),
        }
    }
    varint(nfa.states().len(), out);
    let mut groups_started = 0;
    for state in nfa.states() {
        match state {
            State::ByteRange { trans } => {
                out.push(BYTE_RANGE);
                transition(trans, out);
            }
            State::Sparse(sparse) => {
                out.push(SPARSE);
                varint(sparse.transitions.len(), out);
                sparse.transitions.iter().for_each(|t| transition(t, out));
            }
            State::Dense(_) => return None,
            State::Look { look, next } => {
                out.push(LOOK);
                varint(look.as_repr() as usize, out);
                varint(next.as_usize(), out);
            }
            State::Union { alternates } => {
                out.push(UNION);
                varint(alternates.len(), out);
                alternates.iter().for_each(|id| varint(id.as_usize(), out));
            }
            State::BinaryUnion { alt1, alt2 } => {
                out.push(BINARY_UNION);
                varint(alt1.as_usize(), out);
                varint(alt2.as_usize(), out);
            }
            State::Capture { next, group_index, slot, .. } => {
                let group = group_index.as_usize();
                let start = slot.as_usize() == nfa.group_info().slot(pattern, group)?;
                if start {
                    if group > groups_started {
                        return None;
                    }
                    groups_started = groups_started.max(group + 1);
                }
                out.push(if start { CAPTURE_START } else { CAPTURE_END });
                varint(group, out);
                varint(next.as_usize(), out);
            }
            State::Fail => out.push(FAIL),
            State::Match { .. } => out.push(MATCH),
        }
    }
    Some(())
}

/// Rebuilds the NFA of `code` (see [`encode`]); `None` when the code is not well formed.
pub fn decode(code: &[u8]) -> Option<Decoded> {
    let mut reader = Reader { code: varint::Reader::new(code), states: usize::MAX };
    let start_anchored = reader.state_id()?;
    let start_unanchored = reader.state_id()?;
    let start_pattern = reader.state_id()?;
    let utf8 = reader.byte()? == 1;
    let minimum_len = reader.number()?.checked_sub(1);
    let mut names = Vec::new();
    for _ in 0..reader.number()? {
        names.push(match reader.byte()? {
            0 => None,
            _ => {
                let len = reader.number()?;
                let name = std::str::from_utf8(reader.bytes(len)?).ok()?;
                Some(Arc::<str>::from(name))
            }
        });
    }
    let mut builder = thompson::Builder::new();
    builder.set_utf8(utf8);
    builder.start_pattern().ok()?;
    let states = reader.number()?;
    // Every state id names one of the states (the builder would index out of bounds).
    reader.states = states;
    for id in [start_anchored, start_unanchored, start_pattern] {
        (id.as_usize() < states).then_some(())?;
    }
    let mut groups_started = 0;
    for _ in 0..states {
        match reader.byte()? {
            BYTE_RANGE => builder.add_range(reader.transition()?),
            SPARSE => {
                let len = reader.number()?;
                let transitions = (0..len).map(|_| reader.transition()).collect::<Option<Vec<_>>>()?;
                builder.add_sparse(transitions)
            }
            LOOK => {
                let look = Look::from_repr(u32::try_from(reader.number()?).ok()?)?;
                builder.add_look(reader.state_id()?, look)
            }
            UNION => {
                let len = reader.number()?;
                let alternates = (0..len).map(|_| reader.state_id()).collect::<Option<Vec<_>>>()?;
                builder.add_union(alternates)
            }
            BINARY_UNION => {
                let alternates = vec![reader.state_id()?, reader.state_id()?];
                builder.add_union(alternates)
            }
            CAPTURE_START => {
                let group = reader.number()?;
                (group <= groups_started).then_some(())?;
                groups_started = groups_started.max(group + 1);
                let name = names.get(group)?.clone();
                builder.add_capture_start(reader.state_id()?, u32::try_from(group).ok()?, name)
            }
            CAPTURE_END => {
                // A group ends after it starts (the builder knows its slots from its start).
                let group = reader.number()?;
                (group < groups_started).then_some(())?;
                builder.add_capture_end(reader.state_id()?, u32::try_from(group).ok()?)
            }
            FAIL => builder.add_fail(),
            MATCH => builder.add_match(),
            _ => return None,
        }
        .ok()?;
    }
    builder.finish_pattern(start_pattern).ok()?;
    reader.code.is_at_end().then_some(())?;
    let nfa = builder.build(start_anchored, start_unanchored).ok()?;
    Some(Decoded { nfa, minimum_len })
}

fn transition(t: &Transition, out: &mut Vec<u8>) {
    out.push(t.start);
    out.push(t.end);
    varint(t.next.as_usize(), out);
}

/// Appends `n` (an id, a count or a length of an NFA under 4 GiB).
fn varint(n: usize, out: &mut Vec<u8>) {
    varint::put(out, u32::try_from(n).expect("an NFA part under 4 GiB"));
}

/// A cursor over NFA code, which knows how many states there are.
struct Reader<'a> {
    code: varint::Reader<'a>,
    /// How many states there are: state ids are below.
    states: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        self.code.byte()
    }

    fn bytes(&mut self, len: usize) -> Option<&[u8]> {
        self.code.bytes(len)
    }

    fn number(&mut self) -> Option<usize> {
        self.code.number().and_then(|n| usize::try_from(n).ok())
    }

    fn state_id(&mut self) -> Option<StateID> {
        let id = self.number()?;
        (id < self.states).then_some(())?;
        StateID::new(id).ok()
    }

    fn transition(&mut self) -> Option<Transition> {
        let (start, end) = (self.byte()?, self.byte()?);
        (start <= end).then_some(())?;
        Some(Transition { start, end, next: self.state_id()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{hircode, BUILTIN};

    /// The NFA every built-in rule with start candidates carries is the one its run form compiles
    /// to now: same states, starts, capture names and flags.
    #[test]
    fn prebuilt_nfas_are_what_the_run_forms_compile_to() {
        let mut checked = 0;
        for rule in BUILTIN.iter().filter(|r| !r.starts().is_empty()) {
            let run = [rule.relaxed(), rule.folded_hir(), rule.hir()].into_iter().find(|c| !c.is_empty());
            let hir = hircode::decode(run.expect("a parsed pattern")).expect("well-formed code");
            let compiled = compile(&hir).expect("compiles");
            let decoded =
                decode(rule.nfa()).unwrap_or_else(|| panic!("{}: the NFA does not decode", rule.id()));
            assert_eq!(decoded.minimum_len, hir.properties().minimum_len(), "{}", rule.id());
            let rebuilt = decoded.nfa;
            assert_eq!(format!("{rebuilt:?}"), format!("{compiled:?}"), "{}", rule.id());
            let names = |nfa: &NFA| {
                nfa.group_info().all_names().map(|(_, g, n)| (g, n.map(str::to_string))).collect::<Vec<_>>()
            };
            assert_eq!(names(&rebuilt), names(&compiled), "{}", rule.id());
            assert_eq!(rebuilt.is_utf8(), compiled.is_utf8());
            checked += 1;
        }
        assert!(checked > 100, "rules checked: {checked}");
    }

    /// Code cut short, or with a byte changed, is refused or decodes to some NFA; it never panics.
    #[test]
    fn damaged_code_does_not_panic() {
        let rule = crate::rules::builtin("generic.assignment").expect("a built-in rule");
        let code = rule.nfa();
        assert!(decode(code).is_some());
        for len in 0..code.len() {
            assert!(decode(&code[..len]).is_none(), "a prefix of {len} bytes decoded");
        }
        for at in 0..code.len() {
            let mut damaged = code.to_vec();
            damaged[at] ^= 0x5a;
            let _ = decode(&damaged);
        }
    }
}
