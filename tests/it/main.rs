//! Integration tests: the real leakgate binary against real git repositories in temp dirs.

mod audit;
mod canary;
mod harness;
mod install;
mod pre_commit;
mod redact;
mod report;
mod scan;
