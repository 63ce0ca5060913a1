"""Recipes on real HTML pages: as served, as a text rendition, and hacked.

Real pages keep their real boilerplate; block labels come from the gold
article text (English benchmark) or from the silver content mask
(:func:`training.pools.content_mask`). Hacks insert spam the way it is
found in the wild: a hidden block of links (inline ``display:none``, an
off-screen position, or a ``<style>`` rule on a random class), a visible
keyword line at the top of the body, or a wall of off-site links.
"""

from __future__ import annotations

import html as htmllib
import random
import re

from service.analysis.htmlblocks import page_from_html
from training.corpora import Doc
from training.examples import Example
from training.pools import content_mask, load_html_doc, site_split
from training.recipes import Composer
from training.urls import ordinary_url

_BODY_OPEN = re.compile(r"<body[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)
HIDERS = ('style="display:none"', 'style="position:absolute;left:-9999px;top:-9999px"',
          'style="font-size:1px;color:#fff;background-color:#fff"', 'style="visibility:hidden"')


class HtmlComposer(Composer):
    def _load(self, doc: Doc):
        html, _ = load_html_doc(doc)
        url = doc.meta.get("url") or ordinary_url(doc.site, self.rng, doc.lang)
        page = page_from_html(html, url=url)
        gold = doc.text if doc.lang == "en" else None
        return html, url, page, content_mask(page.blocks, gold)

    def clean_html(self, doc: Doc) -> Example:
        """A real page as served (HTML) or as a store's text rendition of it."""
        html, url, page, mask = self._load(doc)
        if self.rng.random() < 0.5:
            return Example(example_id=self.new_id("clean_html"), split=self.split, site=doc.site,
                           recipe="clean_html", lang=doc.lang, labels=[], url=url, html=html, content_mask=mask)
        spans = [(b.start, b.end, "boilerplate") for b, m in zip(page.blocks, mask) if not m]
        cut = self.rng.randint(600, 2200) if self.rng.random() < 0.5 else len(page.text)
        text = page.text[:cut]
        spans = [(s, min(e, cut), lab) for s, e, lab in spans if s < cut]
        return Example(example_id=self.new_id("clean_html_text"), split=self.split, site=doc.site,
                       recipe="clean_html_text", lang=doc.lang, labels=[], url=url, text=text, spans=spans)

    def _insert(self, html: str, fragment: str, where: str) -> str:
        if where == "top":
            m = _BODY_OPEN.search(html)
            return html[:m.end()] + fragment + html[m.end():] if m else fragment + html
        m = _BODY_CLOSE.search(html)
        return html[:m.start()] + fragment + html[m.start():] if m else html + fragment

    def injected_html(self, doc: Doc) -> Example:
        html, url, page, mask = self._load(doc)
        rng = self.rng
        marks = []
        if rng.random() < 0.6:  # hidden block of spam links
            terms = self.chain().replace(",", "_").split(rng.choice(("_", "_"))) if rng.random() < 0.5 else \
                [self.spam_term(rng.choice(("gambling", "porn", "advert"))) for _ in range(rng.randint(3, 12))]
            terms = [t for t in terms if t.strip()][:15] or [self.spam_term()]
            domain = rng.choice(self.pools.terms(self.split, "url"))
            links = "".join(f'<a href="http://{domain}/{i}">{htmllib.escape(t)}</a> ' for i, t in enumerate(terms))
            if rng.random() < 0.3:
                cls = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(5))
                fragment = f"<style>.{cls}{{display:none}}</style><div class=\"{cls}\">{links}</div>"
            else:
                fragment = f"<div {rng.choice(HIDERS)}>{links}</div>"
            marks = [("injected_spam", t) for t in terms]
            recipe = "injected_html_hidden"
        else:  # visible keyword line
            chain = self.chain()
            fragment = f"<p>{htmllib.escape(chain)}</p>"
            marks = [("injected_spam", chain)]
            recipe = "injected_html_visible"
        html = self._insert(html, fragment, rng.choice(("top", "bottom")))
        ex = Example(example_id=self.new_id(recipe), split=self.split, site=doc.site, recipe=recipe, lang=doc.lang,
                     labels=["injected_spam"], url=url, html=html, marks=marks)
        return self._with_mask(ex, doc)

    def farm_html(self, doc: Doc) -> Example:
        html, url, page, mask = self._load(doc)
        items = self.headlines(self.rng.randint(20, 80)) if doc.lang == "zh" else \
            [q for q in self.rng.sample(self.pools.en_queries[self.split], min(25, len(self.pools.en_queries[self.split])))]
        domains = self.pools.terms(self.split, "url")
        links = "".join(f'<li><a href="http://{self.rng.choice(domains)}/{i}.html">{htmllib.escape(t)}</a></li>'
                        for i, t in enumerate(items))
        html = self._insert(html, f"<ul>{links}</ul>", "bottom")
        ex = Example(example_id=self.new_id("farm_html"), split=self.split, site=doc.site, recipe="farm_html",
                     lang=doc.lang, labels=["link_farm"], url=url, html=html,
                     marks=[("link_farm", t) for t in items])
        return self._with_mask(ex, doc)

    def _with_mask(self, ex: Example, doc: Doc) -> Example:
        """Content mask of the hacked page, recomputed on the modified HTML (blocks shifted)."""
        page = ex.build()
        ex.content_mask = content_mask(page.blocks, doc.text if doc.lang == "en" else None)
        return ex


def html_docs_for(split: str, docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d.kind == "html" and site_split(d.site) == split]


def random_html(rng: random.Random, docs: list[Doc]) -> Doc:
    return rng.choice(docs)
