"""Zoo records, part B: shanghai, mof_central, sichuan_special, shanxi_county, sichuan_goal."""

from __future__ import annotations

from zoo_forms import Form


def shanghai() -> list[Form]:
    return []


def mof_central() -> list[Form]:
    return []


def sichuan_special() -> list[Form]:
    return []


def shanxi_county() -> list[Form]:
    return []


def sichuan_goal() -> list[Form]:
    return []
