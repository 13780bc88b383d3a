#!/usr/bin/env bash
# Runs the allocator crate's tests (crates/heap, the one crate with `unsafe` code) under Miri,
# which checks every allocation, alignment, pointer provenance and data race they exercise.
#
# Needs the nightly toolchain with the `miri` and `rust-src` components; adds them when missing.
# Only a failed download skips the check (with a notice): a finding of Miri fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "error: Miri needs the nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "== adding the miri and rust-src components to nightly"
    if ! rustup component add --toolchain nightly miri rust-src; then
        echo "notice: the miri component could not be installed (no download, or none for this nightly); Miri skipped" >&2
        exit 0
    fi
fi
cargo +nightly miri setup --quiet
cargo +nightly miri test --locked --quiet -p leakgate-heap
