//! Integration tests: the real leakgate binary against real git repositories in temp dirs.
#![allow(clippy::print_stderr)]

mod audit;
mod canary;
mod harness;
mod install;
mod policy;
mod pre_commit;
mod pre_push;
mod properties;
mod redact;
mod report;
mod scan;
mod states;
