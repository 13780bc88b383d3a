//! Integration tests: the real leakgate binary against real git repositories in temp dirs.
