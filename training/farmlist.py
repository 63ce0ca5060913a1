"""Content-farm and cloner domains from content-farm-terminator (MIT)."""

from __future__ import annotations

import re
from pathlib import Path

FILES = ("content-farms.txt", "extra-content-farms.txt", "nearly-content-farms.txt", "bad-cloners.txt",
         "fake-news.txt", "scam-sites.txt")
_DOMAIN = re.compile(r"^(?:\*\.)?([a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+)$")


def load_farm_domains(data: Path) -> frozenset[str]:
    """Plain-domain rules of the blocklists (regex and path rules are skipped)."""
    domains: set[str] = set()
    folder = data / "content-farm-terminator"
    for name in FILES:
        path = folder / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            rule = line.split("#", 1)[0].strip().lower()
            rule = re.sub(r"^(?:https?://)?(?:\*://)?", "", rule).strip("/")
            match = _DOMAIN.match(rule)
            if match:
                host = match.group(1)
                domains.add(host.removeprefix("www."))
    return frozenset(domains)
