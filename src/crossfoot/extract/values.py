"""Printed cell text -> contract values (SCHEMA.md "Values")."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

__all__ = [
    "DASHES",
    "MAX_FRACTION_DIGITS",
    "MAX_INTEGER_DIGITS",
    "NumberOutOfRange",
    "clean_text",
    "is_number",
    "normalize_for_compare",
    "out_of_range",
    "parse_decimal",
]

#: The sane range of a number on these forms, for the extractor (a finding)
#: and for a reviewer's edit (refused) alike. A budget in 元 stays below 10^15
#: (a thousand trillion; a whole year's national budget is about 10^13).
#: Amounts print 2 places in 元 and at most 6 in 万元 (to the fen), scores and
#: percentages 2, but a spreadsheet cell in Excel's General format shows a
#: formula's ratio to 10 places (1/3 is "0.3333333333", ingest/numfmt.py), and
#: the record holds what is shown: 6 would flag, and refuse to a reviewer
#: typing it back, a value the form really prints. Past these a number is a
#: misread or a planted value, and the checks' Decimal arithmetic (28
#: significant digits) could not hold it.
MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 10


class NumberOutOfRange(ValueError):
    """A number, but outside the sane range (``out_of_range``)."""


#: A cell holding only one of these is an empty placeholder.
DASHES = frozenset({"—", "-", "–", "－", "——", "--", "/", "／", "─"})

_TAG = re.compile(r"<[^<>]{0,200}>")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?:\D|$))")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_SPACES = re.compile(r"\s+")


def _numeric_core(text: str) -> str:
    core = "".join(text.split())
    core = _THOUSANDS.sub("", core)
    if core.endswith("%"):
        core = core[:-1]
    elif core.endswith("(%)") or core.endswith("（%）"):
        core = core[:-3]
    return core


@lru_cache(maxsize=16384)  # pure, and asked of the same cell texts form after form
def is_number(text: str) -> bool:
    """True when the cell prints a plain number (separators and % allowed)."""
    return bool(_NUMBER.match(_numeric_core(text)))


def out_of_range(value: Decimal) -> bool:
    """True for NaN, infinities and numbers outside the sane range."""
    if not value.is_finite():
        return True
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    return len(digits) + exponent > MAX_INTEGER_DIGITS or -exponent > MAX_FRACTION_DIGITS


@lru_cache(maxsize=16384)  # pure (a Decimal is immutable); a ValueError is not cached and is raised again
def parse_decimal(text: str | None) -> Decimal | None:
    """ "375,000" -> 375000; "100.00%" -> 100.00; "", "—" -> None.

    Raises ValueError for text that is neither a number nor a placeholder,
    NumberOutOfRange (a ValueError) for a number outside the sane range
    (``out_of_range``); the caller turns either into a finding, never a guess.
    """
    if text is None:
        return None
    stripped = "".join(text.split())
    if not stripped or stripped in DASHES:
        return None
    core = _numeric_core(stripped)
    if not _NUMBER.match(core):
        raise ValueError(f"not a number: {_shown(text)}")
    if len(core) > MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 2:  # before Decimal parses 200,000 digits
        raise NumberOutOfRange(f"number out of range: {_shown(text)}")
    try:
        value = Decimal(core)
    except InvalidOperation as exc:  # pragma: no cover - regex guards this
        raise ValueError(f"not a number: {_shown(text)}") from exc
    if out_of_range(value):
        raise NumberOutOfRange(f"number out of range: {_shown(text)}")
    return value


def _shown(text: str) -> str:
    """The text for a message, cut short: a planted number can be huge."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


@lru_cache(maxsize=16384)  # pure: every text value read passes here
def clean_text(text: str | None) -> str | None:
    """Cell text as the contract wants it: tags and layout spaces removed.

    Spaces next to a CJK character are layout (wrapping, PDF columns) and go;
    a space between two Latin words or numbers is kept, single.
    """
    if text is None:
        return None
    no_tags = _TAG.sub(" ", text)
    joined = _SPACE_NEAR_CJK.sub("", no_tags)
    collapsed = _SPACES.sub(" ", joined).strip()
    if not collapsed or collapsed in DASHES:
        return None
    return collapsed


def normalize_for_compare(text: str | None) -> str:
    """SCHEMA.md comparison form: NFKC, no tags, no whitespace at all."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", _TAG.sub("", text))
    return "".join(folded.split())
