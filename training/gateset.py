"""The gate's small composed evaluation set: built from the corpora in under a minute, cached.

It is the test split of ``training.build`` (sites, spam terms, headlines and generators held
out from training) at a small scale with a fixed seed. The build iterates over sets of
strings in places, so it is only reproducible under a fixed hash seed: the set is composed in
a child process with ``PYTHONHASHSEED=0``, which makes its sha256 the same on every machine
with the same corpora and code. The result is cached under ``var/gate/``, keyed by a hash of
everything it depends on (seed, scale, the composing code, the corpora files' names, sizes
and modification times); the sha256 of its content is what ``eval_baseline.json`` pins.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from service.config import REPO_ROOT
from training.examples import Example

GATE_SEED = 13
GATE_SCALE = 0.1  # about 430 pages: ~90 per bad label, ~160 clean
# The code that decides what the composed pages are (a change rebuilds the cache).
COMPOSING_CODE = ("training/build.py", "training/corpora.py", "training/examples.py", "training/lexicons.py",
                  "training/pools.py", "training/recipes.py", "training/recipes_html.py", "training/urls.py",
                  "training/gateset.py", "service/features/lexicon.py", "service/analysis/*.py")


def compose(data: Path, seed: int = GATE_SEED, scale: float = GATE_SCALE) -> list[Example]:
    """The composed test split at ``scale`` (deterministic only under a fixed PYTHONHASHSEED)."""
    from training.build import compose_split
    from training.corpora import load_all
    from training.lexicons import build_lexicons
    from training.pools import build_pools

    rng = random.Random(seed)
    docs = load_all(data)
    lexicons = build_lexicons(data, docs)
    pools = build_pools(docs, lexicons, rng)
    return compose_split("test", docs, pools, rng, scale, lexicons)


def write_examples(examples: list[Example], path: Path) -> str:
    """Write examples as JSONL; return the sha256 of the lines (as ``build`` hashes its set)."""
    digest = hashlib.sha256()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # concurrent test runs share var/gate/
    with tmp.open("w", encoding="utf-8") as fh:
        for ex in examples:
            line = json.dumps(asdict(ex), ensure_ascii=False)
            fh.write(line + "\n")
            digest.update(line.encode("utf-8"))
    tmp.replace(path)
    return digest.hexdigest()


def read_examples(path: Path) -> tuple[list[Example], str]:
    """Examples of a JSONL file and the sha256 of its lines."""
    digest = hashlib.sha256()
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            digest.update(line.encode("utf-8"))
            rec = json.loads(line)
            rec["spans"] = [tuple(s) for s in rec.get("spans", [])]
            rec["marks"] = [tuple(m) for m in rec.get("marks", [])]
            out.append(Example(**rec))
    return out, digest.hexdigest()


def cache_key(data: Path, seed: int, scale: float) -> str:
    """Hash of what the composed set depends on; not of its content (that needs the build)."""
    digest = hashlib.sha256(f"{seed}|{scale}".encode())
    for pattern in COMPOSING_CODE:
        for path in sorted(REPO_ROOT.glob(pattern)):
            digest.update(path.name.encode() + path.read_bytes())
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        st = path.stat()
        digest.update(f"{path.relative_to(data)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def load_gate_set(data: Path, cache_dir: Path, seed: int = GATE_SEED, scale: float = GATE_SCALE,
                  log=print) -> tuple[list[Example], str]:
    """The gate's composed pages and their sha256, from the cache or built in a child process."""
    key = cache_key(data, seed, scale)[:16]
    path = cache_dir / f"composed-{key}.jsonl"
    if not path.is_file():
        started = time.monotonic()
        log(f"composing the gate set (seed {seed}, scale {scale}) from {data}")
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        cmd = [sys.executable, "-m", "training.gateset", "--data", str(data), "--out", str(path),
               "--seed", str(seed), "--scale", str(scale)]
        subprocess.run(cmd, check=True, env=env, cwd=REPO_ROOT)
        log(f"composed in {time.monotonic() - started:.0f}s -> {path}")
        for old in cache_dir.glob("composed-*.jsonl"):
            if old != path:
                old.unlink()
    return read_examples(path)


def main(argv: list[str] | None = None) -> int:
    """Child-process entry: compose the set and write it (run with PYTHONHASHSEED=0)."""
    parser = argparse.ArgumentParser(prog="python -m training.gateset")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=GATE_SEED)
    parser.add_argument("--scale", type=float, default=GATE_SCALE)
    args = parser.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != "0":
        print("error: run with PYTHONHASHSEED=0 (the build is reproducible only then)", file=sys.stderr)
        return 2
    write_examples(compose(args.data, args.seed, args.scale), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
