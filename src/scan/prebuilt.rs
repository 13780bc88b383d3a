//! A built-in rule's NFA prebuilt by `build.rs` (see [`crate::rules::nfacode`]), searched the way
//! regex-automata's meta regex searches a forward NFA alone: with the bounded backtracker, or the
//! PikeVM for a span too long for the backtracker's memory.

use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::nfa::thompson::{backtrack, pikevm};
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::Pool;
use regex_automata::Input;

use crate::rules::nfacode::Decoded;

type Caches = (backtrack::Cache, Option<pikevm::Cache>);
type CreateCaches = Box<dyn Fn() -> Caches + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// An NFA with its two searchers, and their caches for each thread (bulk scans run rules from
/// several threads).
pub(super) struct PrebuiltRegex {
    /// The shortest match: a shorter span holds none (`None`: nothing matches).
    minimum_len: Option<usize>,
    backtracker: backtrack::BoundedBacktracker,
    pikevm: pikevm::PikeVM,
    caches: Pool<Caches, CreateCaches>,
}

impl PrebuiltRegex {
    /// Sets up the searchers of an NFA (nothing is compiled: both run the NFA as it is).
    pub(super) fn new(Decoded { nfa, minimum_len }: Decoded) -> Result<PrebuiltRegex, String> {
        let backtracker =
            backtrack::BoundedBacktracker::new_from_nfa(nfa.clone()).map_err(|e| e.to_string())?;
        let pikevm = pikevm::PikeVM::new_from_nfa(nfa).map_err(|e| e.to_string())?;
        let for_cache = backtracker.clone();
        let create: CreateCaches = Box::new(move || (for_cache.create_cache(), None));
        Ok(PrebuiltRegex { minimum_len, backtracker, pikevm, caches: Pool::new(create) })
    }

    /// Room for a match's capture groups.
    pub(super) fn create_captures(&self) -> Captures {
        self.backtracker.create_captures()
    }

    /// The leftmost-first match in `input`, with its groups, into `caps` (none: no match).
    pub(super) fn search_captures(&self, input: &Input<'_>, caps: &mut Captures) {
        if self.minimum_len.is_none_or(|len| input.get_span().len() < len) {
            caps.set_pattern(None);
            return;
        }
        let mut caches = self.caches.get();
        let (backtrack_cache, pikevm_cache) = &mut *caches;
        if input.get_span().len() <= self.backtracker.max_haystack_len()
            && self.backtracker.try_search(backtrack_cache, input, caps).is_ok()
        {
            return;
        }
        let pikevm_cache = pikevm_cache.get_or_insert_with(|| self.pikevm.create_cache());
        self.pikevm.search(pikevm_cache, input, caps);
    }
}
