"""Write the model artifact and ``models/manifest.json``.

The manifest records what the service needs to trust the artifact: sha256,
format version, library versions, the jieba dictionary hash, the training
data and lexicon hashes, the corpora used, metrics and thresholds.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version as pkg_version
from pathlib import Path

import joblib

from service.analysis.text import jieba_dictionary_hash
from service.model.pipeline import FORMAT_VERSION, PageSieveModel
from service.model.registry import MANIFEST, sha256_file

LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib", "jieba", "rjieba", "opencc", "lxml", "pyahocorasick")
KEEP_HISTORY = 10


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_artifact(model: PageSieveModel, model_dir: Path, *, name: str, build: dict, thresholds: dict,
                   metrics: dict, keep_file: bool = False) -> dict:
    """Save the model, then point the manifest at it; returns the manifest entry.

    ``keep_file``: the model is the one already saved under its name (a re-tune): its file, and so its sha256,
    stay as they are; pickling the same model again need not give the same bytes.
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    filename = f"{name}-{model.version}.joblib"
    path = model_dir / filename
    if not (keep_file and path.exists()):
        joblib.dump(model, path, compress=("xz", 3))
    entry = {
        "name": name,
        "version": model.version,
        "file": filename,
        "sha256": sha256_file(path),
        "size_bytes": path.stat().st_size,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "format_version": FORMAT_VERSION,
        "libraries": {lib: pkg_version(lib) for lib in LIBRARIES},
        "jieba_dict_sha256": jieba_dictionary_hash(),
        "training_data_sha256": build.get("dataset_sha256"),
        "lexicon_sha256": build.get("lexicon_sha256"),
        "sources": build.get("sources", []),
        "commit": _commit(),
        "model_seed": model.info.get("model_seed"),
        "thresholds": thresholds,
        "metrics": metrics,
    }
    manifest_path = model_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    history = manifest.get("history", [])
    previous = manifest.get("current")
    if previous:
        history.insert(0, {k: previous.get(k) for k in ("version", "file", "sha256", "created")})
    manifest = {"format_version": FORMAT_VERSION, "current": entry, "history": history[:KEEP_HISTORY]}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return entry


def prune_old_artifacts(model_dir: Path, keep: str) -> list[str]:
    """Delete artifacts other than ``keep`` (only one model file is committed)."""
    removed = []
    for path in model_dir.glob("*.joblib"):
        if path.name != keep:
            path.unlink()
            removed.append(path.name)
    return removed
