"""OCR number hygiene, and doubtful digits turned into findings.

OCR confuses a few shapes in numbers: O/o/D/Q for 0, l/I/|/i for 1, S/s for
5, Z/z for 2, B for 8; it reads a thousands comma as a point, a decimal point
as a comma, doubles a point, or splits a number with spaces. Where the repair
is unambiguous it is made here, on the whole cell; what cannot be decided
(a lost decimal point: 1000 or 10.00?) is left for the arithmetic checks.

A number read with low confidence is not guessed at either: it becomes a
finding, so a reviewer looks at the printed digit; so does a text value read
with low confidence, since no arithmetic can vouch for a word. So does a repair that is
a likely reading rather than a certain one (a stray point dropped: ".5").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crossfoot.model import Finding, Provenance, Severity

__all__ = [
    "LOW_CONFIDENCE_CODE",
    "Repaired",
    "low_confidence_findings",
    "repair_number",
    "repair_punctuation",
    "repair_text",
]

LOW_CONFIDENCE_CODE = "ocr_low_confidence"

#: letters OCR prints for digits
_CONFUSABLE = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "l": "1",
        "I": "1",
        "|": "1",
        "i": "1",
        "S": "5",
        "s": "5",
        "Z": "2",
        "z": "2",
        "B": "8",
    }
)
#: a round mark alone in a cell: recognisers read a lone 0 as any of these
_LONE_ZEROS = frozenset({"O", "o", "。", "○", "〇"})
#: marks a recogniser prints for a decimal point or a comma
_POINTS = str.maketrans({"。": ".", "·": ".", "．": ".", ":": ".", "：": ".", "，": ",", "、": ","})
#: marks a speck of noise becomes at the edge of a number: ".5", "5°"
_SPECKS = ".,'\"`°·‘’“”"
_CANDIDATE = re.compile(r"^[-+]?[0-9OoDQlI|iSsZzB.,\s]+%?$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?%?$")
#: how a clean number prints: left exactly as it is
_PRINTED = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")
_SPACE_AT_SEPARATOR = re.compile(r"\s*([.,%])\s*")
_GROUPED = re.compile(r"^-?\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?%?$")
#: a confusable letter with a digit on both sides, inside running text ("1O0")
_INNER = re.compile(r"(?<=\d)[OoDQlI|SZB](?=[\d.,%(（])|(?<=\d[.,])[OoDQlI|SZB](?=[\d%(（]|$)")


@dataclass(frozen=True)
class Repaired:
    """A cell's text after hygiene; ``doubtful`` asks a reviewer to confirm."""

    text: str
    doubtful: bool = False


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _separators(core: str) -> str | None:
    """Thousands commas and the decimal point, told apart by position.

    A group of exactly three digits after a separator is a thousands group
    unless it is the last group after a *single* separator ("375.000" stays
    as printed: it may well be 375.000). Two or more separators, or a last
    group of one or two digits, decide it.
    """
    sign = "-" if core.startswith("-") else ""
    body = core.lstrip("+-")
    percent = "%" if body.endswith("%") else ""
    body = body.rstrip("%")
    seps = [ch for ch in body if ch in ".,"]
    if not seps:
        return sign + body + percent
    if len(seps) == 1:
        head, tail = re.split(r"[.,]", body)
        if len(tail) == 3 and seps[0] == ",":
            return sign + head + tail + percent  # 375,000: thousands
        return sign + head + "." + tail + percent
    if _GROUPED.match(body):
        groups = re.split(r"[.,]", body)
        if len(groups[-1]) == 3:
            return sign + "".join(groups) + percent  # 1.204.000 -> 1204000
        return sign + "".join(groups[:-1]) + "." + groups[-1] + percent
    if re.fullmatch(r"\d+\.\.+\d+", body):  # a doubled point
        return sign + re.sub(r"\.+", ".", body) + percent
    return None


def repair_number(text: str) -> Repaired | None:
    """The cell as a clean number when it is one, else None.

    Only a cell that is a number and nothing else is touched. A round mark
    alone in a cell ("O", "。", "〇") is a zero: nothing else prints alone in
    these tables, and a recogniser shown one small "0" says "。" as often.
    A point or tick at either end of a number ("5°", ".5") is a speck of
    noise, most likely, but it could be a lost digit: dropped, and marked
    doubtful.
    """
    if text.strip() in _LONE_ZEROS:
        return Repaired("0")
    folded = unicodedata.normalize("NFKC", text).translate(_POINTS).strip()
    if _PRINTED.match(folded):
        return Repaired(folded)
    core = folded.strip(_SPECKS)
    stray = core != folded
    if not core or not _CANDIDATE.match(core):
        return None
    letters = sum(ch.isalpha() or ch == "|" for ch in core)
    if _digits(core) == 0 or letters > _digits(core):
        return None
    # "100 . 00" is one number; "10 10" may be two, and is left alone
    core = _SPACE_AT_SEPARATOR.sub(r"\1", core.translate(_CONFUSABLE))
    if any(ch.isspace() for ch in core):
        return None
    percent = "%" if core.endswith("%") else ""
    body = core.removesuffix("%")
    trimmed = body.strip(".,")
    stray = stray or trimmed != body
    core = trimmed + percent
    fixed = _separators(core)
    if fixed is None or not _NUMBER.match(fixed):
        return None
    return Repaired(fixed, doubtful=stray)


def repair_text(text: str) -> Repaired:
    """A cell with OCR's digit confusions repaired where unambiguous.

    A number cell is repaired as a whole; in running text ("≥95.0O(%)") only
    a letter with digits on both sides is, and the punctuation the
    recogniser drops or invents at a cell's edges is put right
    (:func:`repair_punctuation`).
    """
    whole = repair_number(text)
    if whole is not None:
        return whole
    if any(ch.isdigit() for ch in text):
        text = _INNER.sub(lambda m: m.group(0).translate(_CONFUSABLE), text)
    return Repaired(repair_punctuation(text))


#: a mark at the end of a short cell that no form prints there: the stub of
#: a painted-out ruling or a speck, read as a point, a colon or an opening
#: quote (which cannot end a text)
_TRAILING = re.compile(r"(?<=[^\s.．:：·“‘])[.．:：·“‘]+$")
#: marks that mean nothing alone in a cell (a lone 。 is a zero and a lone
#: — means "none": both are kept)
_MARKS = frozenset(".．:：·,，、;；'`\"“‘")
#: a mark standing apart at the end of a cell
_APART = re.compile(r"(?<=\S)\s+[.．:：,，、·'`;；]+$")
#: a label that ends in a colon ("其中：") is printed so: this short, it stays
_LABEL_CHARS = 4
#: a longer text is a paragraph, which a page break may cut after "如下："
_SHORT_CELL = 24
#: an opening bracket near the end whose closing one was lost ("(工作日")
_UNCLOSED = re.compile(r"[(（][^()（）]{1,8}$")
#: a unit closed after a number but never opened ("100.00%)")
_UNOPENED = re.compile(r"(?<=\d)([^\d\s()（）.．]{1,6})([)）])$")
#: a second point between a decimal and its unit ("97.00.(%)")
_POINT_BEFORE_UNIT = re.compile(r"(?<=\d\.\d)(\d*)[.．](?=[(（])")
_PAIRS = {"(": ")", "（": "）", ")": "(", "）": "（"}
_CJK = "\u4e00-\u9fff"
#: a point between two Chinese characters: Chinese prose sets a comma there
#: (a full stop is a round 。, which the recogniser keeps)
_POINT_IN_PROSE = re.compile(f"(?<=[{_CJK}])[.．](?=[{_CJK}])")
#: a document number's year brackets, 普府办〔2021〕40号, read as [ ] or 【 】
_DOC_NUMBER_YEAR = re.compile(r"[\[［【](\d{4})[\]］】](?=\s*\d+\s*号)")


def _inner_marks(text: str) -> str:
    """Marks inside running text whose reading the text itself decides.

    ``丶`` (a dictionary radical, never written in prose) is the enumeration
    comma ``、`` read too literally; a point between two Chinese characters
    is a comma; square brackets around the year of a document number
    (``〔2021〕40号``) are the tortoise-shell brackets such numbers use.
    """
    text = text.replace("丶", "、")
    text = _POINT_IN_PROSE.sub("，", text)
    return _DOC_NUMBER_YEAR.sub(r"〔\1〕", text)


def repair_punctuation(text: str) -> str:
    """Brackets and stray marks put right where the cell's own text decides.

    The recogniser loses a closing bracket at the right edge of a cell (the
    ruling beside it is painted out, and the bracket goes with it) and reads
    a speck or a ruling's stub there as ``.`` or ``：``. In these forms a
    bracket holds a unit or a note, so one left open at the end of a cell is
    closed, one closed after a number and never opened is opened before the
    unit, and a point or colon ending a short cell (a name, a value; not a
    label such as ``其中：``, not a paragraph a page break may have cut) is
    dropped. A full stop ``。`` ends sentences and is kept; marks inside the
    text are left alone.
    """
    if text.strip() and all(ch in _MARKS or ch.isspace() for ch in text):
        return ""  # a mark alone in a cell says nothing: a speck
    fixed = _POINT_BEFORE_UNIT.sub(r"\1", text)
    fixed = _inner_marks(fixed)
    # Chinese print sets no space before a mark: one standing apart at the
    # end is a speck ("主管部门 ，")
    fixed = _APART.sub("", fixed)
    trailing = _TRAILING.search(fixed)
    if trailing is not None:
        head = fixed[: trailing.start()]
        label = trailing.group(0) in {":", "："} and len(head.strip()) <= _LABEL_CHARS
        if not label and len(head) <= _SHORT_CELL:
            fixed = head
    opened = _UNCLOSED.search(fixed)
    if opened is not None:
        fixed += _PAIRS[opened.group(0)[0]]
    elif not any(ch in fixed for ch in "(（"):
        fixed = _UNOPENED.sub(lambda m: _PAIRS[m.group(2)] + m.group(1) + m.group(2), fixed)
    return fixed


def low_confidence_findings(provenance: Provenance, threshold: float) -> list[Finding]:
    """One finding per value read by OCR with a confidence below ``threshold``.

    Numbers and text alike: a recogniser that inserts a character into a name
    ("女" where nothing is printed) is as wrong as one that misreads a digit,
    and no check can catch a wrong word. Provenance spans carry the OCR
    confidence of the cell they came from (its weakest character); text
    dumps and PDF text layers carry none and never produce a finding here.
    The field's weakest span speaks for it.
    """
    findings: list[Finding] = []
    for path, spans in provenance.items():
        doubtful = [s for s in spans if s.confidence is not None and s.confidence < threshold and s.raw.strip()]
        if not doubtful:
            continue
        span = min(doubtful, key=lambda s: s.confidence or 0.0)
        number = repair_number(span.raw) is not None
        where = f"page {span.page}, line {span.line}" if span.page is not None else f"line {span.line}"
        what = "the printed digits" if number else "the printed text, character by character"
        findings.append(
            Finding(
                code=LOW_CONFIDENCE_CODE,
                severity=Severity.warning,
                message=(
                    f"{where}: OCR read {path} as {_quoted(span.raw)} with confidence "
                    f"{span.confidence:.2f} (below {threshold:.2f}); check {what}"
                ),
                fields=[path],
                printed=span.raw,
            )
        )
    return findings


#: a finding quotes a long text by its ends
_QUOTE_CHARS = 60


def _quoted(raw: str) -> str:
    if len(raw) <= _QUOTE_CHARS:
        return repr(raw)
    half = _QUOTE_CHARS // 2
    return repr(raw[:half] + "…" + raw[-half:])
