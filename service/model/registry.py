"""Load the model named by ``models/manifest.json``, verifying it first.

This module is the only place that unpickles a model (STYLE.md 8): the
artifact's sha256 and format version, and the versions of the libraries
that pickled it, are checked against the manifest before ``joblib.load``.
A mismatch refuses to load, and :class:`ModelRegistry` reports why through
``/readyz``. A running service swaps in a new model with :meth:`reload`
without dropping requests: the old model serves until the new one is ready.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import joblib
import sklearn

from service.heap import resettle_heap_if_settled
from service.model.pipeline import FORMAT_VERSION, PageSieveModel
from service.model.verdict import Policy

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"


class ModelLoadError(RuntimeError):
    """The artifact is missing, altered, or was made by incompatible libraries."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(model_dir: Path) -> dict:
    path = model_dir / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"no {MANIFEST} in {model_dir}") from exc
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path} is not valid JSON: {exc}") from exc


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@dataclass(frozen=True)
class LoadedModel:
    model: PageSieveModel
    manifest: dict  # the manifest entry of this artifact
    policy: Policy

    @property
    def version(self) -> str:
        return self.manifest["version"]


def _checked_entry(manifest: object) -> dict:
    """The manifest's ``current`` entry, with the fields a load reads present and of the right type."""
    entry = manifest.get("current") if isinstance(manifest, dict) else None
    if not entry:
        raise ModelLoadError(f"{MANIFEST} names no current model")
    if not isinstance(entry, dict):
        raise ModelLoadError(f"{MANIFEST}: current is a {type(entry).__name__}, not an object")
    for key in ("file", "version", "sha256"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ModelLoadError(f"{MANIFEST}: current.{key} is missing or not a string")
    if not isinstance(entry.get("libraries", {}), dict):
        raise ModelLoadError(f"{MANIFEST}: current.libraries is not an object")
    return entry


def _policy(entry: dict) -> Policy:
    """The decision thresholds of the entry; a missing or non-numeric threshold is a ModelLoadError naming it."""
    thresholds = entry.get("thresholds")
    if not isinstance(thresholds, dict):
        raise ModelLoadError(f"{MANIFEST}: current.thresholds is missing or not an object")
    for group in ("flag", "review", "block", "block_flag"):
        if group == "block_flag" and group not in thresholds:
            continue
        if not isinstance(thresholds.get(group), dict):
            raise ModelLoadError(f"{MANIFEST}: current.thresholds.{group} is missing or not an object")
        for label, value in thresholds[group].items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ModelLoadError(f"{MANIFEST}: current.thresholds.{group}.{label} is {value!r}, not a number")
    drop_share = thresholds.get("drop_share")
    if isinstance(drop_share, bool) or not isinstance(drop_share, int | float):
        raise ModelLoadError(f"{MANIFEST}: current.thresholds.drop_share is {drop_share!r}, not a number")
    return Policy.from_manifest(thresholds)


def load_verified(model_dir: Path) -> LoadedModel:
    """Verify the artifact named by the manifest, then load it; anything wrong is a ModelLoadError saying what."""
    entry = _checked_entry(read_manifest(model_dir))
    policy = _policy(entry)
    path = model_dir / entry["file"]
    if not path.is_file():
        raise ModelLoadError(f"model file {path.name} named by the manifest does not exist")
    if entry.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(f"artifact format {entry.get('format_version')} but this service reads {FORMAT_VERSION}")
    trained_with = str(entry.get("libraries", {}).get("scikit-learn", ""))
    if _minor(trained_with) != _minor(sklearn.__version__):
        raise ModelLoadError(f"artifact pickled with scikit-learn {trained_with}, "
                             f"this service runs {sklearn.__version__}")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise ModelLoadError(f"sha256 of {path.name} is {actual[:12]}…, the manifest expects "
                             f"{entry['sha256'][:12]}…: refusing to load an altered artifact")
    try:
        model = joblib.load(path)
    except Exception as exc:  # the hash matched: an artifact its manifest vouches for that still does not unpickle
        raise ModelLoadError(f"{path.name} does not unpickle: {type(exc).__name__}: {exc}") from exc
    if not isinstance(model, PageSieveModel):
        raise ModelLoadError(f"{path.name} does not hold a PageSieveModel")
    return LoadedModel(model=model, manifest=entry, policy=policy)


class ModelRegistry:
    """The model a process serves, loaded lazily once and swappable at run time.

    With ``warm=True`` (a serving process) a model is warmed up
    (:func:`service.model.warmup.warm_up`) before it is handed out or swapped
    in, so that /readyz answers ready only once the first page of each kind
    is as fast as the rest; a model that fails the warm-up is not loaded.

    A gunicorn worker that cannot load the model on disk serves the last model
    the server verified instead (:meth:`serve_fallback`); ``fallback`` then
    says why, for /readyz and /v1/model, until a reload loads the disk's model.
    """

    def __init__(self, model_dir: Path, warm: bool = False):
        self.model_dir = Path(model_dir)
        self.warm = warm
        self.warm_up_ms: float | None = None  # how long the last warm-up took
        self._current: LoadedModel | None = None
        self._error: str | None = None
        self.fallback: str | None = None  # why the serving model is not the one on disk (None: it is)
        self._lock = threading.Lock()

    def get(self) -> LoadedModel:
        """The serving model; loads it on first use. Raises ModelLoadError if it cannot."""
        current = self._current
        if current is not None:
            return current
        with self._lock:
            if self._current is None:
                self._load_locked()
            if self._current is None:
                raise ModelLoadError(self._error or "model not loaded")
            return self._current

    def _load(self) -> LoadedModel:
        """:func:`load_verified`, then the warm-up when this registry warms its models."""
        loaded = load_verified(self.model_dir)
        log.info("model %s loaded from %s", loaded.version, self.model_dir)
        if self.warm:
            self._warm(loaded)
        return loaded

    def _warm(self, loaded: LoadedModel) -> None:
        from service.model.warmup import warm_up

        try:
            took = warm_up(loaded)
        except Exception as exc:
            raise ModelLoadError(f"model {loaded.version} failed its warm-up: {type(exc).__name__}: {exc}") from exc
        self.warm_up_ms = took
        log.info("model %s warmed up in %.0f ms", loaded.version, took)

    def serve_fallback(self, loaded: LoadedModel, reason: str) -> None:
        """Serve ``loaded``, a model verified earlier, because the one on disk cannot be loaded (``reason``)."""
        if self.warm:
            self._warm(loaded)
        with self._lock:
            self._current = loaded
            self._error = None
            self.fallback = f"the model on disk cannot be loaded ({reason}); serving {loaded.version}, " \
                            f"the last model this server verified"
        log.error("FALLBACK: %s", self.fallback)

    def _load_locked(self) -> None:
        try:
            self._current = self._load()
            self._error = None
        except ModelLoadError as exc:
            self._error = str(exc)
            log.error("model not loaded: %s", exc)

    def reload(self) -> LoadedModel:
        """Load the manifest's current model again; keep serving the old one if that fails."""
        candidate = self._load()
        with self._lock:
            self._current = candidate
            self._error = None
            self.fallback = None
        log.info("model %s now serving", candidate.version)
        resettle_heap_if_settled()  # a serving worker: free the old model's cycles, freeze the new model
        return candidate

    def status(self) -> tuple[bool, str]:
        """``(ready, detail)`` for /readyz; tries to load when nothing is loaded yet."""
        try:
            return True, self.get().version
        except ModelLoadError as exc:
            return False, str(exc)
