//! The engine: a keyword prefilter (the built-in catalog's Aho-Corasick DFA, prebuilt at compile
//! time, plus one for custom rules) picks the rules that can match a fragment, and where; only
//! those rules' regexes run, each compiled on first use, on the lines holding their keywords;
//! validators, entropy and placeholder checks then decide. Knows nothing of git.

pub mod allow;
mod engine;
mod finding;
mod keywords;
mod prebuilt;

pub use engine::Engine;
pub use finding::{dedup_by_secret, Finding};
