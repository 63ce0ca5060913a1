"""Build the spam lexicons from the real word lists in the corpora.

Sources: sensitive-lexicon (porn lists, the advert list, the weapons list,
the illegal-URL list, and mixed lists) and houbb-sensitive-word (mixed).
Mixed lists hold political terms that would flag real news, so a term from
a mixed list is kept only when it contains a seed morpheme of one of our
spam categories. Any term that occurs in more than a small share of the
clean corpora is dropped: it is ordinary vocabulary, not a spam signal.
English has no real web-spam word list in the corpora, so a short
documented list of web-spam phrases stands in (SMS spam words such as
"code" or "service" proved to be ordinary vocabulary on web pages).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from pathlib import Path

import ahocorasick

from service.analysis.text import normalize, segment
from service.features.lexicon import VOCAB_CATEGORIES, Lexicons
from training.corpora import Doc

SEEDS = {
    "porn": r"色情|情色|淫|乳|屄|屌|奸|性交|性爱|做爱|裸|三级片|成人(?:电影|视频|网|片|影院|小说|图)|艳照|骚|肏|"
            r"操逼|操你|鸡巴|阴道|阴茎|阴部|阴唇|精液|射精|口交|肛交|自慰|人妻|熟女|熟妇|无码|有码|乱伦|援交|一夜情|"
            r"强暴|迷奸|偷拍|春宫|女优|巨乳|潮吹|嫖|妓|裸聊|porn|xxx|fuck|色图|色片|色站|黄片|毛片|激情(?:视频|电影|图)|"
            r"av(?:电影|女|在线|网)|丝袜美腿|美女写真|福利视频|午夜(?:影院|电影|视频)",
    "gambling": r"博彩|赌|娱乐城|娱乐场|娱乐平台|百家乐|投注|六合彩|时时彩|彩票网|老虎机|轮盘|真人视讯|棋牌|下注|"
                r"盘口|赔率|葡京|永利|金沙|威尼斯人|太阳城|皇冠(?:网|娱乐|体育|平台)|网投|彩金|返水|开奖|特码|pk10|"
                r"北京赛车|快三|体育投注|bet365|casino|菠菜|电子游艺|线上娱乐|澳门(?:娱乐|资料|彩|六合|赌)|香港(?:六合|马会|彩)",
    "illicit": r"枪|弹药|炸药|雷管|冰毒|麻古|k粉|摇头丸|迷药|迷幻|听话水|催情|春药|办证|假证|假钞|窃听|监听|"
               r"卧底软件|代孕|卖肾|洗钱|黑卡|套现|海洛因|大麻|毒品|迷魂",
    "advert": r"代开|发票|贷款|网贷|借款|信用卡|网站建设|网站优化|网站推广|网站制作|seo|推广|排名|刷钻|刷信誉|刷单|"
              r"私服|外挂|传奇sf|减肥|增大|壮阳|伟哥|延时|祛痘|丰胸|微商|加微信|加qq|兼职|日结|viagra|cialis|"
              r"代写|代考|包过|免费领取|优惠券|返利",
}
TRUSTED_FILES = {"色情词库.txt": "porn", "色情类型.txt": "porn", "涉枪涉爆.txt": "illicit",
                 "广告类型.txt": "advert", "非法网址.txt": "url"}
MIXED_FILES = ("零时-Tencent.txt", "网易前端过滤敏感词库.txt", "其他词库.txt", "补充词库.txt")
# Web-spam English the SMS corpus cannot supply (pharma, casino, adult, SEO). Kept short on purpose.
ENGLISH_WEB_SPAM = {
    "porn": ["porn", "xxx", "nude video", "sex video", "hot singles", "camgirl", "escort service"],
    "gambling": ["online casino", "casino bonus", "situs slot", "slot online", "slot gacor", "free spins",
                 "poker online", "sports betting", "judi online"],
    "advert": ["buy viagra", "cheap viagra", "cialis", "payday loan", "seo services", "buy followers",
               "weight loss pills", "work from home", "click here", "limited offer"],
}
MAX_CLEAN_DOC_SHARE = 0.0005  # a Chinese term in more than this share of clean documents is ordinary
MAX_CLEAN_DOC_SHARE_EN = 0.005  # the same for ASCII terms, against the English clean documents
MIN_TERM_CHARS = 2
# The vocabulary (service/features/lexicon.py): words of the candidate terms of a category, scored by
# their log-odds against clean text. A word must recur in a category's terms to be a building block.
VOCAB_MIN_TERMS = 3
VOCAB_MIN_LOG_ODDS = 1.0
VOCAB_MAX_LOG_ODDS = 8.0
VOCAB_CLEAN_DOCS = 30000
VOCAB_CLEAN_CHARS = 3000


def _read_terms(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip() and not line.startswith("#")]


def _usable(term: str) -> bool:
    if len(term) < MIN_TERM_CHARS or term.isdigit():
        return False
    if term.isascii() and len(term) < 4:
        return False
    return True


def categorize(term: str) -> str | None:
    for category, pattern in SEEDS.items():
        if re.search(pattern, term):
            return category
    return None


def candidate_terms(data: Path) -> dict[str, set[str]]:
    """Category -> normalised candidate terms, before the clean-corpus filter."""
    found: dict[str, set[str]] = {c: set() for c in (*SEEDS, "url")}
    vocab = data / "sensitive-lexicon" / "Vocabulary"
    for name, category in TRUSTED_FILES.items():
        for term in _read_terms(vocab / name):
            norm = normalize(term)
            if category == "url":
                norm = re.sub(r"^(?:https?://)?(?:www\.)?", "", norm).strip("/")
                if "." in norm and len(norm) >= 6:
                    found["url"].add(norm)
            elif _usable(norm) and (category != "advert" or categorize(norm)):
                found[category].add(norm)
    mixed = [t for name in MIXED_FILES for t in _read_terms(vocab / name)]
    mixed += _read_terms(data / "houbb-sensitive-word" / "dict_v20240407.txt")
    for term in mixed:
        norm = normalize(term)
        category = categorize(norm) if _usable(norm) else None
        if category:
            found[category].add(norm)
    for category, terms in ENGLISH_WEB_SPAM.items():
        found[category].update(terms)
    return found


def clean_document_frequency(terms: set[str], clean_texts: list[str]) -> Counter:
    auto = ahocorasick.Automaton()
    for term in terms:
        auto.add_word(term, term)
    auto.make_automaton()
    df: Counter = Counter()
    for text in clean_texts:
        df.update({term for _, term in auto.iter(text)})
    return df


def _words(text: str) -> list[str]:
    """Vocabulary candidates of one normalised text: jieba words of 2+ CJK or 3+ Latin characters."""
    out = []
    for word in segment(text):
        word = word.strip()
        if word.isascii():
            if len(word) >= 3 and word.isalnum() and not word.isdigit():
                out.append(word)
        elif len(word) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
            out.append(word)
    return out


def build_vocab(found: dict[str, set[str]], clean_texts: list[str]) -> dict[str, dict[str, float]]:
    """Category -> word -> log-odds of the word in the category's terms against clean text.

    Counts are word tokens with add-one smoothing over the joint vocabulary;
    only words that recur in at least ``VOCAB_MIN_TERMS`` terms and are
    clearly more frequent in the terms than in clean text are kept.
    """
    clean: Counter = Counter()
    for text in clean_texts[:VOCAB_CLEAN_DOCS]:
        clean.update(_words(text[:VOCAB_CLEAN_CHARS]))
    clean_total = sum(clean.values())
    vocab: dict[str, dict[str, float]] = {}
    for category in VOCAB_CATEGORIES:
        counts: Counter = Counter()
        for term in found.get(category, ()):
            counts.update(set(_words(term)))
        total = sum(counts.values())
        size = len(set(counts) | set(clean))
        table = {}
        for word, n in counts.items():
            if n < VOCAB_MIN_TERMS:
                continue
            score = math.log((n + 1) / (total + size)) - math.log((clean.get(word, 0) + 1) / (clean_total + size))
            if score >= VOCAB_MIN_LOG_ODDS:
                table[word] = round(min(score, VOCAB_MAX_LOG_ODDS), 3)
        vocab[category] = dict(sorted(table.items()))
    return vocab


def build_lexicons(data: Path, docs: list[Doc]) -> Lexicons:
    """Categorised, frequency-filtered spam terms and their vocabulary; ``docs`` supplies the clean texts."""
    found = candidate_terms(data)
    zh_texts = [normalize(d.text) for d in docs
                if d.kind in {"article", "headline", "short"} and d.lang == "zh"]
    en_texts = [normalize(d.text) for d in docs if d.lang == "en" and d.kind in {"short", "html"} and d.text]
    all_terms = set().union(*found.values())
    zh_df = clean_document_frequency({t for t in all_terms if not t.isascii()}, zh_texts)
    en_df = clean_document_frequency({t for t in all_terms if t.isascii()}, en_texts)
    zh_limit = max(3, int(MAX_CLEAN_DOC_SHARE * len(zh_texts)))
    en_limit = max(2, int(MAX_CLEAN_DOC_SHARE_EN * len(en_texts)))

    def keep(term: str) -> bool:
        return en_df.get(term, 0) <= en_limit if term.isascii() else zh_df.get(term, 0) <= zh_limit

    terms = {c: sorted(t for t in ts if keep(t)) for c, ts in found.items()}
    vocab = build_vocab(found, zh_texts + en_texts)
    digest = hashlib.sha256()
    for category in sorted(terms):
        digest.update(category.encode())
        digest.update("\n".join(terms[category]).encode())
    for category in sorted(vocab):
        digest.update(category.encode())
        digest.update(repr(sorted(vocab[category].items())).encode())
    return Lexicons(terms=terms, source_hash=digest.hexdigest(), vocab=vocab)
