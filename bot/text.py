"""Text normalisation shared by every parser: Traditional → Simplified, width, spaces."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """Convert Traditional characters to Simplified (one of the seeds is in Traditional)."""
    return _T2S.convert(text)


def normalize(text: str) -> str:
    """Fold full-width characters (NFKC), Traditional→Simplified, trim and collapse spaces."""
    folded = unicodedata.normalize("NFKC", text)
    return " ".join(to_simplified(folded).split())
