//! Integration tests: the real leakgate binary against real git repositories in temp dirs.
#![allow(clippy::print_stderr)]

mod harness;
mod install;
mod policy;
mod pre_commit;
mod pre_push;
mod scan;
