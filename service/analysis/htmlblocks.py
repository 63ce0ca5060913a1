"""Parse HTML once into an ordered list of blocks.

Block-level elements (paragraphs, list items, headings, table rows, divs
holding text directly) each yield a text run; consecutive short runs under
the same parent (menus, link lists, list items) merge into one ``list`` or
``lines`` block whose items are the runs, except ``<p>`` runs: a paragraph
is a block however short, as one set apart by blank lines is in text. Each block records its element
path, link characters, on-/off-site links and whether the page hides it
(an inline ``style``: :func:`hidden_reason`; the ``hidden`` attribute; a
``<style>`` rule on its class or id that applies on every screen; text the
colour of the background declared behind it; a marquee or frame too small
or too fast to read; a closed ``<dialog>``; ``<noscript>``, which browsers
that run scripts do not show). A hidden inline element is a run of its
own, so its text is a hidden block rather than part of the visible
paragraph around it. A script that only writes markup
(``document.write`` of string literals) is read as that markup; one that
only shows or hides elements by id is run on the elements before it (on
every element when it runs once the page has loaded); the
document an ``<iframe srcdoc>`` shows is read as the frame's content. The page text
is the blocks joined by blank lines, starting with the ``<title>``.

Pages nest as deep as their markup says (unclosed ``<font>`` tags nest one
level each): the tree is walked without recursion, and element paths stop
growing at MAX_PATH_ELEMENTS. Past 2,048 open elements libxml2 stops
parsing, and the page is read again as a stream of tags (``markup_text``).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Iterator
from html.parser import HTMLParser as TagStream
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from service.analysis.page import Block, Page
from service.analysis.text import drop_format_characters, has_format_characters
from service.analysis.textblocks import guess_title, page_from_text

SKIP_TAGS = {"script", "style", "template", "head", "svg", "math", "iframe", "object", "embed",
             "select", "option", "canvas", "audio", "video", "button", "input", "textarea",
             "rt", "rp"}  # <ruby>'s pronunciation and its fallback brackets: set above the line, not in it
BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
              "table", "tbody", "thead", "tfoot", "tr", "td", "th", "section", "article", "header",
              "footer", "nav", "aside", "main", "blockquote", "pre", "form", "fieldset", "figure",
              "figcaption", "address", "center", "body", "html", "hr", "details", "summary",
              "marquee", "caption", "legend", "noscript", "frameset", "frame"}
EMPTY_TAGS = {"br", "img", "wbr", "area", "col", "meta", "link", "source", "track", "param"}  # hold no text
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SHORT_RUN_CHARS = 40  # runs this short merge with their siblings into a list block
# An element path names at most this many elements, then DEEPER. libxml2 without its huge_tree option stops
# parsing at 256 open elements (a page of 300 unclosed <font> tags lost its whole text after them), so no
# path that was reported before the parser went deeper is cut.
MAX_PATH_ELEMENTS = 256
DEEPER = "…"

# A box 0-1px high or wide (``height:0``, ``max-height:0px``, ``width:1px``), its overflow cut off.
_ZERO_SIZE = re.compile(r"(?<![-\w])(?:max-)?(?:height|width)\s*:\s*(?:0(?:\.0+)?(?:px|r?em|%)?|1px)(?![\w.%])",
                        re.IGNORECASE)
_OVERFLOW_HIDDEN = re.compile(r"overflow\s*:\s*hidden", re.IGNORECASE)


def _zero_size(style: str) -> bool:
    """A height or width of 0-1px and overflow:hidden on one line, in either order.

    Two searches per line: one pattern with ``.*`` between the two
    declarations searched again from every declaration, quadratic on a long
    style ("overflow:hidden;" 8,000 times took 20 s).
    """
    if not (_ZERO_SIZE.search(style) and _OVERFLOW_HIDDEN.search(style)):  # most styles: no line split
        return False
    return any(_ZERO_SIZE.search(line) and _OVERFLOW_HIDDEN.search(line) for line in style.split("\n"))


_TRANSPARENT_TEXT = re.compile(r"(?<![-\w])color\s*:\s*(?:transparent|rgba\([^)]{0,40},\s*0(?:\.0+)?\s*\))\s*(?:;|$|!)",
                               re.IGNORECASE)
# Text drawn by a background through the transparent glyphs (gradient headings) is shown.
_TEXT_PAINTED_OTHERWISE = re.compile(r"background-clip|text-fill-color|text-stroke|text-shadow", re.IGNORECASE)


def _transparent_text(style: str) -> bool:
    """Text in a transparent colour, unless something else paints the glyphs."""
    return bool(_TRANSPARENT_TEXT.search(style)) and not _TEXT_PAINTED_OTHERWISE.search(style)


_FONT_SIZE = re.compile(r"(?<![-\w])font-size\s*:\s*(\d{0,8}(?:\.\d{1,8})?)\s*(px|pt|r?em|%)?\s*(?:;|$|(!))",
                        re.IGNORECASE)
# The largest font size of each unit that nobody can read: 1px or 1pt (a unitless size is read as pixels, as old
# pages mean it), a tenth of the parent's (1.6px of the usual 16).
TINY_FONT_SIZES = {"px": 1.0, "pt": 1.0, "": 1.0, "em": 0.1, "rem": 0.1, "%": 10.0}


def _tiny_font(style: str) -> bool:
    """A font size of at most 1px, or its equivalent; of several, the one a browser applies (the last
    one declared ``!important``, else the last one).

    Not any size that starts with 0 or 1: ``font-size:1.25rem`` is a heading, and a class so styled hid
    whole articles (seven of the English benchmark pages read as mostly hidden).
    """
    size = _applied_font_size(style)
    return size is not None and size[0] <= TINY_FONT_SIZES[size[1]]


def _applied_font_size(style: str) -> tuple[float, str] | None:
    """``(size, unit)`` of the font size a browser applies from ``style`` (the last one declared
    ``!important``, else the last one; the unit lower-cased, ``""`` when none), or ``None``."""
    if not _FONT_SIZE.search(style):  # most styles: one scan, no loop
        return None
    size = important = None
    for size in _FONT_SIZE.finditer(style):
        if size.group(3):
            important = size
    size = important or size
    if size is None or not size.group(1):
        return None
    return float(size.group(1)), (size.group(2) or "").lower()


# What a descendant can undo (a font size or a visibility of its own); display:none, an offset, a clip and the
# rest hide every descendant whatever it declares.
UNDOABLE_REASONS = frozenset(("font-size:0-1px", "visibility:hidden"))


def _undoes(style: str, reason: str) -> bool:
    """Whether an element's own ``style`` shows it inside an ancestor hidden for ``reason``: a font size of its
    own, in a unit not relative to the parent's (the ``font-size:0`` container of inline-blocks, whose items
    set ``font-size:14px``), or ``visibility:visible`` inside ``visibility:hidden``. Nothing undoes the others
    (``display:none`` hides every descendant)."""
    if reason == "font-size:0-1px":
        size = _applied_font_size(style)
        return size is not None and size[1] in ("px", "pt", "rem", "") and size[0] > TINY_FONT_SIZES[size[1]]
    return reason == "visibility:hidden" and bool(_VISIBLE.search(style))


_DECLARES = {"font-size:0-1px": re.compile(r"(?<![-\w])font-size\s*:", re.IGNORECASE),
             "visibility:hidden": re.compile(r"(?<![-\w])visibility\s*:", re.IGNORECASE)}


def _declares(style: str, reason: str) -> bool:
    """Whether an inline ``style`` sets the property that hid an ancestor for ``reason`` (a font size, a
    visibility): then it, and no stylesheet rule, decides whether the element shows itself."""
    return bool(style) and bool(_DECLARES[reason].search(style))


_OFFSET = re.compile(r"(?<![-\w])(left|top|text-indent|margin-left|margin-top)\s*:\s*"
                     r"-(\d{1,8})(?:\.\d{0,8})?\s*(px|pt|r?em|v[wh]|%)?", re.IGNORECASE)
# left:50% or top:50%: the box starts at the middle, and a negative margin of half its size centres it
_HALFWAY = re.compile(r"(?<![-\w])(left|top)\s*:\s*50(?:\.0+)?%", re.IGNORECASE)
_PX_SIZE = re.compile(r"(?<![-\w])(width|height)\s*:\s*(\d{1,8})(?:\.\d*)?\s*px", re.IGNORECASE)
CENTRED_HALF_PX = 1280  # half a 2560px screen: no centring margin moves a box further back
MIN_TRACK_LEFT_PX = 1366  # a carousel track is on screen while this much of it is left after its shift
# How far left or up an element must be moved to be off any screen, by unit: 900px (hacked pages use -999px,
# -9999px, -3000px), 700pt, 50em, the screen's or its own width. Less is layout: a centred box's
# margin-left:-480px, a carousel's left:-295px, a nudge of top:-150px.
OFF_SCREEN_OFFSETS = {"px": 900, "": 900, "pt": 700, "em": 50, "rem": 50, "vw": 100, "vh": 100, "%": 100}


def _off_screen(style: str) -> bool:
    """Moved left or up by at least :data:`OFF_SCREEN_OFFSETS` (``left``, ``top``, ``text-indent``, margins).

    Not by ``margin-left`` down to -100%, which is of the container's width: the "holy grail" layout of Chinese
    CMS templates puts its sidebar beside the article so. Nor by a margin that centres a box set at the middle,
    within half its declared size (``left:50%; width:1920px; margin-left:-960px``, a banner).
    """
    if not _OFFSET.search(style):
        return False
    centred = {side.lower() for side in _HALFWAY.findall(style)}
    # a centring margin moves the box back by half its declared width (left) or height (top), and by no more
    # than half a wide screen
    half = {side: min(max([int(size) // 2 for dimension, size in _PX_SIZE.findall(style)
                           if dimension.lower() == extent], default=0), CENTRED_HALF_PX)
            for side, extent in (("left", "width"), ("top", "height"))}
    for prop, number, unit in _OFFSET.findall(style):
        prop, unit = prop.lower(), (unit or "").lower()
        side = prop.removeprefix("margin-")
        if prop == "margin-left" and unit == "%" and int(number) <= 100:  # the holy grail's sidebar, at most
            continue
        if prop.startswith("margin") and side in centred and unit in ("px", "") and int(number) <= half[side]:
            continue
        if int(number) >= OFF_SCREEN_OFFSETS[unit]:
            return True
    return False


_TRANSLATE_AWAY = re.compile(r"translate(?:x|y|3d)?\(\s*(?:[-\d.]{1,20}[a-z%]{0,4}\s*,\s*)?-(\d{4,})", re.IGNORECASE)


def _translated_away(style: str) -> bool:
    """Moved 1,000px or more by a ``transform: translate``; not a carousel's track, of which a screen's width
    (:data:`MIN_TRACK_LEFT_PX`) is left after the shift (``width:5850px; transform:translate3d(-1170px,0,0)``
    shows its second slide), unless the shift is past any screen's width (:data:`MAX_SCREEN_PX`)."""
    shift = _TRANSLATE_AWAY.search(style)
    if not shift:
        return False
    width = max([int(size) for dimension, size in _PX_SIZE.findall(style) if dimension.lower() == "width"], default=0)
    # shown only while what is left of the track after the shift fills a screen (MIN_TRACK_LEFT_PX), and the shift
    # is within a screen's width
    shifted = int(shift.group(1))
    return width - shifted < MIN_TRACK_LEFT_PX or shifted > MAX_SCREEN_PX


# (test, reason), in the order the reasons are given
_HIDE_DECL = [
    # not backface-visibility (carousels set it on every slide) nor another property ending so
    (re.compile(r"(?<![-\w])display\s*:\s*none", re.IGNORECASE).search, "display:none"),
    (re.compile(r"(?<![-\w])visibility\s*:\s*(?:hidden|collapse)", re.IGNORECASE).search, "visibility:hidden"),
    (_tiny_font, "font-size:0-1px"),
    (_off_screen, "off-screen"),
    (_translated_away, "off-screen"),
    (_zero_size, "zero-size"),
    # clip to nothing: rect(0 0 0 0), rect(1px, 1px, 1px, 1px) (a "visually hidden" box), inset(50%)
    (re.compile(r"(?<![-\w])clip\s*:\s*rect\(\s*(?:[01](?:px)?[\s,]+){3}[01](?:px)?\s*\)"
                r"|clip-path\s*:\s*inset\(\s*50%", re.IGNORECASE).search, "clipped to nothing"),
    (re.compile(r"(?<![-\w])transform\s*:\s*scale\(\s*0(?:\.0+)?\s*(?:,\s*0(?:\.0+)?\s*)?\)",
                re.IGNORECASE).search, "scaled to nothing"),
    # fully or all but transparent (0.09 and below: no legible text)
    (re.compile(r"(?<![-\w])opacity\s*:\s*(?:0|0?\.0\d*)\s*(?:;|$|!)", re.IGNORECASE).search, "opacity:0"),
    (_transparent_text, "transparent text"),
]
_VISIBLE = re.compile(r"(?<![-\w])visibility\s*:\s*visible", re.IGNORECASE)
_COLOR = re.compile(r"(?<![-\w])color\s*:\s*([^;]+)", re.IGNORECASE)
_BG = re.compile(r"background(?:-color)?\s*:\s*([^;]+)", re.IGNORECASE)
# A rule's selectors start the text or follow a brace: checked first, so that text without braces is scanned once,
# not once per position (the same matches; unanchored, 60 KB of such text in a <style> took 3 s).
_CSS_RULE = re.compile(r"(?<![^{}])([^{}]+)\{([^{}]*)\}")
# .menu, #ad, div.menu, and a class with an escaped character (Tailwind's .md\:flex is the class "md:flex")
_CSS_ESCAPE = re.compile(r"\\(.)")
_WS = re.compile(r"[ \t\f\v\u00a0\u3000]+")
_LINK_MARK = "\x1f"  # marks where a link starts inside a run


SAME_COLOUR = "same colour as background"
# The sixteen colour names of HTML 4 (the ones legacy ``color``/``bgcolor`` attributes use); another name is
# not read, so text in it is never taken for hidden.
_NAMED_COLOURS = {
    "black": "#000000", "silver": "#c0c0c0", "gray": "#808080", "grey": "#808080", "white": "#ffffff",
    "maroon": "#800000", "red": "#ff0000", "purple": "#800080", "fuchsia": "#ff00ff", "green": "#008000",
    "lime": "#00ff00", "olive": "#808000", "yellow": "#ffff00", "navy": "#000080", "blue": "#0000ff",
    "teal": "#008080", "aqua": "#00ffff",
}
_HEX_COLOUR = re.compile(r"#?([0-9a-f]{3}|[0-9a-f]{6})")
_RGB_COLOUR = re.compile(r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*(?:1|1\.0*|100%)\s*)?\)")
TRANSPARENT = "transparent"
COLOUR_SEARCH_ELEMENTS = 32  # ancestors searched for a text colour and a background


def colour(value: str | None) -> str | None:
    """A CSS or HTML colour as ``#rrggbb``, :data:`TRANSPARENT`, or ``None`` when it cannot be read.

    ``#fff``, ``fff`` (old pages drop the ``#``), ``#FFFFFF``, ``rgb(255, 255, 255)`` and ``white``
    are all ``#ffffff``: text the colour of its background is hidden however the two are written.
    """
    if not value:
        return None
    value = value.replace("!important", "").strip().lower()
    if value in _NAMED_COLOURS:
        return _NAMED_COLOURS[value]
    if value in (TRANSPARENT, "none", "rgba(0,0,0,0)"):
        return TRANSPARENT
    match = _HEX_COLOUR.fullmatch(value)
    if match:
        digits = match.group(1)
        return "#" + (digits if len(digits) == 6 else "".join(d * 2 for d in digits))
    match = _RGB_COLOUR.fullmatch(value)
    if match and all(int(part) <= 255 for part in match.groups()):
        return "#" + "".join(f"{int(part):02x}" for part in match.groups())
    return None


def _declared_colours(el) -> tuple[str | None, str | None]:
    """``(text colour, background)`` that ``el`` itself declares, each as :func:`colour` reads it or
    ``None`` when it declares none; a background it declares but that cannot be read (an image, a
    gradient, a variable) is ``"?"``, which hides whatever is behind it."""
    style = el.get("style") or ""
    text = background = None
    if el.tag == "font" and el.get("color"):
        text = colour(el.get("color")) or "?"
    found = _COLOR.search(style)
    if found:
        text = colour(found.group(1)) or "?"
    if el.get("background"):  # <td background="bg.gif">
        background = "?"
    if el.get("bgcolor"):
        background = colour(el.get("bgcolor")) or "?"
    found = _BG.search(style)
    if found:
        background = colour(found.group(1)) or "?"
    return text, background


def same_colour_as_background(el) -> bool:
    """Whether the text of ``el`` is drawn in the colour of the background it sits on.

    The text colour is the nearest one declared on ``el`` or an ancestor (a ``<font color>`` or a
    ``color`` style); the background is the nearest declared one that is not transparent (a
    ``bgcolor`` attribute or a ``background`` style). Both must be declared in the page and read
    as the same colour: a background that is not declared (the browser's default white) or cannot
    be read hides nothing. The search stops at an element with a ``class`` or ``id``, because a
    stylesheet (one the service does not fetch, or a rule it does not read) may paint it: white
    captions over a picture sit in a classed box inside a white page. Called only for an element
    that declares one of the two, so most elements cost nothing, and through at most
    ``COLOUR_SEARCH_ELEMENTS`` ancestors (2,000 nested ``<font color>`` searched to the top took 2.6 s).
    """
    text = background = None
    for node in itertools.chain((el,), itertools.islice(el.iterancestors(), COLOUR_SEARCH_ELEMENTS)):
        node_text, node_background = _declared_colours(node) if len(node.attrib) else (None, None)
        if text is None and node_text is not None:
            text = node_text
        if background is None and node_background not in (None, TRANSPARENT):
            background = node_background
        if (text is not None and background is not None) or node.get("class") or node.get("id"):
            break
    return text is not None and text == background and text not in ("?", TRANSPARENT)


def hidden_reasons(style: str) -> set[str]:
    """Every reason an inline style hides its element for (:func:`hidden_reason` gives the first)."""
    if not style:
        return set()
    reasons = {reason for hides, reason in _HIDE_DECL if hides(style)}
    if hidden_reason(style) == SAME_COLOUR:
        reasons.add(SAME_COLOUR)
    return reasons


def hidden_reason(style: str) -> str | None:
    """Why an inline style hides its element, or ``None`` when it does not."""
    if not style:
        return None
    for hides, reason in _HIDE_DECL:
        if hides(style):
            return reason
    color, bg = _COLOR.search(style), _BG.search(style)
    if color and bg and colour(color.group(1)) == colour(bg.group(1)) not in (None, TRANSPARENT):
        return SAME_COLOUR
    return None


_BOX_SIZE = re.compile(r"(?<![-\w])(height|width)\s*:\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*(?:;|$|!)", re.IGNORECASE)
BOX_MIN_HEIGHT = 4  # a marquee or frame lower than this many pixels shows no readable line
BOX_MIN_WIDTH = 10  # ... or narrower than this many: not a character's width
MARQUEE_MAX_SCROLL = 1000  # pixels a step: the text crosses the screen between two frames


def _pixels(value: str | None) -> float | None:
    try:
        return float(value.strip().removesuffix("px")) if value else None
    except ValueError:
        return None


def box_hidden(el) -> str | None:
    """Why a ``<marquee>`` (or an ``<iframe>`` showing its ``srcdoc``) hides its text: a box too small to
    show a line, or a scroll so fast that the text crosses it between two frames. Hacked pages of the 2000s
    hid link lists this way (``<marquee height=1 width=4 scrollamount=3000 scrolldelay=20000>``, an iframe
    of width and height 0) and some still do."""
    sizes = {"height": _pixels(el.get("height")), "width": _pixels(el.get("width"))}
    for name, value in _BOX_SIZE.findall(el.get("style") or ""):
        sizes[name.lower()] = float(value)
    height, width = sizes["height"], sizes["width"]
    if (height is not None and height < BOX_MIN_HEIGHT) or (width is not None and width < BOX_MIN_WIDTH):
        return f"tiny {el.tag}"
    scroll = _pixels(el.get("scrollamount"))
    if scroll is not None and scroll >= MARQUEE_MAX_SCROLL:
        return "marquee too fast to read"
    return None


_AT_STATEMENT = re.compile(r"@[\w-]+[^;{}@]*;")  # an at-rule without a block: @charset, @import, @namespace
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)  # an unclosed comment runs to the end, as in a browser
# An at-rule block of style rules: its name, prelude and body (rules nested one level; a deeper block is
# resolved from the inside out, one level a pass).
_AT_BLOCK = re.compile(r"@([\w-]+)([^{};@]*)\{((?:[^{}]*\{[^{}]*\})*[^{}]*)\}")
_ALWAYS_ON_SCREEN = re.compile(r"\s*(?:only\s+)?(?:all|screen)?\s*", re.IGNORECASE)  # a media query without a condition
_MEDIA_TYPE = re.compile(r"\s*(?:only\s+)?([a-z-]+)", re.IGNORECASE)  # a query's media type, when it names one
# A size condition in either syntax: ``(min-width: 99999px)``, ``(min-device-width: 99999px)``, ``(width >= 99999px)``.
_SIZE_CONDITION = re.compile(r"\(\s*(?:(min|max)-(?:device-)?(?:width|height)\s*:|(?:width|height)\s*([<>]=?))"
                             r"\s*([\d.]+)\s*(px|r?em)?\s*\)", re.IGNORECASE)
# No screen is wider or taller than this many CSS pixels (an 8K display is 7,680), nor narrower than the other:
# a query past them applies on no screen, and a stylesheet cannot hide a rule's opposite behind one.
MAX_SCREEN_PX = 8192
MIN_SCREEN_PX = 100
AT_RULE_PASSES = 3


def _query_screens(query: str) -> str:
    """``"every"``, ``"some"`` or ``"none"``: on which screens one media query applies. Only ``all`` and
    ``screen`` are media types of a screen (``print``, ``speech``, ``tv``, ``handheld`` are not); a width or
    height no screen has (:data:`MAX_SCREEN_PX`) applies on none; a query on a width, a preference or ``not``
    applies on some."""
    if _ALWAYS_ON_SCREEN.fullmatch(query):
        return "every"
    kind = _MEDIA_TYPE.match(query)
    media = kind.group(1).lower() if kind else None
    if media == "not":
        return "some"
    if media not in (None, "all", "screen", "and"):
        return "none"
    for minmax, compare, number, unit in _SIZE_CONDITION.findall(query):
        try:
            px = float(number) * (16 if unit and unit.lower().endswith("em") else 1)
        except ValueError:  # "1.2.3"
            continue
        at_least = minmax.lower() == "min" or compare.startswith(">")
        if (at_least and px > MAX_SCREEN_PX) or (not at_least and px < MIN_SCREEN_PX):
            return "none"
    return "some"


def _screens(name: str, prelude: str) -> str:
    """``"every"``, ``"some"`` or ``"none"``: on which screens the rules of an at-rule block apply. Those of
    ``@supports`` and ``@layer`` on every one; of ``@container`` on some; of ``@media`` on the widest reach of its
    comma-separated queries (:func:`_query_screens`)."""
    name = name.lower()
    if name == "container":
        return "some"
    if name != "media":
        return "every"
    reach = {_query_screens(query) for query in prelude.split(",")}
    return next(screens for screens in ("every", "some", "none") if screens in reach)


def split_stylesheet(css: str) -> tuple[str, str]:
    """``(rules that apply on every screen, rules that apply on some)`` of a stylesheet: comments dropped
    (a comment before a rule hid the rule from the selector reading) and at-rule blocks resolved by
    :func:`_screens` (the rules of a block for no screen are dropped)."""
    if "/*" in css:
        css = _CSS_COMMENT.sub(" ", css)
    if "<!--" in css or "-->" in css:  # old pages wrap a stylesheet in an HTML comment, which CSS ignores
        css = css.replace("<!--", " ").replace("-->", " ")
    if "@" in css:  # @charset "utf-8"; @import url(a.css); before the first rule became part of its selector
        css = _AT_STATEMENT.sub(" ", css)
    sometimes: list[str] = []

    def resolve(match: re.Match) -> str:
        if "{" not in match.group(3):  # @font-face, @page: declarations, which became part of the next selector
            return " "
        screens = _screens(match.group(1), match.group(2))
        if screens == "every":
            return f" {match.group(3)} "
        if screens == "some":
            sometimes.append(match.group(3))
        return " "

    for _ in range(AT_RULE_PASSES):
        if "@" not in css:
            break
        css, n = _AT_BLOCK.subn(resolve, css)
        if not n:
            break
    return css, " ".join(sometimes)


_SHOWS = re.compile(r"(?<![-\w])(?:display\s*:\s*(?!none)[a-z]|visibility\s*:\s*visible)", re.IGNORECASE)
# One element's selector: an optional tag, then up to eight .class / #id names (``div.tab_con.on``).
_COMPOUND = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9]{0,15})?((?:[.#](?:[\w-]|\\[^\s0-9a-fA-F])+){1,8})\s*$")
_COMPOUND_NAME = re.compile(r"[.#](?:[\w-]|\\[^\s0-9a-fA-F])+")
# The same with no name required (``li``), for the parts of a descendant selector (``.nav li``).
_PART = re.compile(r"^([a-zA-Z][a-zA-Z0-9]{0,15})?((?:[.#](?:[\w-]|\\[^\s0-9a-fA-F])+){0,8})$")
_COMBINATOR = re.compile(r"\s*>\s*|\s+")
MAX_SELECTOR_PARTS = 8
MAX_ANCESTORS_MATCHED = 64  # ancestors a descendant selector's outer parts are looked for among


@dataclass(frozen=True)
class Compound:
    """One element's selector: ``tag`` ("" for any) and the ``.class`` / ``#id`` names it requires, sorted."""
    tag: str
    names: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.tag + "".join(self.names)

    @property
    def weight(self) -> tuple[int, int, int]:
        """CSS specificity: ids, classes, tags."""
        ids = sum(name[0] == "#" for name in self.names)
        return ids, len(self.names) - ids, int(bool(self.tag))

    def matches(self, tag: str, names: list[str]) -> bool:
        return (not self.tag or self.tag == tag) and all(name in names for name in self.names)


def _compound(tag: str | None, names: str) -> Compound:
    unescaped = {name[0] + (_CSS_ESCAPE.sub(r"\1", name[1:]) if "\\" in name else name[1:])
                 for name in _COMPOUND_NAME.findall(names)}
    return Compound((tag or "").lower(), tuple(sorted(unescaped)))


def _selector_rules(css: str, hiding: bool = True) -> Iterator[tuple[Compound, str | None, str]]:
    """``(selector, reason, declarations)`` for each one-element selector (``.menu``, ``#ad``, ``div.menu``,
    ``.tab_con.on``) of each rule that hides (when ``hiding``) or shows, in the sheet's order: the reason a rule
    hides, or ``None`` for one that shows (``display:block``, ``visibility:visible``; a rule before the one it
    outweighs shows too)."""
    for selectors, body in _CSS_RULE.findall(css):
        reason = hidden_reason(body) if hiding else None
        if not reason and not _SHOWS.search(body):
            continue
        for selector in selectors.split(","):
            match = _COMPOUND.match(selector)
            if match:
                yield _compound(match.group(1), match.group(2)), reason, body


def _undone_reasons(body: str) -> set[str]:
    """The hiding reasons a rule that shows undoes: ``display:block`` a ``display:none``, ``visibility:visible`` a
    ``visibility:hidden``."""
    return {reason for reason, shows in _INLINE_SHOWS.items() if shows.search(body)}


def _descendant_selector(selector: str) -> tuple[Compound, ...] | None:
    """``.nav li`` / ``ul.list > li.item`` as its parts, outermost first (``>`` read as any descendant), or
    ``None`` for a selector with other combinators, pseudo-classes or attributes."""
    parts = []
    for part in _COMBINATOR.split(selector.strip()):
        match = _PART.match(part)
        if not match or not (match.group(1) or match.group(2)) or len(parts) == MAX_SELECTOR_PARTS:
            return None
        parts.append(_compound(match.group(1), match.group(2)))
    return tuple(parts) or None


_SETS_OWN = re.compile(r"font-size|visibility", re.IGNORECASE)


def _ancestors_match(el, outer: tuple[Compound, ...]) -> bool:
    """Whether ``el``'s ancestors hold ``outer``'s parts in order (the nearest ancestor that matches the innermost
    part is taken first, which finds a match whenever one exists)."""
    remaining = len(outer)
    if not remaining:
        return True
    for ancestor in itertools.islice(el.iterancestors(), MAX_ANCESTORS_MATCHED):
        if isinstance(ancestor.tag, str) and outer[remaining - 1].matches(ancestor.tag, _class_and_id_names(ancestor)):
            remaining -= 1
            if not remaining:
                return True
    return False


@dataclass
class SheetHiding:
    """What the page's ``<style>`` elements hide on every screen, for the walk.

    ``hiders``: selector key (``.class``, ``#id``, ``div.a.b``: :attr:`Compound.key`) -> the reason it hides.
    ``compounds``: selector key -> its :class:`Compound`, for the hiding and the showing selectors.
    ``hidden_at``: hidden selector -> (the order of the rule that hid it, whether that rule is ``!important``).
    ``reasons``: hidden selector -> every reason its rule hides for (what a descendant's own style cannot undo).
    ``shown_at``: selector -> reason it undoes -> (the order of the last rule that shows it so, ``!important``):
    an element a selector hid is shown by another rule that selects it (:meth:`shown_later`).
    ``css``: the rules that apply on some screen at least, read for the font sizes and visibilities elements
    set for themselves (:meth:`undoes`).
    """

    hiders: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, set[str]] = field(default_factory=dict)
    hidden_at: dict[str, tuple[int, bool]] = field(default_factory=dict)
    shown_at: dict[str, dict[str, tuple[int, bool]]] = field(default_factory=dict)
    compounds: dict[str, Compound] = field(default_factory=dict)
    css: str = ""
    # selector keys under the first name of each: a lookup per name of an element finds each selector once
    _hiders_by_name: dict[str, list[str]] = field(default_factory=dict)
    _shows_by_name: dict[str, list[str]] = field(default_factory=dict)

    def hide(self, selector: Compound, reason: str, body: str, order: int) -> None:
        key = selector.key
        if key not in self.hiders:
            self._hiders_by_name.setdefault(selector.names[0], []).append(key)
        self.compounds[key] = selector
        self.hiders[key] = reason
        self.reasons[key] = hidden_reasons(body)
        self.hidden_at[key] = (order, "!important" in body)

    def show(self, selector: Compound, body: str, order: int) -> None:
        key = selector.key
        if key not in self.shown_at:
            self._shows_by_name.setdefault(selector.names[0], []).append(key)
            self.shown_at[key] = {}
        self.compounds[key] = selector
        for undone in _undone_reasons(body):
            self.shown_at[key][undone] = (order, "!important" in body)

    def hiding(self, tag: str, names: list[str]) -> Iterator[str]:
        """The keys of the hiding selectors that select an element (its ``tag`` and class and id ``names``)."""
        for name in names:
            for key in self._hiders_by_name.get(name, ()):
                if self.compounds[key].matches(tag, names):
                    yield key

    def shown_later(self, hidden_selector: str, tag: str, names: list[str]) -> bool:
        """Whether a rule that selects the element (its ``tag`` and class and id ``names``) shows what
        ``hidden_selector`` hid, as a browser's cascade decides: it shows the same property, and is
        ``!important`` where the hiding rule is not, or as important and of greater weight (an id outweighs
        classes, ``.tab_con.on`` outweighs ``.tab_con``, ``div.a`` outweighs ``.a``), or of the same weight and
        later."""
        if not self.shown_at:
            return False
        reason, (order, important) = self.hiders[hidden_selector], self.hidden_at[hidden_selector]
        weight = self.compounds[hidden_selector].weight
        for name in names:
            for key in self._shows_by_name.get(name, ()):
                shown = self.shown_at[key].get(reason)
                if not shown or not self.compounds[key].matches(tag, names):
                    continue
                if shown[1] != important:
                    if shown[1]:
                        return True
                    continue
                if self.compounds[key].weight > weight or (self.compounds[key].weight == weight and shown[0] > order):
                    return True
        return False

    @cached_property
    def _setters(self) -> dict[str, list[tuple[tuple[Compound, ...], frozenset[str]]]]:
        """Rules whose declarations an element inside a ``font-size:0`` or ``visibility:hidden`` ancestor shows
        itself by (:func:`_undoes`), under their innermost part's first name, or its tag when it names none."""
        setters: dict[str, list] = {}
        for selectors, body in _CSS_RULE.findall(self.css) if _SETS_OWN.search(self.css) else ():
            undone = frozenset(reason for reason in UNDOABLE_REASONS if _undoes(body, reason))
            if not undone:
                continue
            for selector in selectors.split(","):
                parts = _descendant_selector(selector)
                if parts:
                    inner = parts[-1]
                    setters.setdefault(inner.names[0] if inner.names else inner.tag, []).append((parts, undone))
        return setters

    def undoes(self, el, reason: str) -> bool:
        """Whether a stylesheet rule that selects ``el`` shows it inside an ancestor hidden for ``reason`` alone:
        ``.nav li{font-size:14px}`` under ``.nav{font-size:0}``, as :func:`_undoes` reads an inline style."""
        if not self.css or not self._setters:
            return False
        names = _class_and_id_names(el)
        for key in (*names, el.tag):
            for parts, undone in self._setters.get(key, ()):
                if reason in undone and parts[-1].matches(el.tag, names) and _ancestors_match(el, parts[:-1]):
                    return True
        return False


def _stylesheet_hiders(root) -> SheetHiding:
    """What ``<style>`` elements hide on every screen (:class:`SheetHiding`).

    Rules apply as in a browser's cascade: one that shows what another hid
    undoes it when it selects the element and outweighs the other
    (:meth:`SheetHiding.shown_later`). A selector hidden by a rule for every
    screen but shown by one for some (a menu hidden on phones by default and
    shown from a width up, written mobile first) is not hidden: a visitor on
    a wide screen sees it. A rule that hides only on some screens
    (``@media (max-width: 768px)``) hides nothing.
    """
    always, sometimes = [], []
    for style in root.iter("style"):
        # in a <noscript>: applies only without scripts; in a <template>: not applied until a script uses it
        if any(parent.tag in ("noscript", "template") for parent in style.iterancestors()):
            continue
        media = style.get("media")
        screens = _screens("media", media) if media and media.strip() else "every"  # media="print": none
        if screens == "none":
            continue
        every, some = split_stylesheet(style.text or "")
        if screens == "some":  # media="(max-width:768px)": all its rules apply on some screens
            every, some = "", f"{every} {some}"
        always.append(every)
        sometimes.append(some)
    sheet = SheetHiding(css=" ".join((*always, *sometimes)).strip())
    order = 0
    for css, on_every_screen in ((" ".join(always), True), (" ".join(sometimes), False)):
        if not css.strip() or not (on_every_screen or sheet.hiders):
            continue
        for selector, reason, body in _selector_rules(css, hiding=on_every_screen):
            order += 1
            if reason and on_every_screen:
                sheet.hide(selector, reason, body, order)
            elif not reason:
                sheet.show(selector, body, order)
    return sheet


_INLINE_SHOWS = {"display:none": re.compile(r"(?<![-\w])display\s*:\s*(?!none)[a-z]", re.IGNORECASE),
                 "visibility:hidden": _VISIBLE}


def _shows_itself(style: str, reason: str) -> bool:
    """Whether an element's inline ``style`` overrides a stylesheet rule (or the ``hidden`` attribute) that
    hid it for ``reason``: ``style="display:block"`` on the open tab of ``.tab{display:none}``."""
    return bool(style) and reason in _INLINE_SHOWS and bool(_INLINE_SHOWS[reason].search(style))


@dataclass
class _Run:
    parent: str
    path: str
    tag: str
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    n_links: int = 0
    n_offsite: int = 0
    hidden: str | None = None
    line_start: int = 0  # index in ``parts`` where the line after the last <br> starts
    line_link_chars: int = 0  # ``link_chars`` when that line started
    drop_format: bool = False  # the page's text holds invisible format characters: drop them from this run's
    element: int = 0  # which element's text this is (one number per block element), for _other_paragraph

    @cached_property
    def text(self) -> str:
        """The run's text with whitespace folded. Computed once: nothing reads it before the walk
        is over, and grouping reads it several times per run."""
        if not self.parts:  # many runs (text after a block element) stay empty
            return ""
        raw = "".join(self.parts)
        if self.drop_format:  # entities (&#8203;, &shy;) decode to invisible format characters
            raw = drop_format_characters(raw)
        # visible characters: not whitespace (the link mark U+001F is whitespace to str.split too),
        # counted only when the run has enough links to be a wall
        link_wall = self.n_links >= 3 and self.link_chars >= 0.7 * max(1, sum(map(len, raw.split())))
        # In a wall of links every link is an item (one line); in prose a link is inline text.
        raw = raw.replace(_LINK_MARK, "\n" if link_wall else " ")
        lines = [_WS.sub(" ", line).strip() for line in raw.split("\n")]
        return "\n".join(line for line in lines if line)


@dataclass(slots=True)
class _Open:
    """An element the walk is inside of: where its children and their text go."""
    el: object
    children: object  # iterator over the element's children
    path: str
    hidden: str | None
    in_link: bool
    parent_run: _Run | None  # the enclosing run, for a block element (which starts a run of its own)
    depth: int  # 1 for the element the walk started at
    undoable: bool = False  # hidden only for one reason in UNDOABLE_REASONS, by every element on the way down


def _class_and_id_names(el) -> list[str]:
    """``.class`` for each of the element's classes, then ``#id``: the names stylesheet rules select it by."""
    classes, el_id = el.get("class"), el.get("id")
    return [*(("." + cls for cls in classes.split()) if classes else ()), *(("#" + el_id,) if el_id else ())]


_NOT_PATH_ABSOLUTE = frozenset(("", "/", "\\", "\t", "\r", "\n"))


class _Walker:
    def __init__(self, base_url: str, sheet: SheetHiding):
        self.base_url = base_url
        self.host = (urlsplit(base_url).hostname or "").lower() if base_url else ""
        self.sheet, self.hiders = sheet, sheet.hiders
        self.runs: list[_Run] = []
        self._elements = 0  # block elements entered

    def _element_hidden(self, el) -> str | None:
        if el.tag == "dialog" and el.get("open") is None:  # shown only when a script opens it
            return "closed dialog"
        if el.tag == "noscript":  # shown only where scripts do not run: to crawlers, not to people
            return "noscript"
        if not len(el.attrib):  # most elements: no attribute, nothing can hide them
            return None
        style = el.get("style", "")
        if el.get("hidden") is not None and not _shows_itself(style, "display:none"):
            return "hidden attribute"  # not aria-hidden: it hides from screen readers, and is shown
        reason = hidden_reason(style)
        if reason:
            return reason
        if el.tag == "marquee" or el.tag == "iframe":
            reason = box_hidden(el)
            if reason:
                return reason
        if ((el.tag == "font" and el.get("color")) or el.get("bgcolor") or "olor" in style or "ackground" in style) \
                and same_colour_as_background(el):
            return SAME_COLOUR
        if not self.hiders:
            return None
        names = _class_and_id_names(el)
        for selector in self.sheet.hiding(el.tag, names):
            reason = self.hiders[selector]
            if not (_shows_itself(style, reason) and not self.sheet.hidden_at[selector][1]) \
                    and not self.sheet.shown_later(selector, el.tag, names):  # !important outweighs style=""
                return reason
        return None

    def _hiding_reasons(self, el, first: str | None) -> set[str]:
        """Every reason ``el`` itself hides for, as far as a descendant's undoing goes: ``first`` (what
        :meth:`_element_hidden` gave), those of its inline style and of each stylesheet rule on its classes and id.
        A child that sets its own font size shows itself inside ``font-size:0``, not inside
        ``font-size:0;left:-9999px``."""
        if first is None:
            return set()
        reasons = {first} | hidden_reasons(el.get("style", ""))
        for selector in self.sheet.hiding(el.tag, _class_and_id_names(el)):
            reasons |= self.sheet.reasons[selector]
        return reasons

    def _shows_itself_inside(self, el, hidden: str) -> bool:
        """Whether ``el`` shows itself inside an ancestor hidden for ``hidden`` alone: by its inline style
        (:func:`_undoes`), or, where that declares nothing of the kind, by a stylesheet rule that selects it
        (:meth:`SheetHiding.undoes`: ``.nav li{font-size:14px}`` under ``.nav{font-size:0}``)."""
        style = el.get("style", "")
        if _undoes(style, hidden):
            return True
        return not _declares(style, hidden) and self.sheet.undoes(el, hidden)

    def _is_offsite(self, href: str) -> bool:
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return False
        if href[0] == "/" and href[1:2] not in _NOT_PATH_ABSOLUTE:
            # "/path" on this site (most links): urljoin keeps the base's host, and urlsplit of the
            # href alone finds no host; urlsplit drops tabs and newlines, so "/\t/host" is not one
            return False
        try:
            if href.startswith(("http://", "https://")):
                # absolute (most off-site links): urljoin returns the href itself, or for the base's scheme
                # the href rebuilt from its own parts, with the same host either way
                host = (urlsplit(href).hostname or "").lower()
            else:
                host = (urlsplit(urljoin(self.base_url or "http://x/", href)).hostname or "").lower()
        except ValueError:
            return False
        if not self.host:
            return bool(urlsplit(href).hostname)
        return bool(host) and not (host == self.host or host.endswith("." + self.host)
                                   or self.host.endswith("." + host))

    def walk(self, el, path: str, run: _Run, hidden: str | None, in_link: bool) -> _Run:
        """Visit ``el`` and everything under it, in document order; return the run that text after it
        (its tail) belongs to.

        A loop over a stack of open elements, not recursion: a page may nest elements as deep as
        its size allows (unclosed ``<font>`` tags nest, one level each), further than Python's
        recursion limit.
        """
        run, top = self._enter(el, path, run, hidden, in_link, 1)
        if top is None:
            return run
        stack = [top]
        while stack:
            frame = stack[-1]
            child = next(frame.children, None)
            if child is None:  # the element is closed
                stack.pop()
                if frame.parent_run is not None:
                    # text after a block element continues the enclosing block in a new run
                    outer = frame.parent_run
                    run = self._new_run(outer.parent, outer.path, outer.tag, outer.hidden, outer.element)
                if stack and frame.el.tail:
                    self._add(run, frame.el.tail, stack[-1].in_link)
                continue
            if not isinstance(child.tag, str):  # comments, processing instructions
                if child.tail:
                    self._add(run, child.tail, frame.in_link)
                continue
            run, opened = self._enter(child, frame.path, run, frame.hidden, frame.in_link, frame.depth + 1,
                                      frame.undoable)
            if opened is not None:
                stack.append(opened)
            elif child.tail:  # a skipped element: its text is not read, the text after it is
                self._add(run, child.tail, frame.in_link)
        return run

    def _enter(self, el, path: str, run: _Run, hidden: str | None, in_link: bool,
               depth: int, undoable: bool = False) -> tuple[_Run, _Open | None]:
        """Open ``el``: its own text goes into the run it starts (a block element) or continues.

        Returns the run that the text after the opening tag belongs to, and the open element, or
        ``None`` for an element whose content is not page text (scripts, styles, forms' inputs).
        """
        tag = el.tag if isinstance(el.tag, str) else ""
        if (tag in SKIP_TAGS and not (tag == "iframe" and el.get(_SRCDOC_READ) is not None)) or not tag:
            return run, None
        shown_again = False
        if hidden and undoable and (len(el.attrib) or self.sheet.css):
            if self._hiding_reasons(el, self._element_hidden(el)) - {hidden}:  # hidden another way too: for good
                undoable = False
            elif self._shows_itself_inside(el, hidden):  # an item of a font-size:0 row sets its own size
                hidden, shown_again = None, True
        hides = None if hidden else self._element_hidden(el)
        if hides:
            undoable = hides in UNDOABLE_REASONS and self._hiding_reasons(el, hides) <= {hides}
        hidden = hidden or hides
        if depth < MAX_PATH_ELEMENTS:
            my_path = f"{path}/{tag}"
        elif depth == MAX_PATH_ELEMENTS:
            my_path = f"{path}/{DEEPER}"
        else:  # the path stops growing, so that a page of deep nesting holds no long path per element
            my_path = path
        parent_run = None
        if tag in BLOCK_TAGS or ((hides or shown_again) and tag not in EMPTY_TAGS):
            # a block element, or an inline one that hides what it holds (<span style="display:none"> inside a
            # paragraph): its text is a run of its own, so that hidden text is a hidden block, not part of a
            # visible one; so is one shown again inside a hidden one
            parent_run = run
            run = self._new_run(path, my_path, tag, hidden)
        if tag == "br":
            if _ends_paragraph(run):
                run = self._new_run(run.parent, run.path, run.tag, run.hidden, run.element)
            else:
                run.parts.append("\n")
                run.line_start, run.line_link_chars = len(run.parts), run.link_chars
        is_link = tag == "a"
        if is_link:
            if any(part.strip() for part in run.parts):
                run.parts.append(_LINK_MARK)
            run.n_links += 1
            run.n_offsite += self._is_offsite(el.get("href", ""))
        if el.text:
            self._add(run, el.text, in_link or is_link)
        return run, _Open(el, iter(el), my_path, hidden, in_link or is_link, parent_run, depth,
                          bool(hidden) and undoable)

    def _new_run(self, parent: str, path: str, tag: str, hidden: str | None, element: int | None = None) -> _Run:
        """A run of the block element ``element`` (a run of its own text before and after a child block, or past
        a <br> that ends a paragraph), or, when ``None``, of a block element the walk enters."""
        if element is None:
            element = self._elements = self._elements + 1
        run = _Run(parent=parent, path=path, tag=tag, hidden=hidden, element=element)
        self.runs.append(run)
        return run

    @staticmethod
    def _add(run: _Run, text: str, in_link: bool) -> None:
        run.parts.append(text)
        if in_link:
            run.link_chars += len(text.strip())


def _ends_paragraph(run: _Run) -> bool:
    """Whether a <br> here ends a paragraph, as a blank line or a long line does in text: after a blank line (a
    second <br> in a row), or after a line of prose (longer than a short run, and not mostly link text).

    Old CMS pages set paragraphs apart with <br> inside one element: read as one block, a spam paragraph
    appended to the article went unseen.
    """
    line = "".join(run.parts[run.line_start:])
    visible = len("".join(line.split()))  # the link mark is white space to str.split
    if not visible:
        return run.line_start > 0
    return visible > SHORT_RUN_CHARS and run.link_chars - run.line_link_chars < 0.5 * visible


def _linky(run: _Run) -> bool:
    return run.link_chars >= 0.5 * max(1, len(run.text))


def _other_paragraph(before: _Run, run: _Run) -> bool:
    """Whether two runs are in different elements one of which is a ``<p>``: a paragraph is a block of its own
    however short, as one set apart by blank lines is in text (merged with its short siblings, a spam chain of 20
    characters read as part of the article's closing lines: 161 of 400 chains put into real news pages were
    missed). Runs of one paragraph (its text on either side of an inline element) still merge."""
    return (before.tag == "p" or run.tag == "p") and before.element != run.element


def _group_runs(runs: list[_Run]) -> list[tuple[str, list[_Run]]]:
    """Merge consecutive short runs with the same parent (menus, lists) into one group."""
    groups: list[tuple[str, list[_Run]]] = []
    for run in runs:
        text = run.text
        if not text:
            continue
        short = len(text) <= SHORT_RUN_CHARS and "\n" not in text
        if "\n" in text and run.n_links >= 3 and run.tag != "pre":
            groups.append(("list", [run]))
            continue
        if run.tag in HEADING_TAGS:
            groups.append(("heading", [run]))
            continue
        prev_kind, prev = groups[-1] if groups else (None, None)
        mergeable = (short or run.tag == "li") and prev is not None and prev_kind in {"list", "lines", "single"}
        if mergeable and prev[-1].parent == run.parent and prev[-1].hidden == run.hidden and (
                len(prev[-1].text) <= SHORT_RUN_CHARS or prev[-1].tag == "li") and (
                _linky(prev[-1]) == _linky(run)) and not _other_paragraph(prev[-1], run):
            kind = "list" if run.tag == "li" or prev_kind == "list" else "lines"
            prev.append(run)  # in place: a copy per run made a long menu or table quadratic
            groups[-1] = (kind, prev)
        else:
            groups.append(("single" if (short or run.tag == "li") else "paragraph", [run]))
    resolved = []
    for kind, members in groups:
        if kind == "single":
            kind = "list" if members[0].tag == "li" else "lines"
        if kind == "lines" and all(member.tag == "p" for member in members):  # one paragraph (_other_paragraph)
            kind = "paragraph"
        resolved.append((kind, members))
    return resolved


# A script that only writes markup (`<script>document.write("<div style='display:none'>")</script>`): hacked pages
# hide link walls this way, opening the hiding element in one script and closing it in another, or write the links
# themselves. Such a script is replaced by the markup it writes, as a browser shows it.
_JS_LITERAL = r""""(?:[^"\\\n]|\\.)*+"|'(?:[^'\\\n]|\\.)*+'"""
_WRITE_NAME = re.compile(r"document\.write")
_SCRIPT_OPEN = re.compile(r"<script\b[^<>]*>\s*(?:<!--\s*)?\Z", re.IGNORECASE)  # right before the call
_WRITE_CALL = re.compile(  # one call; a script may make several in a row
    rf"document\.write(?:ln)?\s*\(\s*((?:{_JS_LITERAL})(?:\s*\+\s*(?:{_JS_LITERAL}))*+)\s*\)\s*;?\s*"
    r"(?://[^\n]*\n\s*)?")
_WRITE_SCRIPT_END = re.compile(r"(?:-->\s*)?</(?i:script)\s*>")
MAX_WRITE_CALLS = 50  # calls read in one script
_LITERAL = re.compile(_JS_LITERAL)
_JS_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\}|(.))", re.DOTALL)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\n", "b": "", "f": "", "v": "", "0": ""}
MAX_WRITES = 100  # scripts replaced per page; each is looked for within:
MAX_WRITE_CHARS = 20_000  # characters from its document.write to its </script>
SCRIPT_OPEN_CHARS = 300  # characters before it, for its <script> tag


def _js_char(match: re.Match) -> str:
    code = match.group(1) or match.group(2) or match.group(3)
    if code is None:
        return _JS_SIMPLE_ESCAPES.get(match.group(4), match.group(4))
    return chr(int(code, 16)) if int(code, 16) <= 0x10FFFF else "\ufffd"


def js_string(literal: str) -> str:
    """The value of a JavaScript string literal (quotes included) as written in the page."""
    return _JS_ESCAPE.sub(_js_char, literal[1:-1])


def written_markup(html: str) -> str:
    """``html`` with each ``<script>`` that only calls ``document.write`` on string literals replaced by the
    markup it writes.

    Conservative: the calls (one, or several in a row) must follow the
    opening tag (an HTML comment between them allowed) and end its script;
    any other code leaves the script as it is. A script that writes a stylesheet is left too: the
    scripts that write one often undo it (a tab library hides its panes
    until it draws them as tabs). Linear: each call is read within ``MAX_WRITE_CHARS``,
    and at most ``MAX_WRITES`` scripts are replaced.
    """
    if "document.write" not in html:
        return html
    out: list[str] = []
    last = writes = 0
    for name in _WRITE_NAME.finditer(html):
        start = name.start()
        if start < last:
            continue
        opener = _SCRIPT_OPEN.search(html, max(last, start - SCRIPT_OPEN_CHARS), start)
        if not opener:
            continue
        written, end, bound = [], start, start + MAX_WRITE_CHARS
        while len(written) < MAX_WRITE_CALLS and (call := _WRITE_CALL.match(html, end, bound)):
            written.append("".join(js_string(lit) for lit in _LITERAL.findall(call.group(1))))
            end = call.end()
        closer = _WRITE_SCRIPT_END.match(html, end, bound) if written else None
        markup = "".join(written)
        if closer and "<style" not in markup.lower():
            out.append(html[last:opener.start()])
            out.append(markup)
            last = closer.end()
            writes += 1
            if writes == MAX_WRITES:
                break
    return "".join(out) + html[last:] if out else html


# libxml2 checks each attribute of a tag against the tag's others: the parse is quadratic in their number (25,000
# attributes on one tag took 1.6 s, 100,000 took 100 s). No real tag carries a thousand.
MAX_TAG_ATTRIBUTES = 1000
_TAG_NAME = re.compile(r"</?[A-Za-z][A-Za-z0-9:_-]{0,63}")


def _drop_stuffed_attributes(html: str) -> str:
    """``html`` with the attributes of any tag holding more than ``MAX_TAG_ATTRIBUTES`` left out (the tag kept).

    Linear: a tag is what follows the last ``<`` of a stretch between two
    ``>``, and its attributes are counted by their ``=`` signs. A page with
    fewer ``=`` than that in all is returned as it is.
    """
    if html.count("=") <= MAX_TAG_ATTRIBUTES:
        return html
    pieces = html.split(">")
    changed = False
    for i, piece in enumerate(pieces):
        if piece.count("=") <= MAX_TAG_ATTRIBUTES:
            continue
        lt = piece.rfind("<")
        name = _TAG_NAME.match(piece, lt) if lt >= 0 else None
        if name and piece.count("=", lt) > MAX_TAG_ATTRIBUTES:
            pieces[i] = piece[:lt] + name.group(0)
            changed = True
    return ">".join(pieces) if changed else html


_parsers = threading.local()


def _parser() -> lxml.html.HTMLParser:
    """This thread's HTML parser (lxml serialises the threads that share one parser).

    ``huge_tree``: libxml2's default stops at 256 open elements and drops the rest of the page
    in silence.
    """
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = lxml.html.HTMLParser(huge_tree=True)
    return parser


_VOID_TAGS = {"input", "embed"}  # skipped elements that have no end tag


class _MarkupText(TagStream):
    """The text of HTML read as a stream of tags, with no tree and so no depth: a line break at each
    block element, nothing from the elements whose content is not page text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the skipped elements open around the current position

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS and tag not in _VOID_TAGS:
            self.skipping.append(tag)
        elif tag in BLOCK_TAGS or tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def markup_text(html: str) -> str:
    """The page text of HTML too deeply nested for libxml2, which stops at 2,048 open elements even
    with ``huge_tree``: blocks are lines, whitespace folded, no element paths, links or hiding."""
    reader = _MarkupText()
    reader.feed(html)
    reader.close()
    lines = (_WS.sub(" ", line).strip() for line in "".join(reader.parts).split("\n"))
    return "\n\n".join(line for line in lines if line)


def _too_deep(parser: lxml.html.HTMLParser) -> bool:
    return any(error.type_name == "ERR_RESOURCE_LIMIT" and "depth" in error.message
               for error in parser.error_log)


# Hacked pages append their link wall after </html>: a browser shows it at the end of the body, and libxml2 dropped
# it. Without the end tags the body runs to the end of the page, as in a browser.
_BODY_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
# An XML declaration opening the page (XHTML): lxml refuses decoded text that declares an encoding, and the page
# read as empty, a spam page so prefixed as clean.
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*>", re.IGNORECASE)


# An <iframe srcdoc> shows the HTML of its srcdoc attribute inside the page (a link wall so framed was not
# read at all). Its document's body becomes the frame's content, marked so the walk reads it, for at most this
# many frames and characters of each, nested at most this deep.
SRCDOC_MAX_FRAMES = 20
SRCDOC_MAX_CHARS = 200_000
SRCDOC_MAX_DEPTH = 3
_SRCDOC_READ = "data-pagesieve-srcdoc"


def _read_srcdocs(root, parser) -> None:
    """Put the body of each ``<iframe srcdoc>``'s document in place of the frame's fallback content."""
    read = 0
    for _ in range(SRCDOC_MAX_DEPTH):
        frames = [el for el in root.iter("iframe") if el.get("srcdoc") and el.get(_SRCDOC_READ) is None]
        if not frames:
            return
        for frame in frames:
            if read >= SRCDOC_MAX_FRAMES:
                return
            read += 1
            frame.set(_SRCDOC_READ, "")
            srcdoc = _XML_DECLARATION.sub("", frame.get("srcdoc")[:SRCDOC_MAX_CHARS], count=1)
            try:
                doc = lxml.html.document_fromstring(srcdoc, parser=parser) if srcdoc.strip() else None
            except (etree.ParserError, ValueError):
                doc = None
            for child in list(frame):  # the fallback content, for browsers without frames
                frame.remove(child)
            frame.text = None
            body = doc.find("body") if doc is not None else None
            if body is not None:
                frame.text = body.text
                frame.extend(list(body))


# A script that only sets elements' display by id, after them (`<div id="x">…links…</div>
# <script>document.getElementById("x").style.display="none"</script>`): hacked pages hide link walls this way.
# Such a script is run as a browser runs it, on the inline style of the first element before it with that id.
_JS_ELEMENT = (r"""document\.getElementById\(\s*(["'])([\w-]{1,100})\1\s*\)"""
               r"""|document\.all\.([A-Za-z_]\w{0,99})|document\.all\[\s*(["'])([\w-]{1,100})\4\s*\]"""
               r"""|document\.querySelector\(\s*(["'])#([\w-]{1,100})\6\s*\)""")
_JS_JQUERY = r"""(?:\$|jQuery)\(\s*(["'])#([\w-]{1,100})\1\s*\)"""
# Each statement: (pattern, the groups one of which holds the id, the group holding the property (None: display),
# the group holding the value or the jQuery method).
_DISPLAY_STATEMENTS = (
    (re.compile(rf"""(?:{_JS_ELEMENT})\.style\.(display|visibility)\s*=\s*(["'])([a-z-]{{1,20}})\9\s*;?"""),
     (2, 3, 5, 7), 8, 10),
    (re.compile(rf"""{_JS_JQUERY}\.(hide|show)\(\s*\)\s*;?"""), (2,), None, 3),
    (re.compile(rf"""{_JS_JQUERY}\.css\(\s*(["'])(display|visibility)\3\s*,\s*(["'])([a-z-]{{1,20}})\5\s*\)\s*;?"""),
     (2,), 4, 6),
)
_JS_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*|<!--|-->", re.DOTALL)
_DECLARATIONS = {prop: re.compile(rf"(?<![-\w]){prop}\s*:[^;]*;?", re.IGNORECASE) for prop in ("display", "visibility")}
_DISPLAY_NAMES = ("style.display", "style.visibility", ".hide(", ".show(", ".css(")
_JQUERY_DISPLAY = {"hide": "none", "show": "block"}  # the display jQuery's hide() and show() set
MAX_DISPLAY_SCRIPT_CHARS = 4_000  # a longer script is not read as one


def _display_statement(code: str, pos: int) -> tuple[str, str, int] | None:
    """``(id, css declaration, end)`` of the show-or-hide statement at ``pos`` of ``code``, if there is one."""
    for pattern, id_groups, property_group, value_group in _DISPLAY_STATEMENTS:
        match = pattern.match(code, pos)
        if match:
            el_id = next(match.group(g) for g in id_groups if match.group(g))
            prop = match.group(property_group) if property_group else "display"
            value = _JQUERY_DISPLAY.get(match.group(value_group), match.group(value_group))
            return el_id, f"{prop}:{value}", match.end()
    return None


def display_statements(script: str) -> list[tuple[str, str]] | None:
    """``(id, css declaration)`` for each statement of a script that does nothing but show or hide
    elements by id (``display:none``, ``visibility:hidden``, ``display:block``; jQuery's ``hide()`` is
    ``display:none``), or ``None`` when the script does anything else."""
    if len(script) > MAX_DISPLAY_SCRIPT_CHARS:
        return None
    code = _JS_COMMENTS.sub(" ", script).strip()
    if not code:
        return None
    found, pos = [], 0
    while pos < len(code):
        statement = _display_statement(code, pos)
        if statement is None:
            return None
        found.append(statement[:2])
        pos = statement[2]
        while pos < len(code) and code[pos].isspace():
            pos += 1
    return found


# The same statements run once the page has loaded, on every element of it: $(function(){…}),
# $(document).ready(function(){…}), jQuery(function($){…}), window.onload = function(){…}.
_ON_LOAD = re.compile(r"""\A(?:(?:\$|jQuery)\(\s*(?:document\s*\)\s*\.ready\(\s*)?function\s*\(\s*\$?\s*\)\s*\{(.*)\}\s*\)"""
                      r"""|window\.onload\s*=\s*function\s*\(\s*\)\s*\{(.*)\})\s*;?\s*\Z""", re.DOTALL)


def on_load_statements(script: str) -> list[tuple[str, str]] | None:
    """The show-or-hide statements of a script that only runs them once the page has loaded (inside
    ``$(function(){…})`` or ``window.onload = function(){…}``), or ``None``."""
    if len(script) > MAX_DISPLAY_SCRIPT_CHARS:
        return None
    wrapped = _ON_LOAD.match(_JS_COMMENTS.sub(" ", script).strip())
    return display_statements(wrapped.group(1) or wrapped.group(2) or "") if wrapped else None


def _run_display_scripts(root) -> None:
    """Apply each script that only shows or hides elements by id to the inline style of the element it
    names, as a browser runs it while parsing: the first element with that id before the script; an
    element after it does not exist yet, and is left alone. The tree is walked only when some script
    is such a script (about half the pages have a script that names ``.css(`` or ``.show(``)."""
    statements, on_load = {}, []
    for script in root.iter("script"):
        if script.text and any(name in script.text for name in _DISPLAY_NAMES):
            found = display_statements(script.text)
            if found:
                statements[script] = found
            else:
                on_load.extend(on_load_statements(script.text) or ())
    if not statements and not on_load:
        return
    seen: dict[str, object] = {}
    for el in root.iter():
        el_id = el.get("id") if isinstance(el.tag, str) else None
        if el_id and el_id not in seen:
            seen[el_id] = el
        for target_id, declaration in statements.get(el, ()):
            _set_display(seen.get(target_id), declaration)
    for target_id, declaration in on_load:  # the page has loaded: every element exists
        _set_display(seen.get(target_id), declaration)


def _set_display(target, declaration: str) -> None:
    """Set ``declaration`` in the element's inline style, in place of its own for that property."""
    if target is not None:
        prop = declaration.split(":", 1)[0]
        kept = _DECLARATIONS[prop].sub("", target.get("style", "")).strip().rstrip(";")
        target.set("style", f"{kept};{declaration}" if kept else declaration)


def page_from_html(html: str, url: str = "", charset: str | None = None) -> Page:
    """Parse decoded HTML into a :class:`Page` (the text is already decoded, so an XML declaration's encoding
    is dropped with the declaration)."""
    html = _XML_DECLARATION.sub("", html.lstrip("\ufeff"), count=1)
    html = _drop_stuffed_attributes(written_markup(html))
    html = _BODY_END.sub(" ", html)  # content after </body> or </html> is the body's (libxml2 dropped it)
    parser = _parser()
    try:
        root = lxml.html.document_fromstring(html, parser=parser) if html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return Page(text="", blocks=[], url=url, source="html", charset=charset)
    title_el = root.find(".//title")
    title = _WS.sub(" ", drop_format_characters(title_el.text_content())).strip() if title_el is not None else ""
    if _too_deep(parser):  # libxml2 stopped: the tree holds the start of the page only
        text = "\n\n".join(part for part in (title, drop_format_characters(markup_text(html))) if part)
        page = replace(page_from_text(text, url), source="html", charset=charset)
        if title:
            page.title = title[:300]
        return page
    if "srcdoc" in html:  # after _too_deep: parsing a srcdoc clears the parser's error log
        _read_srcdocs(root, parser)
    _run_display_scripts(root)
    keywords = " ".join(m.get("content", "") for m in root.iter("meta")
                        if (m.get("name") or "").lower() in {"keywords", "description"})
    walker = _Walker(url, _stylesheet_hiders(root))
    body = root.find("body")
    start = walker._new_run("", "html", "html", None)
    walker.walk(body if body is not None else root, "html", start, None, False)
    if has_format_characters("".join(part for run in walker.runs for part in run.parts)):  # one scan a page
        for run in walker.runs:
            run.drop_format = True

    texts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    if title:
        texts.append(title)
        blocks.append(Block(index=0, start=0, end=len(title), text=title, kind="title",
                            items=[title], path="html/head/title"))
        offset = len(title) + 2
    for kind, group in _group_runs(walker.runs):
        block_text = "\n".join(run.text for run in group)
        items = block_text.split("\n")
        blocks.append(Block(
            index=len(blocks), start=offset, end=offset + len(block_text), text=block_text,
            kind=kind, items=items, path=group[0].path if len(group) == 1 else group[0].parent,
            link_chars=sum(r.link_chars for r in group), n_links=sum(r.n_links for r in group),
            n_offsite_links=sum(r.n_offsite for r in group),
            hidden=next((r.hidden for r in group if r.hidden), None),
        ))
        texts.append(block_text)
        offset += len(block_text) + 2
    text = "\n\n".join(texts)
    if blocks and not title:
        title = guess_title(blocks)
    return Page(text=text, blocks=blocks, url=url, title=title[:300], source="html",
                charset=charset, meta_keywords=keywords[:2000])
