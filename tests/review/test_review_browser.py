"""The moderators' page in headless Chromium: log in, filter, open, highlights, keyboard, undo, bulk, export.

Debian's Chromium (``/usr/bin/chromium``, installed by tests/prepare.py) driven by Playwright; the app runs
under a real threaded HTTP server. One browser for the module; the tests run in order on one queue.
"""

from __future__ import annotations

import json
from html import escape as html_escape

import pytest
from sqlalchemy import select

from service.review.accounts import set_password
from service.storage.db import session_scope
from service.storage.keys import create_key
from service.storage.models import Decision, ReviewItem
from tests.review.browser import CHROMIUM, Browser, ServerThread
from tests.review.conftest import INJECTED, add_items, make_app, verdict

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: run tests/prepare.py "
                                 "(apt-get install chromium); browser tests skipped")]
PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1;alert(1)">'
FARM = "\n".join(f"- • {t}" for t in ("安远县多措并举推进乡村振兴取得新成效", "某某镇召开安全生产专题会议部署重点工作",
                                      "全县教育系统扎实开展师德师风建设", "市场监管局开展食品安全专项检查行动",
                                      "县人民医院举办义诊进社区活动", "乡村道路硬化工程全面完工通车"))


@pytest.fixture(scope="module")
def env(tmp_path_factory, loaded_model):
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'queue.db'}"
    app = make_app(url, tmp, loaded_model, review={"sample_rate": 1.0})
    with session_scope(url) as s:
        set_password(s, "alice", "wonderland", create=True)
        crawler = create_key(s, "crawler")
    ids = add_items(url, [
        verdict("camp-1", url="http://edu.one.cn/a", spans=[("injected_spam", INJECTED)],
                labels={"injected_spam": 0.80, "link_farm": 0.01, "fabricated_listicle": 0.01}),
        verdict("camp-2", url="http://news.two.com/b", spans=[("injected_spam", INJECTED.replace("婷婷", "丁香"))],
                labels={"injected_spam": 0.78, "link_farm": 0.01, "fabricated_listicle": 0.01}),
        verdict("camp-3", url="http://gov.three.org/c", spans=[("injected_spam", INJECTED.replace(",", "、"))],
                labels={"injected_spam": 0.70, "link_farm": 0.01, "fabricated_listicle": 0.01}),
        verdict("farm-1", url="http://portal.four.cn/d", spans=[("link_farm", FARM)],
                labels={"injected_spam": 0.02, "link_farm": 0.08, "fabricated_listicle": 0.02}),
        verdict("clean-1", url="http://five.cn/e", action="keep",
                labels={"injected_spam": 0.01, "link_farm": 0.01, "fabricated_listicle": 0.01}),
    ])
    html = (f"<html><head><title>学校新闻</title></head><body><h1>全市教育大会召开 {PAYLOAD}</h1>"
            f"<p>4月25日上午,全市教育大会召开,市委书记出席并讲话。{PAYLOAD}</p>"
            f"<p>教程:{html_escape(PAYLOAD)}</p>"  # literal markup in the extracted text too
            f"<p>{INJECTED}</p></body></html>")
    client = app.test_client()
    resp = client.post("/v1/classify", json={"id": "xss", "url": "http://six.cn/<script>", "html": html},
                       headers={"Authorization": f"Bearer {crawler}"})
    assert resp.status_code == 200
    assert app.extensions["pagesieve_review"].flush()
    with session_scope(url) as s:
        xss_id = s.scalar(select(ReviewItem.id).where(ReviewItem.page_id == "xss"))
    with ServerThread(app) as server, Browser() as browser:
        yield {"url": url, "base": server.url, "ids": ids, "xss": xss_id, "context": browser.context}
    app.extensions["pagesieve_review"].close()


@pytest.fixture(scope="module")
def page(env):
    """One logged-in tab for the module (the first test logs in through the form)."""
    tab = env["context"].new_page()
    tab.dialogs = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    yield tab
    tab.close()


def item_state(env, page_id):
    with session_scope(env["url"]) as s:
        item = s.scalar(select(ReviewItem).where(ReviewItem.page_id == page_id))
        return item.status, item.decision, item.decided_by, item.final_labels


def test_login_filter_open_and_see_the_spans(env, page):
    page.goto(env["base"] + "/review")
    assert "/review/login" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wonderland")
    page.click("button[type=submit]")
    page.wait_for_selector("table.items")
    assert page.locator("tr.row").count() == 6
    page.select_option("#f-label", "injected_spam")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**label=injected_spam**")
    sites = [s.split("\n")[0] for s in page.locator("td.site").all_inner_texts()]
    with session_scope(env["url"]) as s:
        expected = s.scalars(select(ReviewItem.site).where(ReviewItem.label_set.like("% injected_spam %"))).all()
    assert sorted(sites) == sorted(expected) and {"edu.one.cn", "news.two.com", "gov.three.org"} <= set(sites)
    assert f"injected_spam ({len(expected)})" in page.locator("#f-label").inner_text()
    page.keyboard.press("o")  # the first row (closest to its threshold)
    page.wait_for_selector("#pagetext")
    marks = page.locator("#pagetext mark.lbl-injected_spam")
    assert marks.count() >= 1 and "综合" in marks.first.inner_text()
    colour = marks.first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.locator("#campaign li").count() >= 1


def test_keyboard_decision_moves_on_and_undo_brings_it_back(env, page):
    page.goto(env["base"] + "/review?label=injected_spam&sort=newest")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_selector("#item-state")
    first_url = page.url
    page_id = page.locator("p.url").inner_text()
    page.keyboard.press("c")
    page.wait_for_selector(".flash-ok")
    assert page.url != first_url
    assert page.locator(".flash-ok").first.inner_text().endswith("recorded (u to undo)")
    decided = [pid for pid in ("camp-1", "camp-2", "camp-3", "xss") if item_state(env, pid)[0] == "decided"]
    assert len(decided) == 1 and item_state(env, decided[0])[1:3] == ("confirm", "alice")
    page.keyboard.press("u")
    page.wait_for_selector(".flash-ok >> text=undone")
    assert page.url.split("?")[0] == first_url.split("?")[0]
    assert page.locator("#item-state").get_attribute("data-status") == "pending"
    assert page.locator("p.url").inner_text() == page_id
    assert item_state(env, decided[0])[0] == "pending"
    page.keyboard.press("k" if page.locator("#prev-item").count() else "j")
    page.wait_for_url(lambda u: u.split("?")[0] != first_url.split("?")[0])


def test_relabel_with_the_keyboard(env, page):
    farm = env["ids"][3]
    page.goto(env["base"] + f"/review/items/{farm}")
    page.keyboard.press("r")
    assert page.locator("#relabel-panel").evaluate("el => el.open")
    page.locator("input[name=labels][value=link_farm]").check()
    page.locator("select[name=span_0]").select_option("boilerplate")
    page.locator("input[name=labels][value=link_farm]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-ok")
    status, decision, who, labels = item_state(env, "farm-1")
    assert (status, decision, who, labels) == ("decided", "relabel", "alice", ["link_farm"])


def test_bulk_decide_a_campaign(env, page):
    page.goto(env["base"] + f"/review/items/{env['ids'][0]}")
    campaign = page.locator("#campaign h2").inner_text().split("#")[1].split()[0]
    page.goto(env["base"] + f"/review?campaign={campaign}")
    with session_scope(env["url"]) as s:
        members = s.scalars(select(ReviewItem.page_id).where(ReviewItem.campaign_id == int(campaign))).all()
    assert {"camp-1", "camp-2", "camp-3"} <= set(members)  # (the classified HTML page carries the chain too)
    assert page.locator("tr.row").count() == len(members)
    page.click("#campaign-confirm")
    page.wait_for_selector(".flash-ok")
    assert f"applied to {len(members)} item(s)" in page.locator(".flash-ok").first.inner_text()
    assert {item_state(env, pid)[:3] for pid in members} == {("decided", "confirm", "alice")}


def test_bulk_selection_with_the_keyboard(env, page):
    page.goto(env["base"] + "/review?status=pending")
    pending = page.locator("tr.row").count()
    assert pending >= 1
    for _ in range(pending):
        page.keyboard.press("x")
        page.keyboard.press("j")
    page.keyboard.press("N")
    page.wait_for_selector(".flash-ok")
    assert item_state(env, "clean-1")[:2] == ("decided", "not_spam")


def test_scraped_scripts_never_run(env, page):
    """The page text and the raw HTML carry <script> and onerror= payloads: nothing runs, no dialog."""
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(env["base"] + f"/review/items/{env['xss']}")
    page.click("details.raw summary")
    raw = page.locator("#rawhtml").inner_text()
    assert PAYLOAD in raw and PAYLOAD in page.locator("#pagetext").inner_text()
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert not [u for u in requests if u.rstrip("/").endswith("/x")]  # the <img src=x> was never loaded
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1


def test_audit_revert_and_stats_pages(env, page):
    page.goto(env["base"] + "/review/audit")
    assert page.locator("tr[data-decision]").count() >= 7
    page.locator("tr[data-decision] button.revert").first.click()
    page.wait_for_selector(".flash-ok")
    assert "reverted" in page.locator(".flash-ok").first.inner_text()
    page.goto(env["base"] + "/review/stats")
    assert "pending" in page.locator("#backlog").inner_text()
    assert page.locator("table.agreement tbody tr").count() == 3


def test_decisions_are_in_the_export(env, tmp_path):
    from training.decisions import export_decisions

    out = tmp_path / "decisions.jsonl"
    export_decisions(env["url"], out)
    lines = {x["id"]: x for x in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert {"camp-1", "camp-2", "camp-3", "farm-1"} <= set(lines)
    assert lines["camp-1"]["labels"] == ["injected_spam"] and lines["camp-1"]["moderator"] == "alice"
    assert lines["farm-1"]["labels"] == ["link_farm"] and lines["farm-1"]["decision"] == "relabel"
    with session_scope(env["url"]) as s:
        trail = s.scalars(select(Decision.decision).where(Decision.moderator == "alice")).all()
    assert {"confirm", "relabel", "not_spam", "revert"} <= set(trail)


SELECT_WORD = """word => {
    const walker = document.createTreeWalker(document.getElementById('pagetext'), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(word);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + word.length);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        return true;
    }
    return false;
}"""


def test_a_selection_marked_after_emoji_covers_the_selected_text(env, page):
    """The browser counts an emoji or a mathematical letter as two UTF-16 units, the page's offsets as one
    character: a span marked after ten emoji was stored ten or more characters off, on other text."""
    text = "😀" * 10 + " 𝐂𝐚𝐬𝐢𝐧𝐨 𝐁𝐨𝐧𝐮𝐬 intro paragraph about the city budget, and how it was cooked up."
    [item_id] = add_items(env["url"], [verdict("emoji", text=text, url="http://seven.cn/e")])
    page.goto(f"{env['base']}/review/items/{item_id}")
    page.wait_for_selector("#pagetext")
    page.keyboard.press("r")
    assert page.evaluate(SELECT_WORD, "intro")
    page.click("#mark-selection")
    start = text.index("intro")
    assert page.locator("input[name=add_span]").input_value() == f"{start}:{start + 5}:boilerplate"


def test_list_keys_leave_focused_links_alone_and_need_a_selection(env, page):
    """Enter on a focused link (next page, log out) opened the highlighted row instead; C or N with nothing
    selected sent the form and came back as a 400 page; u did nothing on the list, which offered it."""
    page.goto(env["base"] + "/review?status=pending")
    page.wait_for_selector("table.items")
    page.locator("form.filters a", has_text="reset").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/review/")  # the link was followed, not the row opened
    page.goto(env["base"] + "/review?status=pending")
    page.keyboard.press("Shift+C")
    assert page.locator("#bulk-hint").is_visible() and "/review/items/" not in page.url
    assert "?status=pending" in page.url  # nothing was sent
    page.keyboard.press("u")
    page.wait_for_selector(".flash-ok")
    assert "undone" in page.locator(".flash-ok").first.inner_text()
