"""Regression gate (eval/thresholds.toml) and deltas against a saved run."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from crossfoot.errors import ConfigError
from crossfoot.evaluate.metrics import BackendMetrics
from crossfoot.evaluate.report import EvalRun

__all__ = ["baseline_deltas", "gate_failures", "load_thresholds"]


def load_thresholds(path: Path) -> dict[str, Any]:
    """``[backend.input_kind]`` tables of metric floors, ``[backend.zoo.<template>.<kind>]``
    for the template zoo (``zoo.default`` applies to every template), and ``[checks]``."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read thresholds: {exc}", path=path) from exc


def gate_failures(run: EvalRun, thresholds: dict[str, Any]) -> list[str]:
    """One line per metric below its floor; empty when the gate passes."""
    failures: list[str] = []
    for fixture_run in run.runs:
        metrics = fixture_run.metrics
        floors = _floors(thresholds, metrics)
        label = _label(metrics)
        values = metrics.gate_values()
        for name, floor in floors.items():
            if name not in values:
                failures.append(f"{label}: unknown metric {name!r} in thresholds")
            elif values[name] < float(floor):
                failures.append(f"{label}: {name} {values[name]:.4f} < threshold {float(floor):.4f}")
    checks = thresholds.get("checks", {})
    if run.detection is not None and checks:
        if run.detection.detection < float(checks.get("detection", 0)):
            failures.append(f"checks: detection {run.detection.detection:.4f} < {float(checks['detection']):.4f}")
        allowed = int(checks.get("max_false_alarms", 0))
        if run.detection.false_alarms > allowed:
            failures.append(f"checks: {run.detection.false_alarms} false alarms > {allowed}")
    return failures


def _floors(thresholds: dict[str, Any], metrics: BackendMetrics) -> dict[str, Any]:
    backend = thresholds.get(metrics.backend, {})
    if metrics.template is None:
        return dict(backend.get(metrics.input_kind, {}))
    zoo = backend.get("zoo", {})
    floors = dict(zoo.get("default", {}).get(metrics.input_kind, {}))
    floors.update(zoo.get(metrics.template, {}).get(metrics.input_kind, {}))
    return floors


def _label(metrics: BackendMetrics) -> str:
    if metrics.template is None:
        return f"{metrics.backend}.{metrics.input_kind}"
    return f"{metrics.backend}.zoo.{metrics.template}.{metrics.input_kind}"


def baseline_deltas(run: EvalRun, baseline_path: Path) -> list[tuple[str, str, float, float]]:
    """(backend.input_kind, metric, baseline, now) for every shared metric."""
    try:
        baseline = EvalRun.model_validate_json(baseline_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read baseline run: {exc}", path=baseline_path) from exc
    old = {(r.metrics.backend, r.metrics.cell): r.metrics for r in baseline.runs}
    rows: list[tuple[str, str, float, float]] = []
    for fixture_run in run.runs:
        now = fixture_run.metrics
        before = old.get((now.backend, now.cell))
        if before is None:
            continue
        label = _label(now)
        for name, value in now.gate_values().items():
            rows.append((label, name, before.gate_values()[name], value))
        for kind, stat in now.per_field.items():
            if kind in before.per_field and before.per_field[kind].accuracy != stat.accuracy:
                rows.append((label, kind, before.per_field[kind].accuracy, stat.accuracy))
    if run.detection is not None and baseline.detection is not None:
        rows.append(("checks", "detection", baseline.detection.detection, run.detection.detection))
        rows.append(
            (
                "checks",
                "false_alarms",
                float(baseline.detection.false_alarms),
                float(run.detection.false_alarms),
            )
        )
    return rows
