"""Page addresses for composed pages.

Composed pages need a URL because real pages arrive with one. Ordinary
pages (clean, hacked, fabricated) draw from the same path shapes so the
address cannot give their label away; only doorway stubs and throwaway
mirrors get the shapes that define them (tag/search/redirect paths, hash
file names, random subdomains). About a third of pages get no URL at all.
"""

from __future__ import annotations

import hashlib
import random
import string
from urllib.parse import quote

from training.corpora import stable_hash

_SYLLABLES = ("hua", "xin", "zhong", "guo", "jiao", "yu", "wang", "tian", "hai", "shan", "long", "feng", "jin",
              "bao", "an", "kang", "ming", "da", "xue", "yuan", "shi", "ke", "ji", "dian", "news", "info", "web",
              "net", "city", "daily", "tech", "home", "life", "media", "zx", "hb", "hn", "sc", "gd", "js")
_TLDS = ("com", "cn", "com.cn", "net", "org", "gov.cn", "edu.cn", "org.cn", "cc", "info", "top", "com.tw", "hk")
_EN_TLDS = ("com", "org", "net", "co.uk", "blog", "news", "io")


def host_for(site: str, lang: str = "zh") -> str:
    """A stable host name for a site key (the site's real host when it has one)."""
    if "." in site and ":" not in site and "#" not in site:
        return site if site.count(".") >= 2 else "www." + site
    rng = random.Random(stable_hash("host:" + site))
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    tld = rng.choice(_EN_TLDS if lang == "en" else _TLDS)
    return f"{rng.choice(('www.', 'www.', 'm.', 'news.', ''))}{name}.{tld}"


def ordinary_url(site: str, rng: random.Random, lang: str = "zh") -> str:
    host = host_for(site, lang)
    n = rng.randint(100, 9_999_999)
    y, m, d = rng.randint(2005, 2025), rng.randint(1, 12), rng.randint(1, 28)
    slug = "-".join(rng.choice(("city", "council", "report", "new", "school", "plan", "guide", "review", "update",
                                "police", "market", "health", "game", "music")) for _ in range(rng.randint(2, 5)))
    shapes = (
        f"/news/{y}/{m:02d}{d:02d}/{n}.html", f"/a/{y}{m:02d}{d:02d}/{n}.shtml", f"/article/{n}.html",
        f"/info/{rng.randint(1000, 1100)}/{n % 100000}.htm", f"/forum.php?mod=viewthread&tid={n}",
        f"/{y}/{m:02d}/{d:02d}/{slug}/", f"/content_{n}.htm", f"/show.asp?id={n}", f"/post/{n}.html",
        f"/p/{n}", f"/{y}/{m:02d}{d:02d}/c{n % 9999}a{n}/page.htm", f"/detail.aspx?NewsId={n}",
        f"/html/{y}/{m:02d}/{n}.html", f"/{slug}.html", f"/zhishi/{n}.html", f"/view/{n}",
    )
    return f"{rng.choice(('http', 'https'))}://{host}{rng.choice(shapes)}"


def stub_url(site: str, query: str, rng: random.Random) -> str:
    """A keyword-stub / doorway address carrying ``query``."""
    host = host_for(site)
    digest = hashlib.md5(query.encode("utf-8")).hexdigest()
    q = quote(query) if rng.random() < 0.5 else query
    shapes = (f"/tags/{q}.html", f"/tags-{rng.randint(100, 99999)}.html", f"/tag/{q}", f"/go/{q}.html",
              f"/ss/{digest}{digest[:16]}.html", f"/?s={quote(query)}", f"/search?q={quote(query)}",
              f"/labels/{rng.randint(100, 9999)}", f"/tags/{digest}.html", f"/k/{q}.html",
              f"/search.php?keyword={quote(query)}", f"/topics/{q}/")
    return f"{rng.choice(('http', 'https'))}://{host}{rng.choice(shapes)}"


def throwaway_url(rng: random.Random) -> str:
    """A random-looking subdomain and path, as stitched-snippet mirrors use."""
    letters = string.ascii_lowercase
    sub = "".join(rng.choice(letters) for _ in range(rng.randint(6, 12)))
    host = host_for(f"throwaway{rng.randint(0, 10**6)}")
    host = host.split(".", 1)[1] if host.startswith(("www.", "m.", "news.")) else host
    path = rng.choice((f"/{rng.randint(10**6, 10**8)}/{''.join(rng.choice(letters) for _ in range(8))}.html",
                       f"/{rng.randint(2019, 2024)}{rng.randint(1000, 9999)}/{''.join(rng.choice(letters) for _ in range(6))}.html",
                       f"/?{''.join(rng.choice(letters) for _ in range(3))}={''.join(rng.choice(letters + string.digits) for _ in range(6))}.html"))
    return f"http://{sub}.{host}{path}"
