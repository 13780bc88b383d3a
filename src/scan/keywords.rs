//! The built-in catalog's keyword prefilter: an Aho-Corasick DFA built by `build.rs` and
//! embedded as static tables, so that start-up builds nothing however large the catalog grows.

#[allow(clippy::unreadable_literal)]
mod table {
    include!(concat!(env!("OUT_DIR"), "/keyword_table.rs"));
}

/// Calls `hit(keyword, start, end)` for every occurrence of a built-in keyword in `text`,
/// overlapping ones included, matched ASCII case-insensitively. Each hit is reported once; hits
/// come in order of their end within each quarter of a long text, not across quarters.
pub fn for_each_hit(text: &[u8], mut hit: impl FnMut(usize, usize, usize)) {
    if text.len() < SPLIT_FROM {
        let mut state = 0;
        for at in 0..text.len() {
            step(text, at, &mut state, text.len(), &mut hit);
        }
        return;
    }
    // Four streams, one per quarter, stepped side by side: one stream waits on each table load
    // before the next, four independent ones overlap their loads (65 KB of staged text: 129 us
    // as one stream, 62 us as four). Each
    // stream starts in the start state at its quarter, so it finds every keyword starting there,
    // and reads on past its quarter by the longest keyword less one byte, so that a keyword
    // crossing into the next quarter is found too; it reports only keywords starting in its own
    // quarter (the next stream reports the others).
    let quarter = text.len().div_ceil(STREAMS);
    let begin: [usize; STREAMS] = std::array::from_fn(|i| i * quarter);
    let owned_end: [usize; STREAMS] = std::array::from_fn(|i| ((i + 1) * quarter).min(text.len()));
    let read_end: [usize; STREAMS] =
        std::array::from_fn(|i| (owned_end[i] + table::LONGEST - 1).min(text.len()));
    // Every stream has at least as many bytes as the last quarter: step them together that far,
    // four states in registers.
    let together = owned_end[STREAMS - 1] - begin[STREAMS - 1];
    let lanes: [&[u8]; STREAMS] = std::array::from_fn(|i| &text[begin[i]..begin[i] + together]);
    let mut states = [0usize; STREAMS];
    let mut offset = 0;
    while offset < together {
        offset = step_lanes(lanes, &mut states, offset);
        if states.iter().all(|&s| s < table::FIRST_MATCH) {
            continue;
        }
        for (i, &state) in states.iter().enumerate() {
            report(state, begin[i] + offset - 1, owned_end[i], &mut hit);
        }
    }
    for i in 0..STREAMS {
        for at in begin[i] + together..read_end[i] {
            step(text, at, &mut states[i], owned_end[i], &mut hit);
        }
    }
}

/// Steps the four streams from offset `from` until one of them reaches a match state, or to the
/// end of the lanes (all of one length); returns the offset after the last byte stepped. Apart from
/// `for_each_hit`'s reporting, so that the loop keeps its states, lanes and tables in registers
/// (inlined with the reporting, LLVM spilled three of the four states to the stack at every byte).
#[inline(never)]
fn step_lanes(lanes: [&[u8]; STREAMS], states: &mut [usize; STREAMS], from: usize) -> usize {
    let [mut s0, mut s1, mut s2, mut s3] = *states;
    let mut offset = from;
    for (((&b0, &b1), &b2), &b3) in
        lanes[0][from..].iter().zip(&lanes[1][from..]).zip(&lanes[2][from..]).zip(&lanes[3][from..])
    {
        s0 = advance(s0, b0);
        s1 = advance(s1, b1);
        s2 = advance(s2, b2);
        s3 = advance(s3, b3);
        offset += 1;
        if s0.max(s1).max(s2).max(s3) >= table::FIRST_MATCH {
            break;
        }
    }
    *states = [s0, s1, s2, s3];
    offset
}

/// Streams of [`for_each_hit`].
const STREAMS: usize = 4;

/// Texts shorter than this are scanned as one stream.
const SPLIT_FROM: usize = 1024;

/// Advances `state` (a row offset in `NEXT`) over `text[at]`, reporting the keywords that end
/// there and start before `owned_end`.
#[inline(always)]
fn step(
    text: &[u8],
    at: usize,
    state: &mut usize,
    owned_end: usize,
    hit: &mut impl FnMut(usize, usize, usize),
) {
    *state = advance(*state, text[at]);
    report(*state, at, owned_end, hit);
}

/// The state after `byte`.
#[inline(always)]
fn advance(state: usize, byte: u8) -> usize {
    let class = usize::from(table::CLASSES[usize::from(byte)]);
    // `NEXT` holds row offsets halved (16 bits each: half the cache of 32-bit offsets).
    usize::from(table::NEXT[state + class]) << 1
}

/// Reports the keywords of `state`, reached at `text[at]`, that start before `owned_end`.
#[inline(always)]
fn report(state: usize, at: usize, owned_end: usize, hit: &mut impl FnMut(usize, usize, usize)) {
    if state >= table::FIRST_MATCH {
        let number = state / table::STRIDE;
        let outputs = table::OUT_START[number] as usize..table::OUT_START[number + 1] as usize;
        for &keyword in &table::OUT[outputs] {
            let keyword = usize::from(keyword);
            let start = at + 1 - usize::from(table::LENGTHS[keyword]);
            if start < owned_end {
                hit(keyword, start, at + 1);
            }
        }
    }
}

/// The indices in [`crate::rules::BUILTIN`] of the rules `keyword` selects.
pub fn rules_of(keyword: usize) -> &'static [u16] {
    &table::RULES[table::RULES_START[keyword] as usize..table::RULES_START[keyword + 1] as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::BUILTIN;

    /// Every content rule's keywords are found, in any case, and select that rule; nothing is
    /// found in text without keywords.
    #[test]
    fn every_keyword_selects_its_rules() {
        for (index, rule) in BUILTIN.iter().enumerate().filter(|(_, r)| r.regex().is_some()) {
            for keyword in rule.keywords() {
                for text in [format!("x {keyword} y"), format!("x {} y", keyword.to_ascii_uppercase())] {
                    let mut selected = false;
                    for_each_hit(text.as_bytes(), |k, start, end| {
                        if text[start..end].eq_ignore_ascii_case(keyword) {
                            selected |= rules_of(k).contains(&(index as u16));
                        }
                    });
                    assert!(selected, "{keyword:?} of {} not found in {text:?}", rule.id());
                }
            }
        }
        let mut any = false;
        for_each_hit(b"nothing to see here, 12345 ++ --", |_, _, _| any = true);
        assert!(!any);
    }

    /// Long texts, scanned as four streams, give exactly the hits of one stream over the whole
    /// text, keywords straddling the quarter boundaries included.
    #[test]
    fn streams_find_what_one_stream_finds() {
        let keywords: Vec<&str> = BUILTIN.iter().flat_map(|r| r.keywords().iter()).collect();
        let mut rng = crate::rules::example::Rng::new(7);
        let mut next = |n: usize| rng.below(n);
        for round in 0..300 {
            let len = SPLIT_FROM + next(4000);
            let mut text = Vec::with_capacity(len + 64);
            while text.len() < len {
                if next(4) == 0 {
                    let keyword = keywords[next(keywords.len())];
                    text.extend(
                        keyword.bytes().map(|b| if next(2) == 0 { b.to_ascii_uppercase() } else { b }),
                    );
                } else {
                    text.push(b" _=:.-/xyzAKIa0"[next(15)]);
                }
            }
            let mut streams = Vec::new();
            for_each_hit(&text, |k, start, end| streams.push((start, end, k)));
            let mut single = Vec::new();
            let mut state = 0;
            for at in 0..text.len() {
                step(&text, at, &mut state, text.len(), &mut |k, start, end| single.push((start, end, k)));
            }
            streams.sort_unstable();
            single.sort_unstable();
            assert_eq!(streams, single, "round {round}");
        }
    }

    /// Overlapping keywords are all reported, with their spans.
    #[test]
    fn overlapping_hits_are_all_reported() {
        let text = b"my_API_KEY=1";
        let mut hits = Vec::new();
        for_each_hit(text, |_, start, end| {
            hits.push(String::from_utf8_lossy(&text[start..end]).to_lowercase())
        });
        assert!(hits.iter().any(|h| h == "api_key"), "{hits:?}");
    }
}
