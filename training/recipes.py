"""Recipes that compose labelled pages from real parts, the way spam arrives.

Clean pages and their legitimate look-alikes (related-article boxes, real
menus, real list pages, numbered officialese) sit on one side; on the other,
spam strings from the real lexicons inserted where hacks put them (title,
top, end, middle, hidden), gambling names substituted for an institution's
own (some coined, as no lexicon holds them), walls and feeds of real but
unrelated headlines, doorway stubs, pages stitched from unrelated stories
(snippets or whole items), machine-written filler (some in a template
explainer's scaffold) and document-farm compilations.
"""

from __future__ import annotations

import random
import re

from training.corpora import Doc
from training.examples import Example, TextBuilder, labels_after_cut
from training.pools import Boilerplate, Pools, paragraphs_of
from training.urls import ordinary_url, stub_url, throwaway_url

CHAIN_SEPARATORS = ("_", "_", ",", "，", "丨", "|", " ", "、", "-")
# Suffixes that gambling brands carry on hacked pages ("永利集团", "金沙手机网投app", "蓝冠注册").
BRAND_SUFFIXES = ("", "集团", "集团网站", "唯一官方网址", "手机网投app", "注册", "官网", "娱乐", "平台", "网址",
                  "官方网站", "app下载", "娱乐场", "网投", "登录")
# The suffixes that mark a made-up name as a gambling site's. Not "集团", "国际", "官网" or "平台": a legitimate
# company or school carries those too ("澳门创世企业集团"), and a coined name must not teach otherwise.
COINED_SUFFIXES = ("集团网站", "唯一官方网址", "手机网投app", "注册", "娱乐", "娱乐场", "网投", "手机版登录入口", "app下载",
                   "彩票", "娱乐城", "网投平台")
BULLETS = ("- • ", "• ", "· ", "", "", "- ", "")
# Markers that document farms wrap around stitched documents (LABELS.md: 范文/范本,
# "格式:docx 文档页数:4", "还剩N页未读"). The documents inside are real corpus texts.
DOCFARM_HEADERS = ("格式:docx\n大小:{kb}.00 KB\n文档页数:{pages}", "已阅读{read}页,还剩{left}页未读 继续免费阅读",
                   "还剩{left}页未读,继续阅读", "本资源只提供{read}页预览,全部文档请下载后查看!",
                   "下载本文档\n版权说明:本文档由用户提供并上传,收益归属内容提供方")
DOCFARM_TITLES = ("{t}范文", "{t}(精选{n}篇)", "{t}样例{cn}篇", "{t}范本", "关于{t}的心得体会{n}篇", "{t}大全")
DOCFARM_PART = ("篇{n}", "第{cn}篇:{t}", "{t}_第{n}页", "【篇{n}】{t}")
CN_NUM = "一二三四五六七八九十"
# The scaffold of template explainers (LABELS.md: stock phrases, numbered "measures", the headline restated):
# ordinal openers for the body paragraphs, a summing-up opener for the last one.
SCAFFOLD_STEPS = (("首先,", "其次,", "再次,", "最后,"), ("首先,", "其次,", "再者,", "此外,", "最后,"),
                  ("第一,", "第二,", "第三,", "第四,", "第五,"), ("一是", "二是", "三是", "四是", "五是"),
                  ("一方面,", "另一方面,", "此外,", "同时,"))
SCAFFOLD_ENDS = ("综上所述,", "总之,", "总而言之,", "总的来说,", "由此可见,")
HEADING_NUMBERS = ("{cn}、", "{n}、", "({cn})", "{n}.")
ORG_RE = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:大学|学院|医院|中学|小学|公司|集团|中心|学校|委员会|协会|研究所)")


class Composer:
    def __init__(self, pools: Pools, split: str, rng: random.Random):
        self.pools, self.split, self.rng = pools, split, rng
        self.counter = 0

    # -- parts ---------------------------------------------------------------
    def chain(self, categories=("porn", "porn", "porn", "gambling", "advert", "illicit")) -> str:
        category = self.rng.choice(categories)
        terms = self.pools.terms(self.split, category)
        k = self.rng.randint(3, 14)
        if self.rng.random() < 0.5:  # phrases recombined from the terms' words, as real chains are written
            dilute = self.rng.random() < 0.6
            picked = [self.phrase(category, dilute) for _ in range(k)]
        else:
            picked = self.rng.sample(terms, min(k, len(terms)))
        if self.rng.random() < 0.2:
            picked += self.rng.sample(self.pools.terms(self.split, "url"), 1)
        return self.rng.choice(CHAIN_SEPARATORS).join(picked)

    def phrase(self, category: str, dilute: bool = False) -> str:
        """2-4 words of the category's real terms, drawn by how often they occur in them.

        ``dilute``: some of the words are ordinary headline words instead, as
        real chains mix spam words with common ones ("人妻体内射精一区二区三区").
        """
        words = self.pools.term_words[self.split][category] or self.pools.terms(self.split, category)
        ordinary = self.pools.ordinary_words.get(self.split) or words
        n = self.rng.randint(2, 4)
        picked = [self.rng.choice(ordinary if dilute and i > 0 and self.rng.random() < 0.5 else words)
                  for i in range(n)]
        self.rng.shuffle(picked)
        return "".join(picked)

    def brand(self) -> str:
        """A gambling name as it replaces an institution's own ("永利集团", "金沙网投").

        A quarter are names no lexicon holds, coined as spam networks coin
        them ("888集团网站", "蓝冠注册"), so that what is learnt is how such a
        name is built and where it sits, not the name itself.
        """
        draw = self.rng.random()
        if draw < 0.25:
            return self.coined_brand()
        if not self.pools.brands or draw < 0.45:
            return self.spam_term("gambling")
        return self.rng.choice(("", "", "", "澳门", "新")) + self.rng.choice(self.pools.brands) + \
            self.rng.choice(BRAND_SUFFIXES)

    def coined_brand(self) -> str:
        """A made-up gambling name: a number, or two characters of unrelated words, then a gambling suffix."""
        rng = self.rng
        if rng.random() < 0.4:
            digit = rng.choice("0123456789")
            name = digit * 3 if rng.random() < 0.5 else "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 4)))
        else:
            words = [w for w in self.pools.ordinary_words.get(self.split, []) if len(w) >= 2] or ["蓝天", "皇冠"]
            first, second = rng.sample(words, 2) if len(words) >= 2 else (words[0], words[0])
            name = first[0] + second[-1]
        return name + rng.choice(COINED_SUFFIXES)  # no "澳门" in front: Macau's own institutions are named so

    def spam_term(self, category: str = "gambling") -> str:
        term = self.rng.choice(self.pools.terms(self.split, category))
        return term + self.rng.choice(("", "", "官网", "app", "平台", "注册", "登录入口"))

    def headlines(self, n: int) -> list[str]:
        pool = self.pools.headlines[self.split]
        return [d.text for d in self.rng.sample(pool, n)]

    def related(self, title: str, n: int) -> list[str]:
        """Headlines sharing words with ``title``: a coherent on-site related box."""
        bigrams = {title[i:i + 2] for i in range(len(title) - 1)}
        pool = self.pools.headlines[self.split]
        start = self.rng.randrange(len(pool))
        scored = []
        for d in pool[start:start + 4000] + pool[:max(0, start + 4000 - len(pool))]:
            score = sum(1 for i in range(len(d.text) - 1) if d.text[i:i + 2] in bigrams)
            if score >= 2:
                scored.append((score, d.text))
        scored.sort(reverse=True)
        return [t for _, t in scored[:n]]

    def boilerplate(self, lang: str) -> Boilerplate | None:
        donors = [b for b in self.pools.boilerplate[self.split] if b.lang == lang]
        return self.rng.choice(donors) if donors else None

    def new_id(self, recipe: str) -> str:
        self.counter += 1
        return f"{self.split}-{recipe}-{self.counter}"

    # -- assembly ------------------------------------------------------------
    def article(self, b: TextBuilder, doc: Doc, wrap: Boilerplate | None, title: str | None = None,
                paragraphs: list[str] | None = None) -> list[str]:
        """Header boilerplate, title, paragraphs; returns the paragraphs (footer added by caller)."""
        if wrap:
            for block in wrap.header[-self.rng.randint(1, 4):]:
                b.add("\n".join(block), "boilerplate")
        title = doc.title if title is None else title
        if title:
            b.add(title)
        paragraphs = paragraphs or paragraphs_of(doc.text, self.rng)
        for para in paragraphs:
            b.add(para)
        return paragraphs

    def footer(self, b: TextBuilder, wrap: Boilerplate | None) -> None:
        if wrap:
            for block in wrap.footer[:self.rng.randint(1, 4)]:
                b.add("\n".join(block), "boilerplate")

    def finish(self, recipe: str, doc: Doc, b: TextBuilder, labels: set[str], span_borne: set[str],
               url: str | None = None, cut: bool | None = None) -> Example:
        cut_at = None
        if cut if cut is not None else self.rng.random() < 0.55:
            cut_at = self.rng.randint(350, 2200)
        text, spans = b.text(cut_at)
        if url is None:
            url = "" if self.rng.random() < 0.3 else ordinary_url(doc.site, self.rng, doc.lang)
        return Example(example_id=self.new_id(recipe), split=self.split, site=doc.site, recipe=recipe,
                       lang=doc.lang, labels=labels_after_cut(spans, labels, span_borne), url=url,
                       text=text, spans=spans)

    def builder(self) -> TextBuilder:
        return TextBuilder(self.rng, nfkc=self.rng.random() < 0.7)

    def maybe_wrap(self, doc: Doc, p: float = 0.6) -> Boilerplate | None:
        return self.boilerplate(doc.lang) if self.rng.random() < p else None

    # -- clean and look-alikes -----------------------------------------------
    def clean_article(self, doc: Doc) -> Example:
        b = self.builder()
        wrap = self.maybe_wrap(doc)
        self.article(b, doc, wrap)
        if doc.title and self.rng.random() < 0.25:
            items = self.related(doc.title, self.rng.randint(3, 10))
            if len(items) >= 3:
                prefix = self.rng.choice(BULLETS)
                b.add(self.rng.choice(("相关阅读", "相关新闻", "推荐阅读", "延伸阅读")), "boilerplate")
                b.add("\n".join(prefix + t for t in items), "boilerplate")
        self.footer(b, wrap)
        return self.finish("clean_article", doc, b, set(), set())

    def clean_short(self, doc: Doc) -> Example:
        b = self.builder()
        wrap = self.maybe_wrap(doc, 0.3)
        if wrap:
            for block in wrap.header[-2:]:
                b.add("\n".join(block), "boilerplate")
        b.add(doc.text)
        return self.finish("clean_short", doc, b, set(), set(), cut=False)

    # -- injected spam ---------------------------------------------------------
    def injected(self, doc: Doc) -> Example:
        b = self.builder()
        wrap = self.maybe_wrap(doc, 0.5)
        where = self.rng.choice(("top", "top", "title", "title", "prefix", "end", "middle", "substitute",
                                 "substitute", "advert", "seo", "seo"))
        spam = self.chain() if where != "advert" else self.chain(("advert",))
        if doc.lang == "en" and where in {"substitute", "prefix", "seo"}:
            where = "top"
        if doc.lang == "en" and self.rng.random() < 0.6:
            spam = self.rng.choice(self.pools.sms_spam[self.split])
        if where == "top":
            if self.rng.random() < 0.15:
                b.add(self._tag_residue(), "injected_spam")
            b.add(spam, "injected_spam")
        if wrap:
            for block in wrap.header[-self.rng.randint(1, 3):]:
                b.add("\n".join(block), "boilerplate")
        paragraphs = paragraphs_of(doc.text, self.rng)
        title = doc.title or ""
        if where == "title":
            b.add(spam, "injected_spam")
        elif where == "prefix":
            b.add_inline("", self.brand() if self.rng.random() < 0.6 else self.spam_term("advert"),
                         self.rng.choice(("_", "-", " ", "")) + (title or paragraphs[0][:30]), "injected_spam")
            title = ""
        if title and where != "title" or title and where == "title" and self.rng.random() < 0.5:
            b.add(title)
        if where == "substitute":
            self._substitute(b, paragraphs)
        elif where == "seo":
            self._seo_chain(b, paragraphs)
        else:
            for i, para in enumerate(paragraphs):
                b.add(para)
                if i == 0 and where == "advert":
                    b.add(spam, "injected_spam")
                if where == "middle" and i == len(paragraphs) // 2:
                    b.add(spam, "injected_spam")
        self.footer(b, wrap)
        if where == "end":
            b.add(spam, "injected_spam", sep="\n")
        ex = self.finish(f"injected_{where}", doc, b, {"injected_spam"}, {"injected_spam"})
        return ex

    def seo_chain(self) -> list[str]:
        """Off-topic search phrases and advert terms, as SEO hacks put at the head of scraped articles."""
        queries = self.rng.sample(self.pools.queries[self.split], self.rng.randint(1, 3))
        adverts = self.rng.sample(self.pools.terms(self.split, "advert"), self.rng.randint(1, 3))
        phrases = queries + adverts
        self.rng.shuffle(phrases)
        return phrases

    def _seo_chain(self, b: TextBuilder, paragraphs: list[str]) -> None:
        """A heading made of two search phrases, then the chain run into the article's first line."""
        phrases = self.seo_chain()
        if self.rng.random() < 0.6:
            b.add("".join(phrases[:2]), "injected_spam")
        chain = self.rng.choice((",", "，", " ")).join(phrases)
        b.add_inline("", chain, self.rng.choice(("", "", "---- ")) + paragraphs[0], "injected_spam")
        for para in paragraphs[1:]:
            b.add(para)

    def _substitute(self, b: TextBuilder, paragraphs: list[str]) -> None:
        """Replace an institution's own name with a gambling brand, as hacked school pages show."""
        names = [m.group(0) for p in paragraphs for m in ORG_RE.finditer(p)]
        brand = self.brand()
        if not names:  # no institution named: splice the brand in after the first clause
            first = paragraphs[0]
            cut = max(first.find(","), first.find("，"), first.find("。")) + 1 or min(len(first), 12)
            b.add_inline(first[:cut], brand, first[cut:], "injected_spam")
            for para in paragraphs[1:]:
                b.add(para)
            return
        # the most named institution; of equals, the first named (a set's order changes with the hash seed, and
        # the composed set must be the same on every run)
        name = max(dict.fromkeys(names), key=names.count)
        budget = self.rng.randint(1, 3)
        for para in paragraphs:
            idx = para.find(name)
            if idx >= 0 and budget > 0:
                b.add_inline(para[:idx], brand, para[idx + len(name):], "injected_spam")
                budget -= 1
            else:
                b.add(para)

    def _tag_residue(self) -> str:
        """Empty hidden-tag markup that hacked pages emit at the top (seen in real excerpts)."""
        tid = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5))
        tags = ("ul", "center", "pre", "tr", "sup", "tfoot", "noscript", "dl", "span", "em")
        lines = []
        for _ in range(self.rng.randint(2, 5)):
            outer, inner = self.rng.sample(tags, 2)
            lines.append(f'• <{outer} id="{tid}"><{inner} id="{tid}"></{inner}></{outer}>')
        return "\n".join(lines)

    # -- link farms ------------------------------------------------------------
    def farm_wall(self, doc: Doc) -> Example:
        b = self.builder()
        wrap = self.maybe_wrap(doc, 0.5)
        self.article(b, doc, wrap)
        n = self.rng.choice((self.rng.randint(20, 40), self.rng.randint(40, 90)))
        prefix = self.rng.choice(BULLETS)
        if self.rng.random() < 0.3:
            b.add(self.rng.choice(("热门推荐", "最新资讯", "猜你喜欢", "精彩推荐")))
        b.add("\n".join(prefix + t for t in self.headlines(n)), "link_farm")
        self.footer(b, wrap)
        labels = {"link_farm"} | ({"fabricated_listicle"} if doc.kind == "llm" else set())
        return self.finish("farm_wall", doc, b, labels, {"link_farm"}, cut=self.rng.random() < 0.3)

    def farm_stub(self, doc: Doc) -> Example:
        queries = self.pools.en_queries[self.split] if doc.lang == "en" else self.pools.queries[self.split]
        query = self.rng.choice(queries) if queries else doc.text[:20]
        b = self.builder()
        if self.rng.random() < 0.3:
            b.add(self.rng.choice(("首页 标签:", "展开", "搜索结果", "标签", "Home", "Tags")) + " " + query)
        else:
            b.add(query)
        url = stub_url(doc.site, query, self.rng)
        return self.finish("farm_stub", doc, b, {"link_farm"}, set(), url=url, cut=False)

    def farm_stitched(self, docs: list[Doc]) -> Example:
        b = self.builder()
        sep = self.rng.choice(("\n\n", "\n", "******\n", "\n\n"))
        spam_inline = self.rng.random() < 0.15
        whole_items = self.rng.random() < 0.35  # mirrors that copy whole news items, each under its title
        for doc in docs:
            paras = paragraphs_of(doc.text, self.rng)
            if whole_items:
                snippet = "\n".join(paras[: self.rng.randint(2, 6)])[: self.rng.randint(300, 1500)]
            else:
                snippet = " ".join(paras[: self.rng.randint(1, 2)])[: self.rng.randint(80, 500)]
            item_sep = sep
            if doc.title and (whole_items or self.rng.random() < 0.4):
                b.add(doc.title + ("******" if "*" in sep else ""))
                item_sep = "\n" if "*" in sep else sep
            if spam_inline and len(snippet) > 40:
                cut = self.rng.randint(10, len(snippet) - 10)
                b.add_inline(snippet[:cut], self.spam_term(), snippet[cut:], "injected_spam", sep=item_sep)
                spam_inline = False
            else:
                b.add(snippet, sep=item_sep)
        url = throwaway_url(self.rng) if self.rng.random() < 0.5 else None
        labels = {"link_farm"} | ({"injected_spam"} if any(label == "injected_spam" for *_, label in b.spans) else set())
        return self.finish("farm_stitched", docs[0], b, labels, {"injected_spam"}, url=url, cut=False)

    def farm_teasers(self, docs: list[Doc]) -> Example:
        b = self.builder()
        for doc in docs:
            paras = paragraphs_of(doc.text, self.rng)
            teaser = paras[0][: self.rng.randint(60, 200)].rstrip() + self.rng.choice(("...", "…", " Read more", ""))
            if doc.title:
                b.add(doc.title)
            b.add(teaser, sep="\n")
        labels = {"link_farm"} | ({"fabricated_listicle"} if docs[0].kind == "llm" else set())
        return self.finish("farm_teasers", docs[0], b, labels, set(), cut=self.rng.random() < 0.5)

    # -- fabricated ------------------------------------------------------------
    def fabricated(self, doc: Doc) -> Example:
        b = self.builder()
        wrap = self.maybe_wrap(doc, 0.4)
        title = doc.title
        paragraphs = paragraphs_of(doc.text, self.rng)
        if self.rng.random() < 0.45:  # keyword-targeted filler: the spam term as topic, repeated throughout
            category = self.rng.choice(("gambling", "advert", "porn"))
            kind = self.rng.random()
            keyword = self.spam_term(category) if kind < 0.5 else self.brand() if kind < 0.75 else \
                self.phrase(category)
            quoted = f"“{keyword}”" if self.rng.random() < 0.4 else keyword
            title = f"{keyword}" + self.rng.choice((",", ":", "——", " ")) + (title or "")
            for i in sorted(self.rng.sample(range(len(paragraphs)), min(len(paragraphs), self.rng.randint(2, 6)))):
                para = paragraphs[i]
                cut = para.find(",") + 1 or para.find("，") + 1
                paragraphs[i] = para[:cut] + self.rng.choice(("", "关于", "在")) + quoted + \
                    self.rng.choice((",", "的", "")) + para[cut:]
        if doc.lang == "zh" and len(paragraphs) >= 3 and self.rng.random() < 0.3:
            paragraphs = self._scaffold(paragraphs, title or "")
        self.article(b, doc, wrap, title=title, paragraphs=paragraphs)
        self.footer(b, wrap)
        return self.finish("fabricated_llm", doc, b, {"fabricated_listicle"}, set())

    def _scaffold(self, paragraphs: list[str], title: str) -> list[str]:
        """Machine-written paragraphs put in a template explainer's scaffold.

        Either ordinal openers (首先/其次/最后) or numbers (一、/1、) heading
        each paragraph (a short first clause becomes its heading); then a summing-up opener on the
        last paragraph, restating the title half of the time.
        """
        rng = self.rng
        body, last = paragraphs[:-1], paragraphs[-1]
        out = [body[0]]
        rest = body[1:]
        if rng.random() < 0.5:
            steps = rng.choice(SCAFFOLD_STEPS)
            for i, para in enumerate(rest):
                marker = steps[-1] if i == len(rest) - 1 and i > 0 else steps[i] if i < len(steps) - 1 else ""
                out.append(marker + para)
        else:  # numbered: a short first clause becomes a heading line, a long one stays in its numbered paragraph
            number = rng.choice(HEADING_NUMBERS)
            for i, para in enumerate(rest, 1):
                label = number.format(n=i, cn=CN_NUM[min(i, 10) - 1])
                clause = re.split(r"[,，。:：;；]", para, maxsplit=1)[0]
                out.extend((label + clause, para[len(clause) + 1:]) if len(clause) <= 12 and len(para) > len(clause) + 8
                           else (label + para,))
        restated = title.strip() + "," if title.strip() and rng.random() < 0.5 else ""
        out.append(rng.choice(SCAFFOLD_ENDS) + restated + last)
        return out

    def counterpart(self, doc: Doc) -> Example:
        """A human essay, abstract or review laid out as :meth:`fabricated` lays out machine-written ones."""
        b = self.builder()
        wrap = self.maybe_wrap(doc, 0.4)
        self.article(b, doc, wrap)
        self.footer(b, wrap)
        return self.finish("clean_counterpart", doc, b, set(), set())

    def docfarm(self, docs: list[Doc]) -> Example:
        b = self.builder()
        rng = self.rng
        topic = (docs[0].title or paragraphs_of(docs[0].text, rng)[0][:12]).strip()
        n = len(docs)
        fill = dict(t=topic, n=n, cn=CN_NUM[min(n, 10) - 1], kb=rng.randint(8, 90), pages=rng.randint(2, 30),
                    read=rng.randint(2, 10), left=rng.randint(3, 40))
        b.add(rng.choice(DOCFARM_TITLES).format(**fill))
        if rng.random() < 0.7:
            b.add(rng.choice(DOCFARM_HEADERS).format(**fill))
        for i, doc in enumerate(docs, 1):
            part = dict(fill, n=i, cn=CN_NUM[min(i, 10) - 1], t=doc.title or topic)
            if rng.random() < 0.8:
                b.add(rng.choice(DOCFARM_PART).format(**part))
            for para in paragraphs_of(doc.text, rng)[: rng.randint(2, 8)]:
                b.add(para, sep="\n")
        return self.finish("fabricated_docfarm", docs[0], b, {"fabricated_listicle"}, set())
