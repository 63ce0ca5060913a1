"""Near-duplicate grouping of bad blocks into campaigns (MinHash + LSH bands).

The same injected keyword chain or link-farm wall arrives on many sites,
slightly edited (a term swapped, separators changed, headlines reordered).
Each ``injected_spam`` / ``link_farm`` span of a verdict is reduced to a
MinHash signature over character shingles of its normalised text; the
signature is cut into bands, and two spans sharing any band are candidates.
A candidate joins an existing campaign when the signatures agree on at
least :data:`MIN_SIMILARITY` of their positions (an estimate of the Jaccard
similarity of the shingle sets). Everything is deterministic: fixed hash
seeds, no randomness per process.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from service.analysis.text import normalize

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS  # P(candidate) = 1 - (1 - J^4)^16: 0.98 at J=0.5, 1e-4 at J=0.05
SHINGLE = 3
MIN_SHINGLES = 6  # shorter spans (a lone term inside an article) are too generic to group by
# A span is signed by its first characters: near-duplicates share them, and a page-long span of a hostile page
# (600,000 characters took 2.4 s and 700 MB in one matrix) stays cheap. Shorter spans are signed whole, as before.
MAX_SIGNED_CHARS = 100_000
HASH_CHUNK = 8192  # shingles hashed per step of the signature
MIN_SIMILARITY = 0.5
CAMPAIGN_LABELS = ("injected_spam", "link_farm")
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20261123)  # fixed: signatures must be comparable across processes and releases
_A = _rng.integers(1, _PRIME, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, size=NUM_PERM, dtype=np.uint64)
_KEEP = re.compile(r"[^\w]+", re.UNICODE)


def canonical(text: str) -> str:
    """Normalised text without punctuation or spaces: edits of separators do not matter."""
    return _KEEP.sub("", normalize(text)).replace("_", "")


def shingles(text: str) -> set[str]:
    """Character ``SHINGLE``-grams of the canonical text (Chinese has no word spaces), of its first
    ``MAX_SIGNED_CHARS`` characters."""
    canon = canonical(text)[:MAX_SIGNED_CHARS]
    return {canon[i:i + SHINGLE] for i in range(max(0, len(canon) - SHINGLE + 1))}


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (``NUM_PERM`` uint32 values), or None when the span is too short."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    base = np.fromiter((int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=4).digest(), "little")
                        % _PRIME for g in sorted(grams)), dtype=np.uint64, count=len(grams))
    lowest = np.full(NUM_PERM, _PRIME, dtype=np.uint64)
    for i in range(0, len(base), HASH_CHUNK):  # NUM_PERM x HASH_CHUNK values at a time, not NUM_PERM x all
        chunk = base[i:i + HASH_CHUNK]
        np.minimum(lowest, ((chunk[None, :] * _A[:, None] + _B[:, None]) % _PRIME).min(axis=1), out=lowest)
    return lowest.astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[str]:
    """One key per band: ``"<band>:<hash of its rows>"``."""
    return [f"{b:02d}:" + hashlib.blake2b(sig[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=8).hexdigest()
            for b in range(BANDS)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal MinHash positions: an estimate of the Jaccard similarity."""
    return float(np.mean(a == b))


def to_hex(sig: np.ndarray) -> str:
    return sig.astype("<u4").tobytes().hex()


def from_hex(value: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(value), dtype="<u4").astype(np.uint32)


def campaign_spans(verdict: dict) -> list[tuple[str, str]]:
    """``(label, text)`` of the verdict's spans that can define a campaign, longest first."""
    text = verdict.get("text") or ""
    out = []
    for span in verdict.get("spans") or []:
        if span.get("label") in CAMPAIGN_LABELS and not span.get("inline"):
            out.append((span["label"], text[span["start"]:span["end"]]))
    return sorted(out, key=lambda pair: -len(pair[1]))
