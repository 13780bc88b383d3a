//! The engine: a keyword prefilter (one aho-corasick automaton over every rule's keywords) picks
//! the rules that can match a fragment; only those rules' regexes run, each compiled on first
//! use; validators, entropy and placeholder checks then decide. Knows nothing of git.

pub mod allow;
mod engine;
mod finding;

pub use engine::Engine;
pub use finding::{dedup_by_secret, Finding};
