"""Block segmentation of text and HTML: offsets, grouping, hidden elements."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.analysis import build_page
from service.analysis.htmlblocks import MAX_PATH_ELEMENTS, SAME_COLOUR, TRANSPARENT, colour, hidden_reason
from service.analysis.textblocks import split_blocks


@given(st.text(alphabet=st.sampled_from(list("ab 中文,。\n\r-•1.")), max_size=300))
@settings(max_examples=200, deadline=None)
def test_text_block_offsets_always_locate_the_block(text):
    page = build_page(text=text)
    for block in page.blocks:
        assert page.text[block.start:block.end] == block.text
        assert block.text.strip() == block.text and block.text


@given(st.text(max_size=200))
@settings(max_examples=100, deadline=None)
def test_html_parser_never_crashes_and_offsets_hold(fragment):
    page = build_page(html=f"<html><body><p>{fragment}</p><div><a href='/x'>{fragment[:20]}</a></div></body></html>")
    for block in page.blocks:
        assert page.text[block.start:block.end] == block.text


def test_bullet_run_is_one_list_block():
    text = "标题\n\n" + "\n".join(f"- • 第{i}条新闻标题在这里" for i in range(30))
    blocks = split_blocks(text)
    assert blocks[-1].kind == "list" and blocks[-1].n_items == 30


def test_long_bullet_after_short_bullets_starts_a_new_block():
    text = "  • 三湘e监督\n  • 监督一点通\n  • 亚洲综合性色一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,天天都在看高清无码"
    blocks = split_blocks(text)
    assert [b.n_items for b in blocks] == [2, 1]


def test_html_blocks_record_links_paths_and_hidden():
    html = """<html><head><title>标题</title><style>.k9{display:none}</style></head><body>
    <p>正文第一段,包含<a href="http://other.example/x">外部链接</a>。</p>
    <div class="k9"><a href="http://spam.example/1">澳门赌场</a><a href="http://spam.example/2">六合彩</a>
    <a href="http://spam.example/3">百家乐</a></div>
    <div style="position:absolute;left:-9999px">隐藏文字</div></body></html>"""
    page = build_page(html=html, url="http://www.site.cn/a.html")
    by_text = {b.text.split("\n")[0]: b for b in page.blocks}
    assert page.blocks[0].kind == "title"
    assert by_text["澳门赌场"].hidden == "display:none" and by_text["澳门赌场"].n_offsite_links == 3
    assert by_text["隐藏文字"].hidden == "off-screen"
    assert by_text["正文第一段,包含 外部链接。"].hidden is None
    assert by_text["澳门赌场"].path.startswith("html/body")


ARTICLE = "正文第一段,市教育局召开全市教育工作会议,部署下一阶段的重点任务。"
FARM = "".join(f'<a href="http://farm{i}.example.com/">标题{i}</a>' for i in range(5))


def test_unclosed_inline_tags_nesting_past_256_keep_the_page_after_them():
    """300 unclosed <font> tags nest 300 deep: libxml2's default stopped at 256 open elements and dropped
    everything after, so the article and a hidden link wall after the tags were not seen at all."""
    html = (f"<html><head><title>教育新闻</title></head><body><p>开头</p>{'<font color=red>要闻' * 300}"
            f"<p>{ARTICLE}</p><div style='display:none'>{FARM}</div></body></html>")
    page = build_page(html=html, url="http://www.site.cn/a.html")
    by_text = {b.text.split("\n")[0]: b for b in page.blocks}
    assert ARTICLE in by_text
    wall = by_text["标题0"]
    assert wall.hidden == "display:none" and wall.n_offsite_links == 5
    # the path names 256 elements and then says it goes deeper, rather than growing a segment per level
    assert wall.path.startswith("html/body/font/font") and wall.path.endswith("/…")
    assert wall.path.count("/") == MAX_PATH_ELEMENTS
    assert [page.text[b.start:b.end] for b in page.blocks] == [b.text for b in page.blocks]


def test_nesting_past_libxml2s_limit_is_read_as_a_stream_of_tags():
    """libxml2 stops at 2,048 open elements even with huge_tree: the page is then read tag by tag (no
    element paths, links or hiding), and its text after the nesting is still there."""
    html = (f"<html><head><title>教育新闻</title><script>var x = '脚本';</script></head><body>{'<div>' * 3000}"
            f"<p>{ARTICLE}</p><script>track('脚本')</script>{'</div>' * 3000}<p>结尾 &amp; 联系我们</p></body></html>")
    page = build_page(html=html, url="http://www.site.cn/a.html")
    assert page.source == "html" and page.title == "教育新闻"
    assert [b.text for b in page.blocks] == ["教育新闻", ARTICLE, "结尾 & 联系我们"]
    assert [page.text[b.start:b.end] for b in page.blocks] == [b.text for b in page.blocks]


def test_two_line_breaks_in_a_row_end_a_paragraph():
    """Paragraphs set apart by <br><br> inside one element are blocks of their own, as blank lines make them in
    text; a single <br> stays a line break inside its block."""
    first = ARTICLE
    second = "第二段:会议要求各地教育部门狠抓落实,确保各项任务按期完成并取得实效。"
    third = "第三段内容较长,介绍了下一步的工作安排、具体的时间节点要求以及各项保障措施的落实情况。"
    html = (f"<html><body><div class=content>{first}<br><br>{second}<br>次行<br>\n <br/>{third}<br><br><br>"
            f"</div><p>尾部</p></body></html>")
    page = build_page(html=html, url="http://www.site.cn/a.html")
    assert [b.text for b in page.blocks] == [first, f"{second}\n次行", third, "尾部"]
    assert {b.path for b in page.blocks[:3]} == {"html/body/div"}
    assert [page.text[b.start:b.end] for b in page.blocks] == [b.text for b in page.blocks]


def test_each_paragraph_element_is_a_block_of_its_own_however_short():
    """Short <p> siblings were merged into one "lines" block, as menu items are: a spam chain of 20 characters in
    its own paragraph was read with the article's closing lines around it, and missed (161 of 400 chains put
    into real news pages), or cut with them. A paragraph is a block, as a paragraph set apart by blank lines is
    in text; short runs of other elements (menus, footers of <div>s or <span>s) still merge."""
    spam = "淫糜_精子_爽死我了_婊子_援助交际"
    html = (f"<html><body><p>{ARTICLE}</p><p>会议由市长主持。</p><p>{spam}</p><p>(责任编辑:王明)</p>"
            f"<div>首页</div><div>新闻</div><div>联系我们</div></body></html>")
    page = build_page(html=html, url="http://www.site.cn/a.html")
    assert [b.text for b in page.blocks] == [ARTICLE, "会议由市长主持。", spam, "(责任编辑:王明)", "首页\n新闻\n联系我们"]
    assert [b.kind for b in page.blocks][1:] == ["paragraph", "paragraph", "paragraph", "lines"]


def test_a_line_of_prose_before_a_line_break_ends_a_paragraph():
    """A <br> after a line longer than a short run ends its paragraph, as a long line ends a block in text; short
    lines stay together, and so do lines of links, however long."""
    first = "全市教育大会召开。会议传达全国、全省教育大会精神,总结近年来全市教育工作,部署下一阶段重点任务。"
    second = "会议强调,要坚持教育优先发展,加大投入保障力度,推进基础教育扩优提质,办好人民满意的教育。"
    links = "".join(f'<a href="/n{i}">第{i}条新闻标题:全省各地教育部门负责人、中小学校长齐聚一堂深入研讨</a><br>'
                    for i in range(4))
    html = (f"<html><body><div>　　{first}<br>　　{second}<br>地址:长沙<br>电话:0731<br></div>"
            f"<div>{links}</div></body></html>")
    page = build_page(html=html, url="http://www.site.cn/a.html")
    assert [b.text for b in page.blocks][:3] == [first, second, "地址:长沙\n电话:0731"]
    assert len(page.blocks) == 4 and page.blocks[3].kind == "list" and page.blocks[3].n_links == 4


@pytest.mark.parametrize("line_break", ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_every_line_break_splitlines_knows_splits_text_blocks(line_break):
    """Text whose line breaks are form feeds, NEL or Unicode's line and paragraph separators has the blocks it
    has with \\n (it was one line: seed 001 so written read as a link farm, its spam line unseen)."""
    text = f"教育新闻\n\n{ARTICLE}\n\n• 首页\n• 新闻\n• 通知公告\n\n亚洲综合性色一区二区三区,人妻系列精品无码视频在线"
    expected = build_page(text=text)
    page = build_page(text=text.replace("\n", line_break))
    assert page.text == expected.text
    assert [(b.start, b.end, b.kind, b.text) for b in page.blocks] == \
        [(b.start, b.end, b.kind, b.text) for b in expected.blocks]
    assert len(page.blocks) == 4


def test_hidden_reason_cases():
    assert hidden_reason("display: none") == "display:none"
    assert hidden_reason("font-size:1px") == "font-size:0-1px"
    assert hidden_reason("color:#fff;background-color:#fff") == "same colour as background"
    assert hidden_reason("font-size:14px;color:#333") is None


@pytest.mark.parametrize(("style", "hidden"), [
    ("font-size:0", True), ("font-size: 0px", True), ("font-size:1pt", True), ("font-size:.05em", True),
    ("font-size:5%", True), ("font-size:1", True),  # a unitless size is pixels on the old pages that write it
    # sizes that start with 0 or 1 and are read easily (a class of articles in 1.25rem read as hidden)
    ("font-size:1.25rem", False), ("font-size:1.1em", False), ("font-size:0.8em", False), ("font-size:1.5px", False),
    ("font-size:10px", False), ("font-size:100%", False),
    # of several sizes, the one a browser applies
    ("font-size:0;font-size:14px", False), ("font-size:14px;font-size:0", True),
    ("font-size:0!important;font-size:14px", True), ("font-size:14px !important;font-size:0", False),
])
def test_a_font_too_small_to_read_hides_its_text(style, hidden):
    assert (hidden_reason(style) == "font-size:0-1px") is hidden


@pytest.mark.parametrize(("style", "hidden"), [
    ("position:absolute;left:-9999px", True), ("top: -999px", True), ("text-indent:-999em", True),
    ("left:-1000", True), ("margin-left:-1200px", True), ("left:-100%", True), ("left:-200vw", True),
    # layout, not hiding: a centred box, a carousel's next slide, a nudge, a hanging indent
    ("position:absolute;left:50%;margin-left:-480px", False), ("left: -295px", False), ("top:-150px", False),
    ("margin-top:-270px", False), ("text-indent:-2em", False), ("left:-50vw", False),
    # the holy-grail layout's sidebar (a margin in per cent is of the container); a centred 1920px banner
    ("float:left;width:200px;margin-left:-100%", False),
    ("position:absolute;left:50%;width:1920px;margin-left:-960px", False),
    ("top:50%;height:2000px;margin-top:-1000px", False),
    # but not a margin past half the box's declared size, or half a wide screen, nor left or top in per cent
    ("position:absolute;left:50%;margin-left:-9999px", True), ("left:50%;margin-left:-90em", True),
    ("left:50%;margin-left:-1200px", True), ("left:50%;width:99999px;margin-left:-49999px", True),
    ("width:100%;margin-left:-300%", True), ("margin-top:-100%", True), ("margin-top:-5000%", True),
    ("position:absolute;left:50%;height:2560px;width:300px;margin-left:-1280px", True),  # a height is no width
    ("left:-100%;margin-left:-100%", True),
])
def test_an_element_moved_off_every_screen_is_hidden(style, hidden):
    assert (hidden_reason(style) == "off-screen") is hidden


def test_an_article_in_a_large_font_class_is_visible():
    hidden = _hidden_by_text(f"<head><style>.story-body{{font-size:1.125rem}} .sr{{font-size:0}}</style></head>"
                             f"<body><p class=story-body>{ARTICLE}</p><div class=sr>{FONT_WALL}</div></body>")
    assert hidden[ARTICLE] is None and hidden["澳门赌场0"] == "font-size:0-1px"


@pytest.mark.parametrize(("style", "reason"), [
    # ways to hide text that read as visible before
    ("height:0;overflow:hidden", "zero-size"),  # a unitless 0 (only 0px and 1px were read)
    ("max-height:0px; overflow: hidden", "zero-size"),
    ("visibility:collapse", "visibility:hidden"),
    ("position:absolute;clip:rect(0,0,0,0)", "clipped to nothing"),
    ("clip: rect(1px, 1px, 1px, 1px); width:2px", "clipped to nothing"),
    ("clip-path: inset(50%)", "clipped to nothing"),
    ("transform:scale(0)", "scaled to nothing"),
    ("transform: translate(-10000px, 0)", "off-screen"),
    ("transform:translate3d(-1170px,0,0)", "off-screen"),
    ("width:500px;transform:translateX(-5000px)", "off-screen"),
    ("width:5850px;transform:translate3d(-1170px,0px,0px)", None),  # a carousel's track, its second slide shown
    ("width:99999px;transform:translateX(-9999px)", "off-screen"),  # past any screen's width
    ("width:6000px;transform:translateX(-5000px)", "off-screen"),  # too little of the track left on screen
    ("min-height:9000px;transform:translate(-5000px,0)", "off-screen"),
    ("opacity:.01", "opacity:0"),
    ("color:transparent", "transparent text"),
    ("color: rgba(0, 0, 0, 0)", "transparent text"),
    # and their visible neighbours
    ("height:0.5em;overflow:hidden", None),
    ("height:10px;overflow:hidden", None),
    ("height:100%;overflow:hidden", None),
    ("transform:scale(0.5)", None),
    ("transform:translateX(-100px)", None),
    ("opacity:0.1", None),
    ("color:transparent;-webkit-background-clip:text;background-image:linear-gradient(red,blue)", None),  # painted
    ("background-color:transparent;border-color:transparent", None),
])
def test_hidden_reason_reads_the_other_ways_to_hide_text(style, reason):
    assert hidden_reason(style) == reason


def test_hidden_reason_reads_one_colour_written_two_ways():
    """#fff and #FFFFFF are one colour: compared as written, the two hid nothing."""
    assert hidden_reason("color:#fff;background:#FFFFFF") == SAME_COLOUR
    assert hidden_reason("color:rgb(255, 255, 255);background-color:white !important") == SAME_COLOUR
    assert hidden_reason("color:#fff;background:#000") is None
    assert hidden_reason("color:inherit;background:inherit") is None  # neither can be read: nothing is known


def test_colour_reads_hex_rgb_and_html_names():
    assert {colour(v) for v in ("#fff", "#FFFFFF", "ffffff", "White", "rgb(255,255,255)", "rgba(255, 255, 255, 1)",
                                "#fff !important")} == {"#ffffff"}
    assert colour("transparent") == colour("rgba(0,0,0,0)") == TRANSPARENT
    assert colour("#12345") is None and colour("rgb(300,0,0)") is None and colour("url(bg.png)") is None
    assert colour("") is None and colour(None) is None


FONT_WALL = "".join(f'<a href="http://bet{i}.example.com/">澳门赌场{i}</a>' for i in range(5))


def _hidden_by_text(html: str) -> dict[str, str | None]:
    page = build_page(html=f"<html><head><title>教育新闻</title></head>{html}</html>", url="http://www.site.cn/a.html")
    return {b.text.split("\n")[0]: b.hidden for b in page.blocks[1:]}


@pytest.mark.parametrize("body", [
    f'<body bgcolor="#FFFFFF"><p>{ARTICLE}</p><div><font color="white">{FONT_WALL}</font></div></body>',
    f'<body><p>{ARTICLE}</p><table><tr><td bgcolor=#fff><font color=#ffffff>{FONT_WALL}</font></td></tr></table></body>',
    f'<body><p>{ARTICLE}</p><div style="background-color:#f5f5f5"><p><span style="color:#F5F5F5">{FONT_WALL}</span>'
    f'</p></div></body>',
    f'<body><p>{ARTICLE}</p><font color="#fff"><div style="background:#FFF">{FONT_WALL}</div></font></body>',
])
def test_text_the_colour_of_the_background_it_sits_on_is_hidden(body):
    """White-on-white link walls of old hacked pages: the colour and the background on different elements
    (a <font color> in a <td bgcolor>, under <body bgcolor>), written in different forms."""
    hidden = _hidden_by_text(body)
    assert hidden["澳门赌场0"] == SAME_COLOUR
    assert hidden[ARTICLE] is None


@pytest.mark.parametrize("body", [
    # white captions over a picture, in a classed box a stylesheet paints, inside a white page
    f'<body><div style="background-color:#ffffff"><div class="caption"><h5 style="color:white">{FONT_WALL}</h5>'
    f'</div></div></body>',
    f'<body bgcolor=white><table><tr><td background="bg.gif"><font color=white>{FONT_WALL}</font></td></tr></table></body>',
    f'<body bgcolor=white><table><tr><td bgcolor=#003366><font color=white>{FONT_WALL}</font></td></tr></table></body>',
    f'<body><font color=white>{FONT_WALL}</font></body>',  # no background declared: the browser's white is not assumed
    f'<body bgcolor=white><div style="background:transparent"><font color=black>{FONT_WALL}</font></div></body>',
])
def test_text_on_an_unknown_or_other_background_is_not_hidden(body):
    assert _hidden_by_text(body)["澳门赌场0"] is None


def test_the_background_is_searched_for_among_a_bounded_number_of_ancestors():
    """Each element that declares a colour searched all its ancestors: 2,000 nested <font color> took 2.6 s."""
    from service.analysis.htmlblocks import COLOUR_SEARCH_ELEMENTS

    def body(depth: int) -> str:
        return f'<body><p>{ARTICLE}</p><div style="background:#fff">{"<b>" * depth}<font color=#fff>{FONT_WALL}</font></div></body>'

    assert _hidden_by_text(body(COLOUR_SEARCH_ELEMENTS - 1))["澳门赌场0"] == SAME_COLOUR
    assert _hidden_by_text(body(COLOUR_SEARCH_ELEMENTS + 1))["澳门赌场0"] is None


@pytest.mark.parametrize(("marquee", "reason"), [
    ("<marquee height=1 width=4 scrollamount=3000 scrolldelay=20000>", "tiny marquee"),
    ('<marquee style="height:2px;overflow:hidden">', "tiny marquee"),
    ("<marquee scrollamount=5000>", "marquee too fast to read"),
    ("<marquee>", None),
    ('<marquee width="100%" height=20 scrollamount=3>', None),
])
def test_a_marquee_too_small_or_too_fast_to_read_hides_its_text(marquee, reason):
    hidden = _hidden_by_text(f"<body><p>{ARTICLE}</p>{marquee}{FONT_WALL}</marquee></body>")
    assert hidden["澳门赌场0"] == reason and hidden[ARTICLE] is None


def test_a_closed_dialog_hides_its_text():
    """A <dialog> without ``open`` is shown only when a script opens it: a link wall in one is hidden."""
    assert _hidden_by_text(f"<body><p>{ARTICLE}</p><dialog>{FONT_WALL}</dialog></body>")["澳门赌场0"] == "closed dialog"
    assert _hidden_by_text(f"<body><p>{ARTICLE}</p><dialog open>{FONT_WALL}</dialog></body>")["澳门赌场0"] is None


@pytest.mark.parametrize(("frame", "nested", "hidden"), [
    ("<iframe srcdoc='{}'>a browser without frames shows this</iframe>", False, None),
    ("<iframe width=0 height=0 srcdoc='{}'></iframe>", False, "tiny iframe"),
    ("<iframe style='display:none' srcdoc='{}'></iframe>", False, "display:none"),
    ("<iframe srcdoc='{}'></iframe>", True, None),  # the wall in a srcdoc inside the srcdoc
])
def test_the_document_an_iframe_shows_from_its_srcdoc_is_read(frame, nested, hidden):
    """An <iframe srcdoc> shows the HTML of its attribute inside the page: a link wall so framed was not read
    at all. Read as the frame's content, under the frame's own hiding; its fallback text is not."""
    import html as htmllib

    srcdoc = f'<iframe srcdoc="{htmllib.escape(FONT_WALL)}"></iframe>' if nested else FONT_WALL
    hidden_by_text = _hidden_by_text(f"<body><p>{ARTICLE}</p>{frame.format(htmllib.escape(srcdoc))}<p>投稿邮箱</p></body>")
    assert hidden_by_text["澳门赌场0"] == hidden and hidden_by_text["投稿邮箱"] is None
    assert not any("browser without frames" in text for text in hidden_by_text)
    assert "澳门赌场" not in "".join(_hidden_by_text(f"<body><p>{ARTICLE}</p><iframe src='/x'>澳门赌场</iframe></body>"))


STYLED_NAV = '<div class="nav">' + "".join(f'<a href="/c{i}">栏目{i}</a>' for i in range(5)) + "</div>"


@pytest.mark.parametrize(("css", "hidden"), [
    (".nav{display:none}", "display:none"),
    ("/* 隐藏 */.nav{display:none}", "display:none"),  # a comment before the rule hid the rule
    ("/**/.nav{display:none}/* unclosed", "display:none"),
    ("@media screen{.nav{display:none}}", "display:none"),
    ("@supports (display:grid){@media all{.nav{visibility:hidden}}}", "visibility:hidden"),
    ("@media (max-width: 768px){.nav{display:none}}", None),  # hidden on phones only
    ("@media only screen and (max-width:768px){.x{color:red}.nav{display:none}}", None),
    ("@media print{.nav{display:none}}", None),
    (".nav{display:none}@media (min-width:768px){.nav{display:flex}}", None),  # mobile first: shown on wide screens
    (".nav{display:none}@media print{.nav{display:block}}", "display:none"),  # shown on paper only
    # shown on no screen: a query past any screen's size, or for a media type that is not a screen's
    (".nav{display:none}@media (min-width:99999px){.nav{display:block}}", "display:none"),
    (".nav{display:none}@media screen and (width >= 1000em){.nav{display:block}}", "display:none"),
    (".nav{display:none}@media (max-device-width:1px){.nav{display:block}}", "display:none"),
    (".nav{display:none}@media tv, handheld{.nav{display:block}}", "display:none"),
    (".nav{display:none}@media tv, (min-width:40em){.nav{display:block}}", None),  # shown from 640 px up
    ("/* .nav{display:none} */", None),
])
def test_a_stylesheet_hides_what_it_hides_on_every_screen(css, hidden):
    assert _hidden_by_text(f"<head><style>{css}</style></head><body><p>{ARTICLE}</p>{STYLED_NAV}</body>")["栏目0"] == hidden


def test_aria_hidden_text_is_shown():
    """aria-hidden hides from screen readers only: a headline repeated for the eye is visible."""
    hidden = _hidden_by_text(f'<body><p aria-hidden="true">{ARTICLE}</p><div hidden>{FONT_WALL}</div></body>')
    assert hidden[ARTICLE] is None and hidden["澳门赌场0"] == "hidden attribute"


def test_js_string_reads_escapes():
    from service.analysis.htmlblocks import js_string

    assert js_string(r"""'<a href=\"/x\">\u6fb3\x3c/a>\'\n'""") == '<a href="/x">澳</a>\'\n'
    assert js_string(r'"\u{1F600}\u{FFFFFF}\q"') == "\U0001F600\ufffdq"


def test_a_script_that_only_writes_markup_is_read_as_that_markup():
    """Hacked pages hide a link wall by writing the hiding element's tags from scripts around it, or write the
    links themselves: a browser shows what the scripts write, and the wall was read as visible, or not at all."""
    write = '<script type="text/javascript">document.write({});</script>'
    hidden = _hidden_by_text(
        f"<body><p>{ARTICLE}</p>" + write.format('"<div style=\'display:none\'>"') + FONT_WALL
        + write.format("'</div>'") + write.format("'<p>' + '联系我们' + \"</p>\"") + "</body>")
    assert hidden["澳门赌场0"] == "display:none" and hidden["联系我们"] is None and hidden[ARTICLE] is None
    commented = "<script>\n<!--\ndocument.writeln('<p>投稿邮箱</p>')\n//-->\n</script>"
    assert "投稿邮箱" in _hidden_by_text(f"<body>{commented}</body>")


def test_a_script_of_several_writes_is_read_as_what_they_write():
    """Hacked pages open the hiding element, write the links and close it in one script, call after call."""
    script = ("<script>document.write('<div style=\"display:none\">');\n" + "".join(
        f"document.write('<a href=\"http://bet{i}.example.com/\">澳门赌场{i}</a>');\n" for i in range(5))
        + "document.writeln('</div>');</script>")
    hidden = _hidden_by_text(f"<body><p>{ARTICLE}</p>{script}<p>联系我们</p></body>")
    assert hidden["澳门赌场0"] == "display:none" and hidden["联系我们"] is None


@pytest.mark.parametrize("script", [
    "<script>var n = 1; document.write('<p>投稿邮箱</p>')</script>",  # other code: left alone
    "<script>document.write(name)</script><p>投稿邮箱</p>",  # not a literal
    # a written stylesheet is left: the scripts that write one often undo it (a tab library's panes)
    "<script>document.write('<style>.tabber{display:none}</style>')</script><div class=tabber>投稿邮箱</div>",
])
def test_other_scripts_are_not_read(script):
    hidden = _hidden_by_text(f"<body><p>{ARTICLE}</p>{script}</body>")
    assert hidden.get("投稿邮箱") is None


@pytest.mark.parametrize("script", [
    """document.getElementById("k9").style.display = "none";""",
    "<!--\ndocument.all.k9.style.visibility='hidden'\n//-->",
    """document.all["k9"].style.display="none"; /* a comment */""",
    "document.querySelector('#k9').style.display='none'",
    "$('#k9').hide();",
    """jQuery("#k9").css("display", "none")""",
])
def test_a_script_that_only_hides_an_element_before_it_hides_it(script):
    """Hacked pages put a link wall in a ``<div id>`` and hide it from the script after it: a browser runs the
    script as it parses, and the wall was read as visible."""
    hidden = _hidden_by_text(f'<body><p>{ARTICLE}</p><div id="k9">{FONT_WALL}</div><script>{script}</script>'
                             f'<p>联系我们</p></body>')
    assert hidden["澳门赌场0"] in ("display:none", "visibility:hidden")
    assert hidden[ARTICLE] is None and hidden["联系我们"] is None


@pytest.mark.parametrize("body", [
    # the element comes after the script: it does not exist yet when the script runs
    f"<script>document.getElementById('k9').style.display='none'</script><div id=k9>{FONT_WALL}</div>",
    # other code: a handler that hides the element on a click, not now
    f"<div id=k9>{FONT_WALL}</div><script>function close() {{ $('#k9').hide(); }}</script>",
    f"<div id=k9>{FONT_WALL}</div><script>if (narrow) document.getElementById('k9').style.display='none'</script>",
    # the script shows it: a browser shows what the script shows
    f"<div id=k9 style='display:none'>{FONT_WALL}</div><script>document.getElementById('k9').style.display='block'"
    f"</script>",
])
def test_other_display_scripts_hide_nothing(body):
    assert _hidden_by_text(f"<body><p>{ARTICLE}</p>{body}</body>")["澳门赌场0"] is None


def test_a_display_script_sets_only_the_property_it_names():
    """Showing an element by its display leaves the visibility that hides it."""
    hidden = _hidden_by_text(f"<body><p>{ARTICLE}</p><div id=k9 style='visibility:hidden'>{FONT_WALL}</div>"
                             f"<script>$('#k9').show()</script></body>")
    assert hidden["澳门赌场0"] == "visibility:hidden"


@pytest.mark.parametrize("script", [
    "$(function(){ $('#k9').hide(); });",
    '$(document).ready(function(){ document.getElementById("k9").style.display = "none"; })',
    "jQuery(function($){ $('#k9').css('display', 'none') })",
    "window.onload = function () { document.getElementById('k9').style.visibility = 'hidden'; };",
])
@pytest.mark.parametrize("before", [True, False])
def test_a_script_that_hides_once_the_page_has_loaded_hides_any_element(script, before):
    """Wrapped to run once the page has loaded, the statements reach every element, before the script or after."""
    wall, code = f"<div id=k9>{FONT_WALL}</div>", f"<script>{script}</script>"
    hidden = _hidden_by_text(f"<body><p>{ARTICLE}</p>" + (wall + code if before else code + wall) + "</body>")
    assert hidden["澳门赌场0"] in ("display:none", "visibility:hidden") and hidden[ARTICLE] is None


def test_a_load_handler_that_does_more_hides_nothing():
    from service.analysis.htmlblocks import on_load_statements

    assert on_load_statements("$(function(){ $('#a').click(function(){ $('#b').hide() }) });") is None
    assert on_load_statements("$(function(){ $('#a').hide(); track(); });") is None
    assert on_load_statements("$('#a').hide();") is None  # not wrapped: display_statements reads it


def test_display_statements_read_only_scripts_that_do_nothing_else():
    from service.analysis.htmlblocks import MAX_DISPLAY_SCRIPT_CHARS, display_statements

    assert display_statements("$('#a').show(); document.getElementById('b').style.visibility='hidden'") == [
        ("a", "display:block"), ("b", "visibility:hidden")]
    assert display_statements("$('#a').hide(); alert(1)") is None
    assert display_statements("  // nothing\n") is None
    assert display_statements("$('#a').hide();" + " " * MAX_DISPLAY_SCRIPT_CHARS) is None


def _hidden_with_sheet(css: str, div_attributes: str) -> dict[str, str | None]:
    """Hidden reasons by block of a page with stylesheet ``css`` and the link wall in ``<div ATTRIBUTES>``."""
    return _hidden_by_text(f"<head><style>{css}</style></head><body><p>{ARTICLE}</p><{div_attributes}>{FONT_WALL}"
                           f"</div></body>")


@pytest.mark.parametrize(("css", "element", "hidden"), [
    (".k9{display:none}", "div class=k9", True),
    ("div.k9{display:none}", "div class='x k9'", True),  # a rule on a tag and class
    ("div#k9{visibility:hidden}", "div id=k9", True),
    ("span.k9{display:none}", "div class=k9", False),  # another tag's
    # rules apply in order: a later rule that shows the class undoes the one that hid it
    (".k9{display:none} .k9{display:block}", "div class=k9", False),
    ("div.k9{display:none} div.k9{display:block}", "div class=k9", False),
    ("div.k9{display:none} .k9{display:block}", "div class=k9", True),  # div.k9 outweighs .k9
    (".k9{font-size:0} .k9{display:block}", "div class=k9", True),  # another property shown
    (".k9{display:block} .k9{display:none}", "div class=k9", True),
    ("div.k9{display:none} p.k9{display:block}", "div class=k9", True),
])
def test_stylesheet_rules_on_one_element_hide_it(css, element, hidden):
    found = _hidden_with_sheet(css, element)
    assert (found["澳门赌场0"] is not None) is hidden and found[ARTICLE] is None


@pytest.mark.parametrize(("css", "element", "hidden"), [
    # the open tab: its inline display overrides the rule that hides every tab
    (".tab{display:none}", "div class=tab style='display:block'", False),
    ("#k9{visibility:hidden}", "div id=k9 style='visibility: visible'", False),
    ("", "div hidden style='display:flex'", False),
    # an inline style that does not override the rule's property
    (".tab{display:none}", "div class=tab style='visibility:visible'", True),
    (".tab{font-size:0}", "div class=tab style='display:block'", True),
    (".tab{display:none!important}", "div class=tab style='display:block'", True),  # !important outweighs it
    ("", "div hidden style='color:red'", True),
])
def test_an_inline_style_overrides_the_rule_that_hid_its_element(css, element, hidden):
    assert (_hidden_with_sheet(css, element)["澳门赌场0"] is not None) is hidden


@pytest.mark.parametrize("tail", [f'<div style="display:none">{FONT_WALL}</div>', FONT_WALL])
def test_a_wall_appended_after_the_end_of_the_page_is_read(tail):
    """Injectors append to the end of the file, after </body></html>: a browser shows it in the body, and the
    parser dropped it (the page was kept as clean)."""
    page = build_page(html=f"<html><head><title>教育新闻</title></head><body><p>{ARTICLE}</p></body></html>{tail}",
                      url="http://www.site.cn/a.html")
    wall = [b for b in page.blocks if "澳门赌场0" in b.text]
    assert wall and wall[0].n_offsite_links == 5
    assert wall[0].hidden == ("display:none" if "display" in tail else None)


@pytest.mark.parametrize("sheet", [
    "<!--\n.k9{display:none}\n-->",  # an old CMS wraps its stylesheet in an HTML comment
    '@charset "utf-8"; .k9{display:none}',  # an at-rule statement before the first rule
    "@import url(/a.css);\n.k9{display:none}",
])
def test_a_stylesheet_read_past_what_css_ignores(sheet):
    hidden = _hidden_by_text(f"<head><style>{sheet}</style></head><body><p>{ARTICLE}</p><div class=k9>{FONT_WALL}</div>"
                             f"</body>")
    assert hidden["澳门赌场0"] == "display:none"


def test_a_property_that_ends_in_visibility_hides_nothing():
    """backface-visibility:hidden is on every slide of a carousel; it read as visibility:hidden."""
    assert hidden_reason("backface-visibility:hidden;-webkit-backface-visibility:hidden") is None
    assert hidden_reason("content-display:none") is None and hidden_reason("x:1;visibility:hidden") == "visibility:hidden"


def test_noscript_is_hidden_and_its_stylesheets_hide_nothing():
    """Browsers run scripts, so what ``<noscript>`` holds is shown to crawlers only: hacked pages put link walls
    there. A stylesheet in one applies only where scripts do not run (lazy-loading images hidden)."""
    hidden = _hidden_by_text(f"<body><noscript><style>.k9{{display:none}}</style></noscript><p>{ARTICLE}</p>"
                             f"<noscript>{FONT_WALL}</noscript><div class=k9>联系我们</div></body>")
    assert hidden["澳门赌场0"] == "noscript" and hidden[ARTICLE] is None and hidden["联系我们"] is None


def test_a_hidden_inline_element_is_a_hidden_block_of_its_own():
    """<span style="display:none"> inside a paragraph: its links were part of the visible paragraph."""
    page = build_page(html=f'<html><body><p>{ARTICLE}<span style="display:none">{FONT_WALL}</span>会议要求各校抓好落实。'
                           f'<b style="color:#fff;background:#fff"></b><br style="display:none">完。</p></body></html>',
                      url="http://www.site.cn/a.html")
    assert [(b.text.split("\n")[0], b.hidden) for b in page.blocks] == [
        (ARTICLE, None), ("澳门赌场0", "display:none"), ("会议要求各校抓好落实。", None)]
    assert page.blocks[2].text == "会议要求各校抓好落实。\n完。"  # an element that holds no text is no block
    wall = page.blocks[1]
    assert wall.n_links == 5 and wall.path == "html/body/p/span"
    assert [page.text[b.start:b.end] for b in page.blocks] == [b.text for b in page.blocks]


def test_empty_inputs():
    assert build_page(text="").blocks == []
    assert build_page(text="   \n\n  ").blocks == []
    assert build_page(html="").blocks == []


def test_a_page_past_the_block_cap_is_judged_in_max_blocks_with_offsets_intact():
    from service.analysis.page import MAX_BLOCKS, capped

    text = "\n\n".join(f"第{i}段。" for i in range(MAX_BLOCKS + 500))
    page = build_page(text=text)
    assert len(page.blocks) == MAX_BLOCKS
    tail = page.blocks[-1]
    assert tail.index == MAX_BLOCKS - 1 and text[tail.start:tail.end] == tail.text
    assert tail.text.startswith(f"第{MAX_BLOCKS - 1}段。") and tail.text.endswith(f"第{MAX_BLOCKS + 499}段。")
    assert len(tail.items) == 501 and tail.end == len(text)
    small = build_page(text="一段。\n\n两段。")
    assert capped(small) is small


def test_html_past_the_block_cap_keeps_its_links_in_the_merged_block():
    from service.analysis.page import MAX_BLOCKS

    prose = "这是一段足够长的正文内容，超过四十个字符的短行上限，所以它自成一个段落块，不与邻居合并。"
    html = "".join(f'<p>{prose}<a href="http://s{i}.example.com/">链接{i}</a></p>' for i in range(MAX_BLOCKS + 99))
    page = build_page(html=html, url="http://a.cn/")
    assert len(page.blocks) == MAX_BLOCKS
    assert page.blocks[-1].n_links == 100 and page.blocks[-1].n_offsite_links == 100
    assert page.text[page.blocks[-1].start:page.blocks[-1].end] == page.blocks[-1].text


@pytest.mark.parametrize(("media", "hidden"), [
    ("print", None), ("speech", None), ("(max-width:768px)", None), ("screen and (max-width: 600px)", None),
    ("screen", "display:none"), ("all", "display:none"), ("", "display:none"), ("print, screen", "display:none"),
])
def test_a_style_element_applies_on_the_screens_its_media_names(media, hidden):
    """<style media="print"> hid the article and the sidebar on screen: it applies on paper only."""
    found = _hidden_by_text(f'<head><style media="{media}">.k9{{display:none}}</style></head><body><p>{ARTICLE}</p>'
                            f"<div class=k9>{FONT_WALL}</div></body>")
    assert found["澳门赌场0"] == hidden


def test_a_stylesheet_in_a_template_or_after_a_font_face_is_read_as_a_browser_does():
    """A <style> inside <template> is not applied until a script uses it; @font-face's declarations were glued
    onto the next selector, so a rule showing the wall again was lost."""
    in_template = _hidden_by_text(f"<body><template><style>.k9{{display:none}}</style></template><p>{ARTICLE}</p>"
                                  f"<div class=k9>{FONT_WALL}</div></body>")
    assert in_template["澳门赌场0"] is None
    after_font = _hidden_with_sheet(".k9{display:none}@font-face{font-family:x;src:url(a.woff)}.k9{display:block}",
                                    "div class=k9")
    assert after_font["澳门赌场0"] is None
    assert _hidden_with_sheet("@font-face{font-family:x}.k9{display:none}", "div class=k9")["澳门赌场0"] \
        == "display:none"


@pytest.mark.parametrize(("outer", "inner", "hidden"), [
    # a row of inline-blocks with the white space between them cut by font-size:0; each item sets its own size
    ("font-size:0", "font-size:14px", None), ("font-size:0", "font-size:.875rem", None),
    ("font-size:0", "font-size:12pt", None), ("visibility:hidden", "visibility:visible", None),
    # a size relative to the parent's is still none; nothing shows what display:none hides
    ("font-size:0", "font-size:1.2em", "font-size:0-1px"), ("font-size:0", "font-size:120%", "font-size:0-1px"),
    ("font-size:0", "font-size:1px", "font-size:0-1px"), ("display:none", "display:block", "display:none"),
    ("display:none", "font-size:14px", "display:none"), ("visibility:hidden", "color:red", "visibility:hidden"),
])
def test_an_element_that_sets_its_own_font_size_or_visibility_is_shown_in_a_hidden_one(outer, inner, hidden):
    found = _hidden_by_text(f'<body><p>{ARTICLE}</p><div style="{outer}"><span style="{inner}">{FONT_WALL}</span>'
                            f"</div></body>")
    assert found["澳门赌场0"] == hidden and found[ARTICLE] is None


@pytest.mark.parametrize(("css", "element", "hidden"), [
    # a later rule on another class of the element shows it: the open tab, Bootstrap's d-none d-md-block,
    # Tailwind's hidden md:flex (an escaped selector)
    (".tabcon{display:none}.current{display:block}", "div class='tabcon current'", False),
    (".d-none{display:none!important}@media (min-width:768px){.d-md-block{display:block!important}}",
     "div class='d-none d-md-block'", False),
    (".hidden{display:none}@media (min-width:768px){.md\\:flex{display:flex}}", "div class='hidden md:flex'", False),
    (".k9{visibility:hidden} #on{visibility:visible}", "div class=k9 id=on", False),
    ("#k9{visibility:hidden} .on{visibility:visible}", "div id=k9 class=on", True),  # an id's rule outweighs
    # not an earlier rule, another property, a rule that loses to !important, or a class the element lacks
    (".current{display:block}.tabcon{display:none}", "div class='tabcon current'", True),
    (".tabcon{display:none}.current{visibility:visible}", "div class='tabcon current'", True),
    (".tabcon{font-size:0}.current{display:block}", "div class='tabcon current'", True),
    (".tabcon{display:none!important}.current{display:block}", "div class='tabcon current'", True),
    (".tabcon{display:none}.current{display:block}", "div class='tabcon'", True),
    (".tabcon{display:none}.current{display:block}.tabcon{display:none}", "div class='tabcon current'", True),
    (".tabcon{display:none}p.current{display:block}", "div class='tabcon current'", True),
    (".tabcon{display:none}div.current{display:block}", "div class='tabcon current'", False),
    ("div.tabcon{display:none}.current{display:block}", "div class='tabcon current'", True),
    ("div.k9{display:none} .k9{display:none} .k9{display:block}", "div class=k9", True),  # div.k9 still hides
])
def test_a_later_rule_on_another_class_of_the_element_shows_it(css, element, hidden):
    assert (_hidden_with_sheet(css, element)["澳门赌场0"] is not None) is hidden


@pytest.mark.parametrize(("css", "element", "hidden"), [
    # the open tab of a tab box: .tab_con.on outweighs .tab_con, after it or before it
    (".tab_con{display:none}.tab_con.on{display:block}", "div class='tab_con on'", False),
    (".tab_con.on{display:block}.tab_con{display:none}", "div class='on tab_con'", False),
    (".tab_con{display:none}.tab_con.on{display:block}", "div class='tab_con'", True),
    (".tab_con{display:none}div.tab_con.on{display:block}", "div class='tab_con on'", False),
    (".tab_con{display:none}p.tab_con.on{display:block}", "div class='tab_con on'", True),
    # a rule on two names hides only what has both
    (".k9.x{display:none}", "div class='x k9'", True),
    (".k9.x{display:none}", "div class=k9", False),
    ("div.k9#w{visibility:hidden}", "div class=k9 id=w", True),
    # weight decides before order, and !important before weight
    (".k9.x{display:none}.k9{display:block}", "div class='k9 x'", True),
    ("#w{display:none}.a.b.c{display:block}", "div id=w class='a b c'", True),
    ("#w.a{display:none}#w{display:block}", "div id=w class=a", True),
    (".current{display:block!important}.tabcon{display:none}", "div class='tabcon current'", False),
    (".k9.x{display:none!important}#w{display:block}", "div id=w class='k9 x'", True),
])
def test_a_rule_on_several_names_of_one_element_weighs_as_a_browser_weighs_it(css, element, hidden):
    """Tab boxes show the open tab with a rule on two classes (``.tab_con.on``): it read as hidden, and a rule on
    two classes hid nothing."""
    assert (_hidden_with_sheet(css, element)["澳门赌场0"] is not None) is hidden


@pytest.mark.parametrize(("css", "markup", "hidden"), [
    # a row of inline-blocks: its container cuts the white space between them with font-size:0, and a rule
    # gives the items their size back
    (".nav{font-size:0}.nav li{font-size:14px}", "<ul class=nav><li>{wall}</li></ul>", None),
    (".nav{font-size:0}ul.nav>li.item{font-size:14px}", "<ul class=nav><li class=item>{wall}</li></ul>", None),
    (".nav{font-size:0}.item{font-size:14px}", "<div class=nav><span class=item>{wall}</span></div>", None),
    (".row{visibility:hidden}.row .cell{visibility:visible}", "<div class=row><div class=cell>{wall}</div></div>",
     None),
    ("", "<div style='font-size:0'><ul class=x><li>{wall}</li></ul></div>", "font-size:0-1px"),
    # not a rule on another container, one that gives a size relative to none, or where the element's own style
    # sets the size
    (".nav{font-size:0}.menu li{font-size:14px}", "<ul class=nav><li>{wall}</li></ul>", "font-size:0-1px"),
    (".nav{font-size:0}.nav li{font-size:1.2em}", "<ul class=nav><li>{wall}</li></ul>", "font-size:0-1px"),
    (".nav{font-size:0}.nav li{font-size:14px}", "<ul class=nav><li style='font-size:0'>{wall}</li></ul>",
     "font-size:0-1px"),
    # nor what hides another way too, or for another reason
    (".nav{font-size:0;position:absolute;left:-9999px}.nav li{font-size:14px}", "<ul class=nav><li>{wall}</li></ul>",
     "font-size:0-1px"),
    (".nav{display:none}.nav li{font-size:14px;display:block}", "<ul class=nav><li>{wall}</li></ul>", "display:none"),
])
def test_a_stylesheet_rule_that_sets_an_elements_own_size_shows_it_in_a_font_size_0_row(css, markup, hidden):
    """``.nav{font-size:0} .nav li{font-size:14px}`` is how inline-block menus lose the gaps between their items:
    the whole menu read as hidden text."""
    found = _hidden_by_text(f"<head><style>{css}</style></head><body><p>{ARTICLE}</p>"
                            f"{markup.format(wall=FONT_WALL)}</body>")
    assert found["澳门赌场0"] == hidden and found[ARTICLE] is None


@pytest.mark.parametrize(("outer", "middle", "hidden"), [
    # hidden another way too: a size or a visibility of one's own undoes only what hid for that reason alone
    ("position:absolute;left:-9999px;font-size:0", "", "font-size:0-1px"),
    ("visibility:hidden;top:-9999px", "", "visibility:hidden"),
    ("visibility:hidden", "display:none", "visibility:hidden"),
    ("font-size:0", "height:0;overflow:hidden", "font-size:0-1px"),
    ("font-size:0", "font-size:0", None),  # the same reason again is undone with it
])
def test_an_element_shows_itself_only_inside_what_hides_for_that_reason_alone(outer, middle, hidden):
    inner = "font-size:14px;visibility:visible"
    found = _hidden_by_text(f'<body><p>{ARTICLE}</p><div style="{outer}"><div style="{middle}">'
                            f'<span style="{inner}">{FONT_WALL}</span></div></div></body>')
    assert found["澳门赌场0"] == hidden


def test_a_stylesheet_rule_that_hides_two_ways_is_not_undone_by_a_font_size():
    found = _hidden_by_text(f"<head><style>.x{{font-size:0;position:absolute;left:-9999px}} .y{{display:none}}</style>"
                            f"</head><body><p>{ARTICLE}</p><div class=x><div style='font-size:14px'>{FONT_WALL}</div>"
                            f"</div><div class=y style='visibility:hidden'><p style='visibility:visible'>联系我们</p>"
                            f"</div></body>")
    assert found["澳门赌场0"] == "font-size:0-1px" and found["联系我们"] == "visibility:hidden"  # and display:none


def test_ruby_annotations_are_not_read_into_the_line():
    """<ruby>教<rt>jiào</rt></ruby>: the pronunciation is set above the character; it was read inline
    (全市教jiào育(yù)大会), breaking the words and the terms a lexicon looks for."""
    page = build_page(html="<html><body><p>全市<ruby>教<rp>(</rp><rt>jiào</rt><rp>)</rp></ruby>育<ruby>大会<rt>dàhuì"
                           "</rt></ruby>召开。</p></body></html>", url="http://www.site.cn/a.html")
    assert [b.text for b in page.blocks] == ["全市教育大会召开。"]
