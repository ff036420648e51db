"""Printed cell text -> contract values (SCHEMA.md "Values")."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

__all__ = [
    "DASHES",
    "clean_text",
    "is_number",
    "normalize_for_compare",
    "parse_decimal",
]

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


def is_number(text: str) -> bool:
    """True when the cell prints a plain number (separators and % allowed)."""
    return bool(_NUMBER.match(_numeric_core(text)))


def parse_decimal(text: str | None) -> Decimal | None:
    """ "375,000" -> 375000; "100.00%" -> 100.00; "", "—" -> None.

    Raises ValueError for text that is neither a number nor a placeholder;
    the caller turns that into a finding, never a guess.
    """
    if text is None:
        return None
    stripped = "".join(text.split())
    if not stripped or stripped in DASHES:
        return None
    core = _numeric_core(stripped)
    if not _NUMBER.match(core):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(core)
    except InvalidOperation as exc:  # pragma: no cover - regex guards this
        raise ValueError(f"not a number: {text!r}") from exc


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
