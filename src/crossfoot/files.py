"""Two file chores the library and the CLI share: a file's sha256, read in
chunks, and a write that leaves its target whole or untouched.

Both used to be written twice or more (the review app's page images, the
reviewers file, the LLM answer cache, the export, the eval report, the JSONL
output); ``cli/`` may import the library but not the other way round, so the
one copy lives here, beside ``model`` and ``errors``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["file_sha256", "fsync_dir", "replacing", "write_atomically"]

#: read this much at a time: a scan of tens of MB is never held whole to be hashed
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """The hex sha256 of the file's bytes; raises OSError when it cannot be read."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (not every filesystem lets a folder be fsynced)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def replacing(target: Path, *, durable: bool = False, mode: int | None = None) -> Iterator[Path]:
    """A new empty file beside ``target`` for the block to write; renamed over
    ``target`` when the block ends without an error, removed otherwise, so a
    reader sees the old file or the whole new one, never half of it.

    The folder is made if missing. Creating the file raises OSError before the
    block runs. ``mode`` is set before the rename (a secret is never readable
    by others, even for a moment); ``durable`` fsyncs the file before the
    rename and the folder after it, so the new content survives a power cut.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if mode is not None:
            os.chmod(temporary, mode)
        if durable:
            fd = os.open(temporary, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(temporary, target)
        if durable:
            fsync_dir(target.parent)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes | str, *, durable: bool = False, mode: int | None = None) -> None:
    """``data`` (text is written as UTF-8) as ``target``'s whole new content; see ``replacing``."""
    with replacing(target, durable=durable, mode=mode) as temporary:
        if isinstance(data, str):
            temporary.write_text(data, encoding="utf-8")
        else:
            temporary.write_bytes(data)
