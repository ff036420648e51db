"""Spreadsheet numbers as the sheet displays them.

A reviewer compares what crossfoot read with what Excel shows: 403.7 under
``0.00`` is "403.70", 0.9862 under ``0.00%`` is "98.62%", 1234567 under
``#,##0`` is "1,234,567". Both the XLSX and the XLS readers format through
here. The formatter covers the number codes forms use (fixed decimals,
thousands separators, percent, literal text, sections for negatives); a code
it does not understand falls back to Excel's General display, never to an
exception.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["display_number", "display_value", "general", "shown_number"]

_BRACKETS = re.compile(r"\[[^\]]*\]")  # [Red], [$-804], [>=100]
_QUOTED = re.compile(r'"([^"]*)"')


def general(value: float | int | Decimal) -> str:
    """Excel's General display: up to 11 significant digits, no exponent for
    the magnitudes forms print, no trailing zeros."""
    number = Decimal(str(value))
    if number == 0:
        return "0"
    if number == number.to_integral_value() and abs(number) < Decimal("1e11"):
        return f"{number:.0f}"
    digits = number.adjusted() + 1  # digits before the point
    places = max(0, 11 - max(digits, 0)) if digits > 0 else 10 - digits
    rounded = number.quantize(Decimal(1).scaleb(-min(places, 15)), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _section(code: str, value: Decimal) -> tuple[str, bool]:
    """The section of a ``pos;neg;zero;text`` code that applies, and whether
    that section prints its own sign (a negative section does)."""
    parts = code.split(";")
    if value < 0 and len(parts) > 1 and parts[1].strip():
        return parts[1], True
    if value == 0 and len(parts) > 2 and parts[2].strip():
        return parts[2], False
    return parts[0], False


def _literal_free(code: str) -> str:
    """The code with literals, paddings and escapes removed: what is left
    decides decimals, grouping and percent."""
    code = _QUOTED.sub("", _BRACKETS.sub("", code))
    code = re.sub(r"[_*\\].", "", code)
    return code


def display_number(value: float | int | Decimal, code: str | None) -> str:
    """Format a number by an Excel number-format code, as Excel shows it."""
    return shown_number(value, code)[0]


def shown_number(value: float | int | Decimal, code: str | None) -> tuple[str, bool]:
    """(the text Excel shows, whether it shows every digit of the value).

    The second is False when the format rounds digits away (a ratio of
    0.98765 under ``0.00%`` shows 98.77%), which a reviewer may want to know;
    float noise (0.1+0.2) does not count, as General would not show it."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value), True
    if not number.is_finite():
        return str(value), True
    if not code or code.strip().lower() in {"general", "@"}:
        return general(number), True
    section, own_sign = _section(code, number)
    skeleton = _literal_free(section)
    if not re.search(r"[0#?]", skeleton):
        # a section of literal text only (e.g. "-" for zero in accounting)
        return _literals(section, "").strip() or general(number), number == 0
    if "%" in skeleton:
        number *= 100 ** skeleton.count("%")
    integer_part, _, fraction = skeleton.partition(".")
    places = len(re.findall(r"[0#?]", fraction.split("e")[0].split("E")[0]))
    grouping = bool(re.search(r"[0#?],+[0#?]", integer_part))
    # commas right after the last digit placeholder scale by a thousand each
    # ("#,##0," shows thousands, "0.0,," millions)
    trailing = re.search(r"[0#?](,+)[^0#?]*$", skeleton)
    if trailing:
        number /= Decimal(1000) ** len(trailing.group(1))
    if re.search(r"[eE][+-]", skeleton):
        return general(number), True  # scientific notation: no form prints it
    rounded = abs(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}" if grouping else f"{rounded:.{places}f}"
    if re.fullmatch(r"[#?,]*", integer_part.strip()) and text.startswith("0") and places:
        text = text[1:]  # "#.00" shows .50, no leading zero
    sign = "-" if number < 0 and not own_sign and rounded != 0 else ""
    exact = Decimal(general(abs(number))) == rounded
    return _literals(section, sign + text).strip(), exact


def _literals(section: str, number_text: str) -> str:
    """Put the formatted number back among the section's literal text: the
    first run of digit placeholders becomes the number, the rest shows as is."""
    out: list[str] = []
    placed = False
    section = _BRACKETS.sub("", section)
    i = 0
    while i < len(section):
        ch = section[i]
        nxt = section[i + 1] if i + 1 < len(section) else ""
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            out.append(section[i + 1 : end])
            i = end + 1
        elif ch == "\\" and nxt:
            out.append(nxt)
            i += 2
        elif ch == "_" and nxt:
            out.append(" ")  # padding the width of the next character
            i += 2
        elif ch == "*" and nxt:
            i += 2  # a fill character: nothing to show in the cell's text
        elif ch in "0#?" or (ch == "." and nxt in "0#?" and nxt):
            if not placed:
                out.append(number_text)
                placed = True
            while i < len(section) and section[i] in "0#?,.":
                i += 1
        else:
            out.append(ch)
            i += 1
    if not placed:
        out.append(number_text)
    return "".join(out)


def display_value(value: object, code: str | None) -> str:
    """Any cell value as displayed: numbers by their format code, dates as
    ISO dates, booleans as Excel prints them, text as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return display_number(value, code)
    return str(value)
