"""Pages built to be slow: the work per page must grow with its size, not with its square.

A page is hostile input. Before these tests, a 120 KB page of "janjanjan…"
took a minute (the date pattern's month names ran unbounded over a letter
run, once per position), a 60 KB run of digits 5 s (the document-farm
pattern's ``\\d+篇``, likewise), a ``<style>`` without braces 3 s, and a
1.2 MB table 36 s (each merged cell copied the whole group so far), and
a 128 KB style attribute 20 s (the zero-size rule's ``.*`` between two
declarations, searched again from every declaration). One
such request ties up a gunicorn worker until its timeout kills it.

Each page below is 300 KB (the style attribute 600 KB, the table 1.9 MB),
small enough for the service to take, and is classified to a verdict under a hang guard of a minute:
fixed, each takes at most a few seconds; with a quadratic form back, its
page alone takes minutes (the table about 90 s), and the guard fails it.
This is not a speed measurement (``python -m service bench`` is); it
catches a return to quadratic work.
"""

from __future__ import annotations

import signal

import pytest

from service.classify import classify_page
from service.requests import parse_page

SIZE = 300_000
HANG_GUARD_SECONDS = 60
TABLE_ROWS = 3_000  # 1.9 MB: the grouping's quadratic form needed about 90 s for it


def _repeat(unit: str) -> str:
    return unit * (SIZE // len(unit.encode()))


HOSTILE = {
    "month names run together": {"text": _repeat("jan")},
    "one run of digits": {"text": _repeat("1")},
    "years run together": {"text": _repeat("1999")},
    "letters without a space": {"text": _repeat("a")},
    "a style sheet without braces": {"html": "<style>" + _repeat("a") + "</style><p>正文</p>"},
    "a long style attribute": {"html": '<p style="' + _repeat("overflow:hidden;") * 2 + '">正文</p>'},  # 600 KB
    "a table of short cells": {"html": "<table>" + "".join(
        "<tr>" + "<td>格</td>" * 50 + "</tr>" for _ in range(TABLE_ROWS)) + "</table>"},
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
