//! Builds the keyword automaton of the built-in catalog at compile time: an Aho-Corasick DFA over
//! ASCII-lower-cased bytes, written out as static tables, so the hook builds nothing at start-up.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

/// `keywords[i]` is a lower-case keyword and the built-in rule indices it selects.
pub fn emit(keywords: &[(String, Vec<usize>)]) -> String {
    // Byte classes: 0 for bytes in no keyword, then one per distinct (lower-cased) keyword byte.
    let mut classes = [0u8; 256];
    let mut count = 1u8;
    for (keyword, _) in keywords {
        for &b in keyword.as_bytes() {
            if classes[usize::from(b)] == 0 {
                classes[usize::from(b)] = count;
                count = count.checked_add(1).expect("fewer than 256 keyword bytes");
            }
        }
    }
    for b in b'A'..=b'Z' {
        classes[usize::from(b)] = classes[usize::from(b.to_ascii_lowercase())];
    }
    // An even row length, so that row offsets halved fit in 16 bits (see `NEXT` below); a padding
    // class is never looked up.
    let stride = usize::from(count).next_multiple_of(2);

    // The trie.
    let mut goto: Vec<BTreeMap<u8, usize>> = vec![BTreeMap::new()];
    let mut ends: Vec<Vec<usize>> = vec![Vec::new()];
    for (id, (keyword, _)) in keywords.iter().enumerate() {
        let mut state = 0;
        for &b in keyword.as_bytes() {
            let class = classes[usize::from(b)];
            state = match goto[state].get(&class) {
                Some(&next) => next,
                None => {
                    goto.push(BTreeMap::new());
                    ends.push(Vec::new());
                    let next = goto.len() - 1;
                    goto[state].insert(class, next);
                    next
                }
            };
        }
        ends[state].push(id);
    }

    // Failure links breadth first, completing every transition (a full DFA) and every state's
    // output with its failure state's.
    let states = goto.len();
    assert!(states * stride < u32::MAX as usize, "keyword automaton too large");
    let mut next = vec![0usize; states * stride];
    let mut depth = vec![0usize; states];
    let mut fail = vec![0usize; states];
    let mut out: Vec<Vec<usize>> = ends.clone();
    let mut queue = VecDeque::new();
    for (class, slot) in next.iter_mut().enumerate().take(stride) {
        if let Some(&child) = goto[0].get(&(class as u8)) {
            *slot = child;
            depth[child] = 1;
            queue.push_back(child);
        }
    }
    while let Some(state) = queue.pop_front() {
        let inherited = out[fail[state]].clone();
        out[state].extend(inherited);
        for class in 0..stride {
            let via_fail = next[fail[state] * stride + class];
            match goto[state].get(&(class as u8)) {
                Some(&child) => {
                    fail[child] = via_fail;
                    depth[child] = depth[state] + 1;
                    next[state * stride + class] = child;
                    queue.push_back(child);
                }
                None => next[state * stride + class] = via_fail,
            }
        }
    }

    // Renumber the states so that those with output come last: the scan loop then tells a
    // match by one comparison. The start state (0) has no output and stays first. Shallow
    // states first otherwise: they are the ones most text visits, so a scan touches few pages.
    let mut order: Vec<usize> = (0..states).collect();
    order.sort_by_key(|&state| (!out[state].is_empty(), depth[state], state));
    let mut new_id = vec![0usize; states];
    for (id, &state) in order.iter().enumerate() {
        new_id[state] = id;
    }
    let first_match = order.iter().position(|&state| !out[state].is_empty()).unwrap_or(states);
    let next: Vec<usize> = order
        .iter()
        .flat_map(|&state| next[state * stride..(state + 1) * stride].iter().map(|&to| new_id[to]))
        .collect();
    let out: Vec<Vec<usize>> = order.iter().map(|&state| out[state].clone()).collect();

    let mut s = String::new();
    let list = |v: &mut String, name: &str, ty: &str, items: &mut dyn Iterator<Item = usize>| {
        let items: Vec<String> = items.map(|i| i.to_string()).collect();
        writeln!(v, "pub static {name}: &[{ty}] = &[{}];", items.join(",")).expect("write");
    };
    writeln!(s, "pub const STRIDE: usize = {stride};").expect("write");
    writeln!(s, "pub const FIRST_MATCH: usize = {};", first_match * stride).expect("write");
    let class_items: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    writeln!(s, "pub static CLASSES: [u8; 256] = [{}];", class_items.join(",")).expect("write");
    let longest = keywords.iter().map(|(k, _)| k.len()).max().unwrap_or(1);
    writeln!(s, "pub const LONGEST: usize = {longest};").expect("write");
    // A transition holds half its target's row offset: the scan loop restores it with a shift,
    // not a multiply, and the table takes half the cache it took as 32-bit offsets (most of a
    // cold hook run's misses in the keyword scan).
    assert!(states * stride / 2 <= usize::from(u16::MAX), "keyword automaton too large for 16-bit rows");
    list(&mut s, "NEXT", "u16", &mut next.iter().map(|&to| to * stride / 2));
    let mut starts = vec![0usize];
    for o in &out {
        starts.push(starts.last().copied().unwrap_or(0) + o.len());
    }
    list(&mut s, "OUT_START", "u32", &mut starts.into_iter());
    list(&mut s, "OUT", "u16", &mut out.iter().flatten().copied());
    list(&mut s, "LENGTHS", "u8", &mut keywords.iter().map(|(k, _)| k.len()));
    let mut rule_starts = vec![0usize];
    for (_, rules) in keywords {
        rule_starts.push(rule_starts.last().copied().unwrap_or(0) + rules.len());
    }
    list(&mut s, "RULES_START", "u32", &mut rule_starts.into_iter());
    list(&mut s, "RULES", "u16", &mut keywords.iter().flat_map(|(_, r)| r.iter().copied()));
    s
}
