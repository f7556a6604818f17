"""Keyword tokens for BM25: jieba (search mode) with a user dictionary of policy terms, so
先进级智能工厂 stays findable as a whole and as 先进级 / 智能工厂; English words lower-cased and lightly stemmed."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from importlib import resources
from typing import Any

_WORD = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+(?:[./-][a-z0-9]+)*")
_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 等 吗 呢 啊 吧 呀 么 我 我们 你 你们 他们 它 这 那 这个 那个 哪 哪些 什么 怎么 怎样
    如何 多少 几 个 有 没有 要 需要 是否 可以 能 能否 会 请问 一下 一个 就 都 也 还 又 把 被 让 给
    对 从 到 为 以 之 其 该
    a an the of to in on for and or is are was were be been it its this that these those what which who how when
    where why do does did can could should would will we our you your i my me with by as at from about any have has
    there into than then so if not no""".split()
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    with resources.as_file(resources.files("assistant.retrieval") / "policy_terms.txt") as terms:
        tokenizer.load_userdict(str(terms))
    return tokenizer


def _stem(word: str) -> str:
    """A light English stemmer: plurals and -ing/-ed, enough for "fees"/"fee" and "certified"/"certify"."""
    if not word.isascii() or len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("xes", "x"),
        ("ing", ""),
        ("ied", "y"),
        ("ed", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + replacement
    return word


# Words people use for the same thing the documents name differently ("does it cost anything" ↔ "no fees").
_SYNONYMS = {
    "cost": "fee",
    "charge": "fee",
    "charg": "fee",
    "pay": "fee",
    "payment": "fee",
    "price": "fee",
    "free": "fee",
    "收费": "费用",
    "付费": "费用",
    "花钱": "费用",
    "免费": "费用",
}


def tokenize(text: str) -> list[str]:
    tokenizer = _tokenizer()
    tokens: list[str] = []
    for piece in _WORD.findall(text.lower()):
        if piece.isascii():
            # "premium-level" → premium, level; codes such as "39116-2020" also keep their whole form.
            parts = re.split(r"[./-]", piece)
            if len(parts) > 1 and any(c.isdigit() for c in piece):
                tokens.append(piece)
            tokens.extend(_SYNONYMS.get(stem, stem) for stem in (_stem(p) for p in parts if p and p not in _STOPWORDS))
            continue
        with _lock:  # jieba's tokenizer is not safe to share across threads while it initialises
            words = tokenizer.lcut_for_search(piece)
        tokens.extend(_SYNONYMS.get(w, w) for w in words if w.strip() and w not in _STOPWORDS)
    return tokens
