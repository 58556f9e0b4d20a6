"""Chinese text analysis for search: jieba, set up once per process, with the domain's words.

Indexing uses `segment()` (jieba's search mode: whole words plus the shorter words inside
them, so 居家养老 is found by 养老); queries use `query_terms()` (precise mode, one term per
word the user meant). Latin text is lower-cased; punctuation and spaces are dropped.
"""

import logging
import re
import threading

import jieba

from marketplace.data.catalogue import SUBCATEGORIES
from marketplace.data.regions_jiangsu import CATEGORIES

# Words of the field that jieba's general dictionary splits wrongly or not at all.
DOMAIN_WORDS = (
    "养老",
    "居家养老",
    "社区养老",
    "机构养老",
    "助老",
    "助餐",
    "助浴",
    "助洁",
    "助残",
    "适老化",
    "失能",
    "半失能",
    "失智",
    "空巢老人",
    "日间照料",
    "社区矫正",
    "安置帮教",
    "社区戒毒",
    "社区康复",
    "禁毒",
    "公益创投",
    "青少年",
    "未成年人",
    "留守儿童",
    "困境儿童",
    "四点半课堂",
    "社会工作",
    "社工",
    "社工站",
    "社会组织",
    "志愿服务",
    "邻里互助",
    "社区营造",
    "低保",
    "特困人员",
    "第三方评估",
    "孵化培育",
    "政府购买服务",
)

_TOKEN = re.compile(r"\w", re.UNICODE)
_lock = threading.Lock()
_tokenizer = None


def tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer: built on first use (about 1 s: it loads the dictionary
    cache), never per request; the lock keeps two threads from building it twice."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                # jieba logs its dictionary loading at DEBUG through its own logger.
                jieba.setLogLevel(logging.WARNING)
                built = jieba.Tokenizer()
                built.initialize()
                for word in DOMAIN_WORDS:
                    built.add_word(word, freq=200_000)
                for _code, name in (*CATEGORIES, *SUBCATEGORIES):
                    built.add_word(name, freq=50_000)
                _tokenizer = built
    return _tokenizer


def _clean(words) -> list[str]:
    return [word.strip().lower() for word in words if _TOKEN.search(word)]


def segment(text: str) -> list[str]:
    """The index terms of a text: jieba's search mode (whole words and the words inside them)."""
    if not text:
        return []
    return _clean(tokenizer().cut_for_search(text))


def segment_text(text: str) -> str:
    """`segment()` joined with single spaces: what the index stores and searches."""
    return " ".join(segment(text))


def query_terms(text: str) -> list[str]:
    """The words of a query (precise mode), each once, in order; every one must match."""
    terms = []
    for word in _clean(tokenizer().cut(text or "")):
        if word not in terms:
            terms.append(word)
    return terms


def term_parts(term: str) -> list[str]:
    """The shorter dictionary words inside a query term (居家养老 → 居家, 养老): a document whose
    text was segmented around the term differently still matches on all of them."""
    parts = [part for part in _clean(tokenizer().cut_for_search(term)) if part != term]
    covered = "".join(parts)
    return parts if parts and all(char in covered for char in term) else []


def highlight_terms(text: str) -> list[str]:
    """What to mark in a result: the query terms and their parts, longest first."""
    terms = set()
    for term in query_terms(text):
        terms.add(term)
        terms.update(term_parts(term))
    return sorted(terms, key=len, reverse=True)
