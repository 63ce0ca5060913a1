"""``url_`` features: what the address says about the page.

Keyword stubs and doorway pages announce themselves in their URL: a tag,
label, search or redirect path carrying a query (``/tags/<query>.html``,
``tags-1234.html``, ``?s=<query>``, ``/go/<query>.html``), a long hash
file name, a random throwaway subdomain, a host on a content-farm list. The
service never fetches the URL; it only reads the string.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

STUB_PATH = re.compile(r"(?:^|/)(?:tags?|labels?|keywords?|topics?|search|so|ss|go|k|q|s|list/tag|sou|"
                       r"zt|tagjiang\w*|tag\w+)(?:[/_\-.]|$)|(?:^|/)tags?[-_]\d+\.html?$", re.IGNORECASE)
SEARCH_PARAMS = {"s", "q", "wd", "kw", "keyword", "keywords", "query", "search", "searchword", "key", "tag"}
HASH_SEGMENT = re.compile(r"[0-9a-f]{16,}", re.IGNORECASE)
DATE_PATH = re.compile(r"/(?:19|20)\d{2}[/-]?\d{2}(?:[/-]?\d{2})?/")
SPAM_WORDS = re.compile(r"porn|sex|xxx|slot|casino|gambl|betting|poker|viagra|cialis|escort|loan|"
                        r"sifu|sf\d|caipiao|duchang|bocai|yule|aomen|amwnsr|pujing|jinsha", re.IGNORECASE)
SHADY_TLDS = {"top", "xyz", "vip", "cc", "club", "icu", "buzz", "site", "online", "shop", "work", "live",
              "fun", "win", "bid", "loan", "ltd", "ink", "pw", "wang", "ren", "link", "click", "life"}
INSTITUTION_TLDS = re.compile(r"\.(?:gov|edu|ac|org)(?:\.[a-z]{2})?$|\.gov$|\.edu$")
_VOWELS = set("aeiou")


def registered_domain(host: str) -> str:
    """Approximate registered domain: the last two labels, three under a 2-letter ccTLD SLD."""
    parts = [p for p in host.lower().split(".") if p]
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in {"com", "net", "org", "gov", "edu", "ac", "co"}:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def _random_label(label: str) -> bool:
    letters = [c for c in label if c.isalpha()]
    if len(label) < 7 or not letters:
        return False
    vowel_share = sum(c in _VOWELS for c in letters) / len(letters)
    return vowel_share < 0.2 or (len(label) >= 10 and sum(c.isdigit() for c in label) >= 3)


def url_features(url: str, farm_domains: frozenset[str] = frozenset()) -> dict[str, float]:
    feats = dict.fromkeys((
        "url_missing", "url_stub_path", "url_search_param", "url_hash_segment", "url_nonascii_path",
        "url_random_subdomain", "url_ip_host", "url_port", "url_depth", "url_path_chars", "url_query_chars",
        "url_digit_share", "url_date_path", "url_spam_word", "url_shady_tld", "url_institution",
        "url_farm_domain", "url_subdomain_depth", "url_has_query", "url_html_suffix"), 0.0)
    if not url:
        feats["url_missing"] = 1.0
        return feats
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        feats["url_missing"] = 1.0
        return feats
    path = unquote(parts.path or "/")
    query = unquote(parts.query or "")
    labels = host.split(".")
    feats.update({
        "url_stub_path": 1.0 if STUB_PATH.search(path) else 0.0,
        "url_search_param": 1.0 if any(k.lower() in SEARCH_PARAMS for k, _ in parse_qsl(parts.query)) else 0.0,
        "url_hash_segment": 1.0 if HASH_SEGMENT.search(path + query) else 0.0,
        "url_nonascii_path": 1.0 if any(ord(c) > 127 for c in path + query) else 0.0,
        "url_random_subdomain": 1.0 if len(labels) > 2 and _random_label(labels[0]) else 0.0,
        "url_ip_host": 1.0 if re.fullmatch(r"[\d.]+", host or "x") else 0.0,
        "url_port": 1.0 if port not in (None, 80, 443) else 0.0,
        "url_depth": float(len([s for s in path.split("/") if s])),
        "url_path_chars": float(min(len(path), 300)),
        "url_query_chars": float(min(len(query), 300)),
        "url_digit_share": sum(c.isdigit() for c in path) / max(1, len(path)),
        "url_date_path": 1.0 if DATE_PATH.search(path) else 0.0,
        "url_spam_word": 1.0 if SPAM_WORDS.search(host + path + query) else 0.0,
        "url_shady_tld": 1.0 if labels[-1] in SHADY_TLDS else 0.0,
        "url_institution": 1.0 if INSTITUTION_TLDS.search(host) else 0.0,
        "url_farm_domain": 1.0 if farm_domains and (host in farm_domains or registered_domain(host) in farm_domains) else 0.0,
        "url_subdomain_depth": float(max(0, len(labels) - 2) if labels[0] != "www" else max(0, len(labels) - 3)),
        "url_has_query": 1.0 if query else 0.0,
        "url_html_suffix": 1.0 if re.search(r"\.s?html?$", path) else 0.0,
    })
    return feats
