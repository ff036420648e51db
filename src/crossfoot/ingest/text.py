"""Text and TSV dumps: decode, split into lines and tab-separated cells."""

from __future__ import annotations

import hashlib
from pathlib import Path

from crossfoot.errors import BinaryInputError, EmptyInputError, EncodingError
from crossfoot.ingest.document import Cell, Document, Line

__all__ = ["decode_bytes", "document_from_text", "read_text_dump"]

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


def decode_bytes(data: bytes, path: str) -> tuple[str, str]:
    """Decode a dump, returning (text, encoding name).

    UTF-8 (with or without BOM) first; then GB18030, Big5 and UTF-16, taking
    the first that decodes cleanly and reads as Chinese.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise EncodingError(f"not valid UTF-16 ({exc.reason})", path=path) from exc
    if _looks_binary(data):
        raise BinaryInputError("binary file, not a text dump, PDF or image", path=path)
    for encoding in _CANDIDATE_ENCODINGS[:-1]:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" or _cjk_share(text) > 0.2:
            return text, encoding
    raise EncodingError("cannot decode: not UTF-8, GB18030/GBK or Big5 text", path=path)


def document_from_text(text: str, *, path: str, sha256: str, encoding: str | None) -> Document:
    """Split decoded text into numbered lines of tab-separated cells."""
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.rstrip("\r\n").split("\t")
        cells = [Cell(column=i, text=part.strip()) for i, part in enumerate(parts)]
        lines.append(Line(number=number, cells=cells))
    return Document(path=path, sha256=sha256, kind="text", encoding=encoding, lines=lines)


def read_text_dump(path: Path) -> Document:
    """Read a text/TSV dump into a Document."""
    data = path.read_bytes()
    if not data.strip():
        raise EmptyInputError("empty file", path=path)
    text, encoding = decode_bytes(data, str(path))
    if not text.strip():
        raise EmptyInputError("file holds only whitespace", path=path)
    digest = hashlib.sha256(data).hexdigest()
    return document_from_text(text, path=str(path), sha256=digest, encoding=encoding)
