"""Warm a loaded model up before it serves: the first page of each kind must not pay for lazy loading.

Loading the artifact is not all a process needs. The first Chinese page
loads the segmenter's dictionary (about 100 ms) and the OpenCC tables, the
first page in a Latin script that CLD2 cannot name loads langdetect's 55
language profiles (about 300 ms), and the compiled forests and page heads
build their arrays on first use: measured, the first Chinese page took
310 ms and the first English page 278 ms where the next of each took 3 ms.
A serving worker that said ready before paying for them would answer its
first requests of each kind a hundred times slower than the rest, after
every start or reload.

:func:`warm_up` runs a few built-in pages through the whole verdict path
(one simplified-Chinese HTML page with a navigation list, a link and a
hidden block, one traditional-Chinese and one English text page) and loads
langdetect's profiles, so that everything loads before the registry hands
the model out; a serving worker then freezes what was loaded out of the
garbage collector's reach with the model (:func:`service.heap.settle_heap`).
"""

from __future__ import annotations

import time

WARM_UP_PAGES = (
    {"url": "http://example.cn/news/1.html",
     "html": "<html><head><title>全市教育工作会议召开</title><style>.x{display:none}</style></head><body>"
             "<ul><li><a href='/'>首页</a></li><li><a href='/news/'>新闻</a></li><li><a href='/about/'>关于我们</a></li></ul>"
             "<h1>全市教育工作会议召开</h1><p>全市教育工作会议昨日在市会议中心召开，会议总结了过去一年的工作，"
             "部署了今年的重点任务。2024年3月12日，记者从市教育局获悉，全市新建学校12所。</p>"
             "<div class='x'>热门标签：网站建设 电话外呼</div><p><a href='http://other.example.com/'>友情链接</a></p>"
             "</body></html>"},
    {"url": "http://example.tw/news/2", "text": "臺北市政府今日宣布擴大補助範圍\n\n臺北市政府今日宣布，將擴大育兒補助範圍，"
                                                 "協助更多家庭。市府表示，新制度將於明年一月起實施。"},
    {"url": "http://example.com/news/3", "text": "Council approves library budget\n\nThe council approved the library "
                                                  "budget on Tuesday after a long debate about opening hours. "
                                                  "Residents said the new hours would help students and commuters."},
)


def warm_up(loaded) -> float:
    """Classify :data:`WARM_UP_PAGES` with ``loaded`` (a :class:`~service.model.registry.LoadedModel`);
    returns the milliseconds it took. Raises whatever a classification raises: a model that cannot
    classify these pages must not serve."""
    from service.analysis.langid import load_profiles
    from service.classify import classify_page
    from service.requests import parse_page

    started = time.perf_counter()
    for body in WARM_UP_PAGES:
        classify_page(parse_page(dict(body), max_page_bytes=1 << 20), loaded)
    load_profiles()
    return 1000 * (time.perf_counter() - started)
