"""Text and TSV dumps: decode, split into lines and tab-separated cells."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from crossfoot.errors import BinaryInputError, EmptyInputError, EncodingError
from crossfoot.ingest.document import Cell, Document, Line

__all__ = ["REPLACEMENT", "Decoded", "decode_bytes", "decode_text", "document_from_text", "read_text_dump"]

# GB18030 is a superset of GBK and GB2312, so one attempt covers all three.
_CANDIDATE_ENCODINGS = ("utf-8", "gb18030", "big5", "utf-16")


def _looks_binary(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text carries NULs legitimately
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.05


def _cjk_share(text: str) -> float:
    if not text:
        return 0.0
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk / max(1, sum(1 for ch in text if not ch.isspace()))


#: At most this share of a file's characters may be undecodable bytes for the
#: file to be read with replacements: a dump cut mid-character, a few flipped
#: bytes. More than that is not text in a known encoding, and is rejected.
MAX_REPLACED_SHARE = 0.01
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Decoded:
    """A dump's text, its encoding, and the bytes that had to be replaced."""

    text: str
    encoding: str
    replaced: int = 0  # undecodable bytes, each now U+FFFD
    first_bad_line: int | None = None

    @property
    def note(self) -> str | None:
        if not self.replaced:
            return None
        return (
            f"{self.replaced} undecodable byte(s) read as U+FFFD ({self.encoding}), "
            f"the first on line {self.first_bad_line}"
        )


def _first_bad(data: bytes, encoding: str) -> tuple[int, int]:
    """(byte offset, 1-based line) of the first byte ``encoding`` cannot decode."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start, data.count(b"\n", 0, exc.start) + 1
    return len(data), data.count(b"\n") + 1


def _lenient(data: bytes, encodings: tuple[str, ...]) -> Decoded | None:
    """The candidate decoding that needs the fewest replacements, if few enough."""
    best: Decoded | None = None
    for encoding in encodings:
        text = data.decode(encoding, errors="replace")
        replaced = text.count(REPLACEMENT) - data.decode(encoding, errors="ignore").count(REPLACEMENT)
        visible = max(1, sum(1 for ch in text if not ch.isspace()))
        if replaced / visible > MAX_REPLACED_SHARE:
            continue
        if encoding != "utf-8" and _cjk_share(text) <= 0.2:
            continue
        if best is None or replaced < best.replaced:
            best = Decoded(text, encoding, replaced, _first_bad(data, encoding)[1])
    return best


def _undecodable(data: bytes, encoding: str, what: str, path: str) -> EncodingError:
    offset, line = _first_bad(data, encoding)
    return EncodingError(
        f"cannot decode: {what} (as {encoding} the first bad byte is 0x{data[offset]:02x} on line {line}, "
        f"byte {offset})",
        path=path,
    )


def decode_text(data: bytes, path: str) -> Decoded:
    """Decode a dump (see ``decode_bytes``), reading a few broken bytes as U+FFFD."""
    if data.startswith(b"\xef\xbb\xbf"):
        body = data[3:]
        try:
            return Decoded(body.decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError:
            lenient = _lenient(body, ("utf-8",))
            if lenient is None:
                raise _undecodable(body, "utf-8", "a UTF-8 byte-order mark, but not UTF-8 text", path) from None
            return Decoded(lenient.text, "utf-8-sig", lenient.replaced, lenient.first_bad_line)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise EncodingError(f"not valid UTF-16 ({exc.reason} at byte {exc.start})", path=path) from exc
    if _looks_binary(data):
        raise BinaryInputError("binary file, not a text dump, PDF or image", path=path)
    for encoding in _CANDIDATE_ENCODINGS[:-1]:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" or _cjk_share(text) > 0.2:
            return Decoded(text, encoding)
    lenient = _lenient(data, _CANDIDATE_ENCODINGS[:-1])
    if lenient is None:
        raise _undecodable(data, "utf-8", "not UTF-8, GB18030/GBK or Big5 text", path)
    return lenient


def decode_bytes(data: bytes, path: str) -> tuple[str, str]:
    """Decode a dump, returning (text, encoding name).

    UTF-8 (with or without BOM) first; then GB18030, Big5 and UTF-16, taking
    the first that decodes cleanly and reads as Chinese. Failing that, the
    candidate that decodes with the fewest broken bytes, if they are at most
    ``MAX_REPLACED_SHARE`` of the text, with each read as U+FFFD. Raises
    EncodingError (naming the first bad byte's line) or BinaryInputError.
    """
    decoded = decode_text(data, path)
    return decoded.text, decoded.encoding


def document_from_text(text: str, *, path: str, sha256: str, encoding: str | None) -> Document:
    """Split decoded text into numbered lines of tab-separated cells."""
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.rstrip("\r\n").split("\t")
        lines.append(Line(number, [Cell(i, part.strip()) for i, part in enumerate(parts)]))
    return Document(path=path, sha256=sha256, kind="text", encoding=encoding, lines=lines)


def read_text_dump(path: Path) -> Document:
    """Read a text/TSV dump into a Document."""
    data = path.read_bytes()
    if not data.strip():
        raise EmptyInputError("empty file", path=path)
    decoded = decode_text(data, str(path))
    if not decoded.text.strip():
        raise EmptyInputError("file holds only whitespace", path=path)
    digest = hashlib.sha256(data).hexdigest()
    document = document_from_text(decoded.text, path=str(path), sha256=digest, encoding=decoded.encoding)
    if decoded.note:
        document.notes.append(decoded.note)
    return document
