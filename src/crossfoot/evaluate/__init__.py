"""Evaluate: gold fixtures, matching, field scores, check detection, reports."""

from __future__ import annotations

from crossfoot.evaluate.corrupt import DetectionReport, detection_eval
from crossfoot.evaluate.gate import baseline_deltas, gate_failures, load_thresholds
from crossfoot.evaluate.gold import GoldForm, load_gold
from crossfoot.evaluate.metrics import BackendMetrics
from crossfoot.evaluate.report import EvalRun, build_run, write_reports
from crossfoot.evaluate.runner import FixtureRun, evaluate_fixtures, evaluate_folder
from crossfoot.evaluate.score import score_form

__all__ = [
    "BackendMetrics",
    "DetectionReport",
    "EvalRun",
    "FixtureRun",
    "GoldForm",
    "baseline_deltas",
    "build_run",
    "detection_eval",
    "evaluate_fixtures",
    "evaluate_folder",
    "gate_failures",
    "load_gold",
    "load_thresholds",
    "score_form",
    "write_reports",
]
