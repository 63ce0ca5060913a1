"""Seed a demo review queue from the real seed pages and save the README screenshots (``make screenshots``).

Pages are the four seed pages of ``../shared/seeds`` plus real variants of the
way spam arrives: the same injected chain (slightly edited) on other sites'
articles, and the headline wall under other articles. Everything goes
through ``/v1/classify`` with the committed model (sampling at 100 %), then
Chromium (Debian's, headless) logs in and takes ``docs/review-list.png`` and
``docs/review-item.png``.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SITES = ["www.yongzhou.gov.cn", "edu.hunan.example.cn", "news.xiangtan.example.com", "www.shuangfeng.example.cn",
         "jyj.anyuan.example.gov.cn", "portal.example-news.cn", "www.school-net.example.org", "bbs.example.com.cn"]


def demo_pages(seeds: Path) -> list[dict]:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))}
    clean, spam, docfarm, farm = (texts[k] for k in sorted(texts))
    chain = spam.strip().splitlines()[-1].strip(" •")
    article = clean.split("相关阅读")[0].strip()
    wall = "\n".join(line for line in farm.splitlines() if line.strip().startswith("- •"))
    farm_article = farm.split("- •")[0].strip()
    edits = [chain, chain.replace("天天都在看", "日日都在看"), chain.replace(",", "、"),
             chain.replace("婷婷五月", "丁香五月")]
    pages = [{"id": "seed-000", "url": f"http://{SITES[3]}/news/2025/1128.html", "text": clean},
             {"id": "seed-001", "url": f"http://{SITES[0]}/zwgk/2025/0425.html", "text": spam},
             {"id": "seed-002", "url": f"http://{SITES[7]}/doc/fanwen-58.html", "text": docfarm},
             {"id": "seed-003", "url": f"http://{SITES[4]}/xw/2025/0312.html", "text": farm}]
    paragraphs = [p for p in re.split(r"\n\s*\n", article) if len(p) > 40]
    for i, injected in enumerate(edits[1:], 1):
        body = "\n\n".join(paragraphs[: 2 + i]) if paragraphs else article
        pages.append({"id": f"chain-{i}", "url": f"http://{SITES[i]}/a/{1000 + i}.html",
                      "text": body + "\n\n• " + injected})
    pages.append({"id": "wall-1", "url": f"http://{SITES[5]}/n/77.html", "text": article + "\n\n" + wall})
    pages.append({"id": "wall-2", "url": f"http://{SITES[6]}/n/78.html",
                  "text": farm_article + "\n\n" + "\n".join(reversed(wall.splitlines()))})
    return pages


def main(out_dir: Path = ROOT / "docs") -> int:
    from service.review.accounts import set_password
    from service.storage.db import session_scope
    from service.storage.keys import create_key
    from tests.review.browser import CHROMIUM, Browser, ServerThread

    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run `make screenshots` (it installs chromium and fonts-noto-cjk)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="pagesieve-demo-"))
    from service.app import create_app
    from service.config import load_config

    config = load_config({"storage": {"database_url": f"sqlite:///{tmp / 'demo.db'}", "spool_dir": str(tmp / "spool")},
                          "review": {"sample_rate": 1.0, "secret_key_file": str(tmp / "secret")}})
    app = create_app(config)
    url = config.database_url()
    with session_scope(url) as s:
        set_password(s, "alice", "demo-password", create=True)
        key = create_key(s, "crawler", "demo")
    client = app.test_client()
    for page in demo_pages(ROOT.parent / "shared" / "seeds"):
        resp = client.post("/v1/classify", json=page, headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 200, resp.get_json()
    app.extensions["pagesieve_review"].flush()
    out_dir.mkdir(parents=True, exist_ok=True)
    with ServerThread(app) as server, Browser() as browser:
        tab = browser.context.new_page()
        tab.set_viewport_size({"width": 1440, "height": 860})
        tab.goto(server.url + "/review")
        tab.fill("input[name=username]", "alice")
        tab.fill("input[name=password]", "demo-password")
        tab.click("button[type=submit]")
        tab.wait_for_selector("table.items")
        tab.keyboard.press("j")
        tab.screenshot(path=str(out_dir / "review-list.png"))
        tab.goto(server.url + "/review?label=injected_spam&action=strip")
        tab.locator("a.open").first.click()
        tab.wait_for_selector("#pagetext")
        tab.locator("li.reason").first.hover()
        tab.screenshot(path=str(out_dir / "review-item.png"))
    app.extensions["pagesieve_review"].close()
    print(f"wrote {out_dir / 'review-list.png'} and {out_dir / 'review-item.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
