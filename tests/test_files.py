"""The shared file chores (``crossfoot.files``): one sha256, one atomic write."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from crossfoot.files import file_sha256, replacing, write_atomically


def test_the_hash_reads_in_chunks_and_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = os.urandom(3 * (1 << 20) + 17)  # more than one chunk, and a ragged end
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    with pytest.raises(OSError):
        file_sha256(tmp_path / "missing")


def test_a_failed_write_leaves_the_old_file_and_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), replacing(target) as temporary:
        temporary.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_write_makes_its_folder_and_sets_the_mode_before_the_rename(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "reviewers.json"
    write_atomically(target, "秘密\n", mode=0o600, durable=True)
    assert target.read_text(encoding="utf-8") == "秘密\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_atomically(target, b"\x89PNG")
    assert target.read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in target.parent.iterdir()) == ["reviewers.json"]
