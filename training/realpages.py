"""The hand-labelled real pages of ``realpages-dev`` (validation only, never training)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from service.model import LABELS

REALPAGES = Path("realpages-dev") / "pages.jsonl"


@dataclass
class RealPage:
    id: str
    url: str
    lang: str
    text: str
    labels: list[str]  # page labels, [] for clean
    confidence: str

    @property
    def high(self) -> bool:
        return self.confidence == "high"

    @property
    def site(self) -> str:
        """The page's host without a leading ``www.`` (what the held-out real-page figures split by)."""
        host = (urlsplit(self.url).hostname or "") if "//" in self.url else self.url.split("/")[0]
        return host.removeprefix("www.")


def load_realpages(data: Path) -> list[RealPage]:
    path = data / REALPAGES
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out.append(RealPage(id=rec["id"], url=rec.get("url", ""), lang=rec.get("lang", ""), text=rec["text"],
                            labels=[lab for lab in rec["labels"] if lab in LABELS],
                            confidence=rec.get("confidence", "high")))
    return out


def realpages_hash(data: Path) -> str:
    return hashlib.sha256((data / REALPAGES).read_bytes()).hexdigest()
