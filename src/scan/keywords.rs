//! The built-in catalog's keyword prefilter: an Aho-Corasick DFA built by `build.rs` and
//! embedded as static tables, so that start-up builds nothing however large the catalog grows.

#[allow(clippy::unreadable_literal)]
mod table {
    include!(concat!(env!("OUT_DIR"), "/keyword_table.rs"));
}

/// Calls `hit(keyword, start, end)` for every occurrence of a built-in keyword in `text`,
/// overlapping ones included, matched ASCII case-insensitively, in order of their end.
pub fn for_each_hit(text: &[u8], mut hit: impl FnMut(usize, usize, usize)) {
    // `state` is a row offset in `NEXT` (state number times `STRIDE`); `NEXT` holds them halved.
    let mut state = 0usize;
    for (at, &byte) in text.iter().enumerate() {
        let class = usize::from(table::CLASSES[usize::from(byte)]);
        state = usize::from(table::NEXT[state + class]) << 1;
        if state >= table::FIRST_MATCH {
            let number = state / table::STRIDE;
            let outputs = table::OUT_START[number] as usize..table::OUT_START[number + 1] as usize;
            for &keyword in &table::OUT[outputs] {
                let keyword = usize::from(keyword);
                hit(keyword, at + 1 - usize::from(table::LENGTHS[keyword]), at + 1);
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
        for (index, rule) in BUILTIN.iter().enumerate().filter(|(_, r)| r.regex.is_some()) {
            for keyword in rule.keywords {
                for text in [format!("x {keyword} y"), format!("x {} y", keyword.to_ascii_uppercase())] {
                    let mut selected = false;
                    for_each_hit(text.as_bytes(), |k, start, end| {
                        if text[start..end].eq_ignore_ascii_case(keyword) {
                            selected |= rules_of(k).contains(&(index as u16));
                        }
                    });
                    assert!(selected, "{keyword:?} of {} not found in {text:?}", rule.id);
                }
            }
        }
        let mut any = false;
        for_each_hit(b"nothing to see here, 12345 ++ --", |_, _, _| any = true);
        assert!(!any);
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
