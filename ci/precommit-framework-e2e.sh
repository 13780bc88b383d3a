#!/usr/bin/env bash
# End-to-end test of .pre-commit-hooks.yaml with the real pre-commit framework: a temp repository
# whose .pre-commit-config.yaml points at this checkout (at HEAD) must refuse, through `git commit`
# and `git push`, what carries a generated fake secret, and let clean work through.
# Usage: ci/precommit-framework-e2e.sh [path to a python venv that has pre-commit]
set -euo pipefail
checkout=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-"$checkout/target/ci-venv"}
if [ ! -x "$venv/bin/pre-commit" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pre-commit
fi
export PATH="$venv/bin:$PATH"
rev=$(git -C "$checkout" rev-parse HEAD)
work=$(mktemp -d "${TMPDIR:-/tmp}/leakgate-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache" PRE_COMMIT_COLOR=never
# Reuse one cargo target dir across runs of this script (the framework runs `cargo install`).
export CARGO_TARGET_DIR="${LEAKGATE_E2E_TARGET:-$checkout/target/precommit-e2e}"
fail() { echo "e2e: FAIL: $*" >&2; exit 1; }
fake_key() { printf 'AKIA%s' "$(LC_ALL=C tr -dc 'A-Z2-7' </dev/urandom | head -c 16)"; }

git init -q --bare "$work/remote.git"
git init -q -b main "$work/repo"
cd "$work/repo"
git config user.email e2e@example.invalid
git config user.name e2e
git remote add origin "$work/remote.git"
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $checkout
    rev: $rev
    hooks:
      - id: leakgate
      - id: leakgate-push
YAML
git add .pre-commit-config.yaml
git commit -q --no-verify -m "config"
git push -q --no-verify origin main
pre-commit install --hook-type pre-commit --hook-type pre-push >/dev/null
echo "e2e: building the hook environment (cargo install of this checkout)"
pre-commit install-hooks

key=$(fake_key)
printf 'region = eu-west-1\naws_access_key_id = %s\n' "$key" > settings.ini
git add settings.ini
if out=$(git commit -m "settings" 2>&1); then fail "a commit with a fake AWS key went through"; fi
grep -q "settings.ini" <<<"$out" || fail "the report does not name the file: $out"
grep -q "aws.access-key-id" <<<"$out" || fail "the report does not name the rule"
grep -qF "$key" <<<"$out" && fail "the report printed the full secret"
echo "e2e: ok: git commit with a secret is refused"

printf 'region = eu-west-1\naws_access_key_id = ${AWS_ACCESS_KEY_ID}\n' > settings.ini
git add settings.ini
git commit -q -m "settings" || fail "a clean commit was refused"
echo "e2e: ok: a clean commit goes through"

printf 'key = %s\n' "$(fake_key)" > legacy.txt
git add legacy.txt
git commit -q --no-verify -m "bypass the commit hook"
if pre-commit run --all-files >/dev/null 2>&1; then fail "pre-commit run --all-files passed vacuously"; fi
echo "e2e: ok: pre-commit run --all-files scans whole files"

if git push -q origin main 2>/dev/null; then fail "a push carrying a --no-verify secret went through"; fi
echo "e2e: ok: the pre-push hook refuses the bypassed commit"
git reset -q --hard HEAD~1
git push -q origin main || fail "a clean push was refused"
echo "e2e: ok: a clean push goes through"
echo "e2e: 5 passed, 0 failed"
