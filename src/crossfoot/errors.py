"""The crossfoot error tree.

Every error carries the context a user needs to find the problem: the file,
and where known the form, line, page and attempt.

    CrossfootError                      exit code 2 from the CLI unless noted
    ├── InputError                      a source file cannot be used
    │   ├── MissingInputError           path does not exist
    │   ├── EmptyInputError             zero bytes, or only whitespace
    │   ├── BinaryInputError            not text, and not a PDF or image we read
    │   ├── EncodingError               no encoding decodes it to Chinese text
    │   ├── PdfError                    encrypted, corrupt or zero-page PDF
    │   ├── ImageError                  unreadable or oversized image
    │   ├── UnsupportedFormatError      a format crossfoot does not read (.doc, .ofd, ...)
    │   ├── CorruptFileError            an XLSX/XLS/DOCX/HTML file its reader cannot open
    │   └── NoFormError                 readable, but holds no 自评表
    │       └── NoTableError            an HTML/DOCX/spreadsheet file with no table
    ├── RecordError                     a JSONL line is not a usable record
    ├── OutputError                     -o cannot be written (a folder, under a file, locked by another run)
    ├── ExtractionError                 a backend failed on one form
    │   └── LLMError                    the LLM path failed (carries attempts, usage)
    │       ├── LLMUnavailableError     no key, or the endpoint cannot be reached (exit 3)
    │       └── BudgetExceededError     the run's token budget is spent
    ├── StoreError                      the review store refused an operation
    │   └── ConflictError               a save over a newer record version
    └── ConfigError                     settings that cannot work together
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BinaryInputError",
    "BudgetExceededError",
    "ConfigError",
    "ConflictError",
    "CorruptFileError",
    "CrossfootError",
    "EmptyInputError",
    "EncodingError",
    "ExtractionError",
    "ImageError",
    "InputError",
    "LLMError",
    "LLMUnavailableError",
    "MissingInputError",
    "NoFormError",
    "NoTableError",
    "OutputError",
    "PdfError",
    "RecordError",
    "StoreError",
    "UnsupportedFormatError",
]


class CrossfootError(Exception):
    """Base of every error crossfoot raises on purpose."""

    exit_code: int = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        page: int | None = None,
        form: int | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.page = page
        self.form = form
        super().__init__(self.where() + message)

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the context across processes (OCR pages run in worker processes).
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))

    def where(self) -> str:
        """`file:line: ` style location prefix, empty when nothing is known."""
        parts: list[str] = []
        if self.path:
            parts.append(self.path)
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.form is not None:
            parts.append(f"form {self.form}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return (": ".join(parts) + ": ") if parts else ""


def _rebuild(cls: type[CrossfootError], message: str, state: dict[str, object]) -> CrossfootError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    Exception.__init__(error, error.where() + message)
    return error


class InputError(CrossfootError):
    """A source file cannot be used."""


class MissingInputError(InputError):
    """The path does not exist."""


class EmptyInputError(InputError):
    """The file is empty or holds only whitespace."""


class BinaryInputError(InputError):
    """The file is binary and not a format crossfoot reads."""


class EncodingError(InputError):
    """No supported encoding decodes the file."""


class PdfError(InputError):
    """The PDF is encrypted, corrupt or has no pages."""


class ImageError(InputError):
    """The image cannot be read or is too large."""


class UnsupportedFormatError(InputError):
    """A format crossfoot does not read; the message says what to save it as."""


class CorruptFileError(InputError):
    """A native file (XLSX, XLS, DOCX, HTML) that its reader cannot open."""


class NoFormError(InputError):
    """The document is readable but holds no 财政项目支出绩效自评表."""


class NoTableError(NoFormError):
    """A grid input (HTML page, DOCX, workbook) that holds no table at all."""


class RecordError(CrossfootError):
    """A JSONL line is not a usable record."""


class OutputError(CrossfootError):
    """The output cannot be written: a folder, under a file, or another run holds it."""


class ExtractionError(CrossfootError):
    """A backend failed on one form."""


class LLMError(ExtractionError):
    """The LLM backend failed; carries the attempts made and the tokens spent."""

    def __init__(
        self,
        message: str,
        *,
        n_attempts: int = 0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        **where: object,
    ) -> None:
        self.n_attempts = n_attempts
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        super().__init__(message, **where)  # type: ignore[arg-type]


class LLMUnavailableError(LLMError):
    """No API key, or the endpoint cannot be reached at all."""

    exit_code = 3


class BudgetExceededError(LLMError):
    """The run's token budget is spent; no further calls are made."""


class StoreError(CrossfootError):
    """The review store refused an operation."""


class ConflictError(StoreError):
    """A save was based on an older version of the record."""

    def __init__(self, message: str, *, current_version: int, **where: object) -> None:
        self.current_version = current_version
        super().__init__(message, **where)  # type: ignore[arg-type]


class ConfigError(CrossfootError):
    """Settings that cannot work together."""
