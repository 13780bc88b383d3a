#!/bin/sh
# Installs leakgate from this checkout and shows it at work on the built-in default policy.
#   ./install.sh            build + install the binary; inside a git repository, install the hook there
#   ./install.sh --no-hook  only build + install the binary
# Idempotent: running it again rebuilds and refreshes the hook.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${LEAKGATE_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}

command -v cargo >/dev/null 2>&1 || { echo "install.sh: cargo is required (https://rustup.rs)" >&2; exit 2; }
echo "install.sh: building and installing leakgate into $root/bin"
cargo install --quiet --locked --force --root "$root" --path "$here"
bin="$root/bin/leakgate"
"$bin" --version

if [ "${1-}" != "--no-hook" ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  "$bin" install || echo "install.sh: hook not installed (see above); the binary is installed"
fi

# The main job on the built-in policy: a throw-away repository whose commit stages a generated
# fake AWS key is refused, then the same commit without it goes through.
demo=$(mktemp -d "${TMPDIR:-/tmp}/leakgate-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
(
  cd "$demo"
  git init -q .
  git config user.email demo@example.invalid
  git config user.name demo
  "$bin" install >/dev/null 2>&1
  key="AKIA$(LC_ALL=C tr -dc 'A-Z2-7' </dev/urandom | head -c 16)"
  printf 'aws_access_key_id = %s\n' "$key" > settings.ini
  git add settings.ini
  echo "install.sh: demo — committing a file with a generated fake AWS key:"
  if git commit -q -m "add settings" 2>&1; then
    echo "install.sh: the demo commit was NOT blocked; something is wrong" >&2
    exit 1
  fi
  printf 'aws_access_key_id = ${AWS_ACCESS_KEY_ID}\n' > settings.ini
  git add settings.ini
  git commit -q -m "add settings" && echo "install.sh: demo — the same commit with an env reference went through."
)
echo "install.sh: done. In any repository: leakgate install"
