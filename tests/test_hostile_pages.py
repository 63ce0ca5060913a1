"""Pages built to be slow: the work per page must grow with its size, not with its square.

A page is hostile input, and one slow request ties up a gunicorn worker
until its timeout kills it. Before these tests:

- 120 KB of "janjanjan…" took a minute: the date pattern's month names ran
  unbounded over a letter run, from every position;
- 60 KB of digits took 5.6 s: the document-farm pattern's ``\\d+篇``, from
  every digit;
- a ``<style>`` of 60 KB without braces took 3 s: the CSS rule pattern,
  from every position; 420 KB of "@media " took 9 minutes while the
  at-rule pattern's prelude could run past the next "@";
- a 128 KB style attribute took 20 s: the zero-size rule's ``.*`` between
  two declarations, searched again from every declaration;
- 100,000 attributes on one tag took 100 s: libxml2 checks each against the
  others (such a tag now loses its attributes before parsing);
- 16,000 short paragraphs took 11 s: each stripped span was checked against
  every block;
- a 1.2 MB table took 36 s: each merged cell copied its group so far;
- a 250 KB keyword chain took 14 s (1 MB: 210 s): each segment of the chain
  was checked against every lexicon and vocabulary hit;
- 100,000 one-line paragraphs took 15 s, linearly, at about 60 µs a block
  in the models: a page is now judged in at most MAX_BLOCKS (2,000) blocks,
  the rest of it as one (tests/test_blocks.py checks the cap);
- 250 KB of numbered lines took 1.6 s (1 MB: 26 s): each line's length was
  compared with its run's mean, summed again per line.

Each page below (300 KB to 1.9 MB, all within the page limit) is classified
to a verdict under a hang guard of a minute. Fixed, each takes at most a few
seconds; with a quadratic form back, its page alone takes minutes, and the
guard fails it. Each case named above was checked failing with its fix
reverted; three neighbours of them (letters without a space, a list of short
links, 100,000 one-line paragraphs, whose cap tests/test_blocks.py checks)
were never slower than seconds and are kept as linear shapes, as are two
shapes of scripts that write markup (never closed; one per link). This
is not a speed measurement (``python -m service bench`` is one); it catches
a return to quadratic work.
"""

from __future__ import annotations

import signal

import pytest

from service.classify import classify_page
from service.requests import parse_page

SIZE = 300_000
HANG_GUARD_SECONDS = 60
TABLE_ROWS = 3_000  # 1.9 MB: the grouping's quadratic form needed about 90 s for it
NUMBERED_LINES = 100_000  # 1.9 MB
STUFFED_ATTRIBUTES = 80_000  # 0.9 MB on one tag: libxml2 took over a minute
CUT_BLOCKS = 200_000  # blocks given to clean_text's cuts, every other one stripped


def _repeat(unit: str) -> str:
    return unit * (SIZE // len(unit.encode()))


HOSTILE = {
    "month names run together": {"text": _repeat("jan")},
    "one run of digits": {"text": _repeat("1")},
    "years run together": {"text": _repeat("1999")},
    "letters without a space": {"text": _repeat("a")},
    "a style sheet without braces": {"html": "<style>" + _repeat("a") + "</style><p>正文</p>"},
    "at-rules without braces": {"html": "<style>" + _repeat("@media ") + "</style><p>正文</p>"},
    "scripts that never close": {"html": _repeat('<script>document.write("<a>') + "</script><p>正文</p>"},
    "one script of many writes": {"html": "<script>" + _repeat('document.write("<a href=/x>链接</a>");')
                                  + "</script><p>正文</p>"},
    "one script per link": {"html": _repeat('<script>document.write("<a href=/x>链接</a>")</script>')},
    "a stylesheet hiding and showing classes in turn": {"html": "<style>" + "".join(
        f"div.c{i % 500}{{display:none}}.c{i % 500}{{display:block}}" for i in range(SIZE // 45))
        + "</style><p class=c1>正文</p>"},
    "a long style attribute": {"html": '<p style="' + _repeat("overflow:hidden;") * 2 + '">正文</p>'},  # 600 KB
    "unclosed colours and transforms in a style": {"html": '<p style="' + _repeat("color:rgba(0,translate(1")
                                                    + '">正文</p>'},
    "one tag stuffed with attributes": {"html": "<p " + " ".join(f'a{i}="1"' for i in range(STUFFED_ATTRIBUTES))
                                        + ">正文</p>"},
    "a long keyword chain": {"text": "，".join(["百家乐", "澳门葡京", "六合彩", "威尼斯人", "太阳城"] * (SIZE // 25))},  # 600 KB
    "a long run of numbered lines": {"text": "\n".join(f"{'一二三四五六七八九十'[i % 10]}、加强管理"
                                                        for i in range(NUMBERED_LINES))},
    "100,000 one-line paragraphs": {"text": "\n\n".join(["会议召开。"] * 100_000)},  # 1.7 MB, judged in MAX_BLOCKS
    "a table of short cells": {"html": "<table>" + "".join(
        "<tr>" + "<td>格</td>" * 50 + "</tr>" for _ in range(TABLE_ROWS)) + "</table>"},
    # libxml2 stops at 2,048 open elements; the page is then read again as a stream of tags
    "60,000 nested elements": {"html": "<div>" * (SIZE // 5) + "<p>正文</p>"},
    "unclosed tags nesting to 2,000 again and again": {"html": ("<font>字" * 2_000 + "<p>正文</p>") * 30},
    # a frame's srcdoc is a page of its own: at most SRCDOC_MAX_FRAMES are read, nested at most SRCDOC_MAX_DEPTH deep
    "frames of frames": {"html": _repeat("<iframe srcdoc='<iframe srcdoc=&quot;<p>链接</p>&quot;></iframe>'></iframe>")
                         + "<p>正文</p>"},
    # a script that only shows or hides elements is run on the elements before it (at most 4,000 characters of it)
    "a script hiding each element": {"html": _repeat('<p id=k>链接</p><script>$("#k").hide();</script>') + "<p>正文</p>"},
    "a long hiding script": {"html": "<p id=k>链接</p><script>" + _repeat("$('#k').hide();") + "</script><p>正文</p>"},
    "a list of short links": {"html": "<ul>" + "".join(
        f'<li><a href="/{i}">链接{i}</a></li>' for i in range(SIZE // 40)) + "</ul>"},
}


@pytest.fixture()
def hang_guard():
    def fail(signum, frame):
        raise TimeoutError(f"a hostile page took over {HANG_GUARD_SECONDS} s: quadratic work is back")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(HANG_GUARD_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_page_gets_its_verdict(loaded_model, hang_guard, name):
    page = {**HOSTILE[name], "id": "hostile", "url": "http://example.cn/x.html"}
    verdict = classify_page(parse_page(page, 2_000_000), loaded_model)
    assert verdict["id"] == "hostile" and verdict["action"] in {"keep", "strip", "review", "drop"}
    assert len(verdict["text"]) > 0
    if "正文" in (page.get("html") or page.get("text")):
        assert verdict["text"].rstrip().endswith("正文"), "the end of the page was lost"


def test_clean_text_of_a_page_of_many_stripped_blocks(hang_guard):
    """``_without`` sweeps the spans once. A page is judged in at most MAX_BLOCKS blocks, so no page reaches
    this many; the cut is checked on its own, at a size its old form (every span against every block) could
    not finish in hours."""
    from types import SimpleNamespace

    from service.model.verdict import _without

    text = "\n\n".join(["段落"] * CUT_BLOCKS)
    blocks = [SimpleNamespace(start=4 * i, end=4 * i + 2, text="段落") for i in range(CUT_BLOCKS)]
    every_other = [(b.start, b.end) for b in blocks[::2]]
    kept = _without(text, blocks, every_other)
    assert kept == "\n\n".join(["段落"] * (CUT_BLOCKS // 2))
    assert _without(text, blocks, [(0, len(text))]) == ""

