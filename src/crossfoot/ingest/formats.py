"""Which reader a file needs, decided by its bytes first and its name second.

Government sites publish forms under misleading names: an ``.xls`` that is an
HTML table, a ``.doc`` that is really a DOCX, a password-protected workbook.
The content decides; the suffix only breaks ties and names the error.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Literal

from crossfoot.errors import CorruptFileError, UnsupportedFormatError
from crossfoot.ingest.html import looks_like_html, looks_like_mhtml

__all__ = [
    "GRID_SUFFIXES",
    "READ_FORMATS",
    "REFUSED_SUFFIXES",
    "Format",
    "sniff_format",
]

Format = Literal["pdf", "image", "html", "xlsx", "xls", "docx", "csv", "text"]

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
GRID_SUFFIXES = HTML_SUFFIXES | XLSX_SUFFIXES | frozenset({".xls", ".et", ".docx", ".csv"})
#: formats forms are published in that crossfoot refuses with what to save
#: them as; a folder run lists them too, so each is reported, not skipped
REFUSED_SUFFIXES = frozenset({".doc", ".wps", ".ofd"})

#: what ``--help`` and the unsupported-format error list as read
READ_FORMATS = (
    "text dumps (.txt/.tsv/.md), PDFs, scans (.png/.jpg/.tif), HTML pages (.html/.htm), "
    "Excel workbooks (.xlsx/.xls), Word documents (.docx) and .csv"
)

_SAVE_AS = {
    "doc": "an old Word .doc file: open it in Word, WPS or LibreOffice and save it as .docx (or export a .pdf)",
    "ofd": "an OFD document: open it in an OFD reader and export a .pdf",
    "rtf": "a Rich Text (RTF) file: open it in Word, WPS or LibreOffice and save it as .docx",
    "ppt": "a PowerPoint file: export the form as .pdf",
    "xlsb": "an Excel binary workbook (.xlsb): save it as .xlsx",
    "ods": "an OpenDocument spreadsheet: save it as .xlsx",
    "odt": "an OpenDocument text: save it as .docx",
    "encrypted": "a password-protected Office file: open it, remove the password and save it again",
    "zip": "a zip archive: unpack it and give crossfoot the files inside",
    "ole": "an Office file crossfoot does not know: save it as .xlsx, .docx or .pdf",
}


def _unsupported(kind: str, path: Path) -> UnsupportedFormatError:
    return UnsupportedFormatError(f"{_SAVE_AS[kind]}. crossfoot reads {READ_FORMATS}", path=path)


def _zip_format(data: bytes, path: Path) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").decode("ascii", "ignore") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise CorruptFileError(f"a damaged zip container (XLSX/DOCX are zip files): {exc}", path=path) from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.bin" in names:
        raise _unsupported("xlsb", path)
    if any(n.startswith("ppt/") for n in names):
        raise _unsupported("ppt", path)
    if "OFD.xml" in names or "ofd.xml" in names:
        raise _unsupported("ofd", path)
    if "spreadsheet" in mimetype:
        raise _unsupported("ods", path)
    if "opendocument.text" in mimetype:
        raise _unsupported("odt", path)
    if path.suffix.lower() in XLSX_SUFFIXES | {".docx"}:
        raise CorruptFileError(
            f"not a {path.suffix.lower()} file: a zip archive without its workbook/document", path=path
        )
    raise _unsupported("zip", path)


def _ole_streams(data: bytes, *names: str) -> str | None:
    # Directory entries of an OLE compound file store stream names in UTF-16LE
    # followed by a NUL; the first name found wins, so callers list the most
    # telling stream first (a Word file can embed a workbook, not the reverse).
    for name in names:
        if name.encode("utf-16-le") + b"\x00\x00" in data:
            return name
    return None


def _ole_format(data: bytes, path: Path) -> Format:
    found = _ole_streams(data, "EncryptedPackage", "WordDocument", "PowerPoint Document", "Workbook", "Book")
    if found == "EncryptedPackage":
        raise _unsupported("encrypted", path)
    if found == "WordDocument":
        raise _unsupported("doc", path)
    if found == "PowerPoint Document":
        raise _unsupported("ppt", path)
    if found in {"Workbook", "Book"}:
        return "xls"
    # no stream name found: a damaged file; its name says what it was meant to be
    suffix = path.suffix.lower()
    if suffix in {".xls", ".et"}:
        return "xls"  # xlrd names the damage
    if suffix in {".doc", ".wps"}:
        raise _unsupported("doc", path)
    raise _unsupported("ole", path)


def sniff_format(path: Path, data: bytes) -> Format:
    """The reader for these bytes. Raises UnsupportedFormatError for a known
    format crossfoot does not read, CorruptFileError for a damaged container."""
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF") or suffix == ".pdf":
        return "pdf"
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return "image"
    if data.startswith(ZIP_MAGIC):
        return _zip_format(data, path)
    if data.startswith(OLE_MAGIC):
        return _ole_format(data, path)
    if suffix in {".png", ".jpg", ".jpeg", ".tif", ".tiff"}:
        return "image"  # the image reader names what is wrong with it
    if suffix in HTML_SUFFIXES or looks_like_html(data[:4096]) or looks_like_mhtml(data):
        return "html"
    if suffix in XLSX_SUFFIXES | {".docx"}:
        raise CorruptFileError(f"not a {suffix} file: it is not a zip archive, as XLSX/DOCX files are", path=path)
    if data.startswith(b"{\\rtf"):
        raise _unsupported("rtf", path)
    if suffix in {".doc", ".wps"}:
        raise _unsupported("doc", path)
    if suffix == ".ofd":
        raise _unsupported("ofd", path)
    if suffix == ".csv":
        return "csv"
    return "text"
