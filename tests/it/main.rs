//! Integration tests: the real leakgate binary against real git repositories in temp dirs.

mod harness;
mod install;
mod pre_commit;
mod pre_push;
mod scan;
