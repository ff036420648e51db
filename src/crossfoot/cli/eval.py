"""`crossfoot eval`: accuracy against gold fixtures, check detection, gate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from crossfoot.cli.app import ExitCode, app, console, fail_line
from crossfoot.cli.settings import build_settings, print_llm_summary
from crossfoot.errors import CrossfootError, LLMUnavailableError
from crossfoot.model import Record

if TYPE_CHECKING:  # the evaluation modules (jinja2 reports) load only when `eval` runs
    from crossfoot.evaluate import EvalRun, FixtureRun
    from crossfoot.extract import Extractor


def _zoo_table(runs: list[FixtureRun]) -> Table:
    """The template zoo: one row per (backend, template), one column per input kind;
    a cell prints micro, numeric and forms found on three lines to fit a terminal."""
    kinds = sorted({r.metrics.input_kind for r in runs})
    table = Table(title="template zoo", caption="each cell: micro / numeric / forms found")
    table.add_column("template", no_wrap=True)
    for kind in kinds:
        table.add_column(kind, justify="right")
    rows: dict[str, dict[str, str]] = {}
    for r in runs:
        m = r.metrics
        label = (m.template or "") if m.backend == "rules" else f"{m.template} ({m.backend})"
        rows.setdefault(label, {})[m.input_kind] = f"{m.micro:.3f}\n{m.numeric:.3f}\n{m.forms_found}/{m.forms}"
    for label, cells in rows.items():
        table.add_row(label, *(cells.get(kind, "—") for kind in kinds))
    return table


def _metrics_table(runs: list[FixtureRun]) -> Table:
    """Metrics as rows, one column per (backend, input): fits a terminal."""
    table = Table(title="extraction accuracy")
    table.add_column("metric")
    for fixture_run in runs:
        m = fixture_run.metrics
        replay = "\n(replay)" if "replay" in m.llm_source else ""
        table.add_column(f"{m.backend}\n{m.input_kind}{replay}", justify="right")
    rows: list[tuple[str, list[str]]] = []
    ms = [r.metrics for r in runs]
    rows.append(("forms found", [f"{m.forms_found}/{m.forms}" for m in ms]))
    rows.append(("micro accuracy", [f"{m.micro:.4f}" for m in ms]))
    rows.append(("numeric cells", [f"{m.numeric:.4f}" for m in ms]))
    rows.append(("text fields", [f"{m.text:.4f}" for m in ms]))
    rows.append(("rows precision", [f"{m.rows_precision:.4f}" for m in ms]))
    rows.append(("rows recall", [f"{m.rows_recall:.4f}" for m in ms]))
    rows.append(("rows F1", [f"{m.rows_f1:.4f}" for m in ms]))
    rows.append(("forms entirely right", [f"{m.forms_all_correct}/{m.forms}" for m in ms]))
    rows.append(("sent to review", [f"{m.review_fraction:.0%}" for m in ms]))
    rows.append(("field errors in review", [f"{m.review_capture:.0%}" for m in ms]))
    rows.append(("wall time", [f"{m.wall_seconds:.2f}s" for m in ms]))
    rows.append(("forms sent to LLM", [str(m.llm_forms) for m in ms]))
    rows.append(("LLM calls", [str(m.llm_calls) for m in ms]))
    rows.append(("tokens in / out", [f"{m.prompt_tokens} / {m.completion_tokens}" for m in ms]))
    rows.append(("cost", [f"{m.cost:.4f}" for m in ms]))
    for label, values in rows:
        table.add_row(label, *values)
    return table


def _detection_table(run: EvalRun) -> Table:
    assert run.detection is not None
    d = run.detection
    table = Table(title="check detection (error findings on single corruptions)")
    for column in ("corruption", "made", "invisible", "visible", "flagged", "detection"):
        table.add_column(column, justify="left" if column == "corruption" else "right")
    for kind, k in d.by_kind.items():
        table.add_row(kind, str(k.total), str(k.invisible), str(k.visible), str(k.detected), f"{k.rate:.4f}")
    table.caption = (
        f"overall {d.detection:.4f} · false alarms {d.false_alarms}/{d.clean_records} clean gold records "
        f"({d.false_alarm_rate:.4f}) · {len(d.excluded_records)} gold records excluded: "
        "their printed arithmetic is broken"
    )
    return table


@app.command("eval")
def eval_command(
    backend: Annotated[list[str] | None, typer.Option("--backend", help="backend(s) to score; repeatable")] = None,
    fixtures: Annotated[list[Path] | None, typer.Option("--fixtures", help="fixture folder(s); repeatable")] = None,
    report: Annotated[Path, typer.Option(help="folder for run.json, summary.md, report.html")] = Path("out/eval"),
    baseline: Annotated[Path | None, typer.Option(help="a saved run.json to compare against")] = None,
    gate: Annotated[bool, typer.Option("--gate", help="exit 1 when a metric falls below its threshold")] = False,
    thresholds: Annotated[Path, typer.Option(help="metric floors")] = Path("eval/thresholds.toml"),
    checks: Annotated[bool, typer.Option("--checks", help="measure check detection on corrupted gold")] = False,
    root: Annotated[Path, typer.Option(help="folder the fixtures' source paths are relative to")] = Path("."),
    template: Annotated[
        list[str] | None, typer.Option("--template", help="template zoo: score only these templates; repeatable")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="template zoo: score only these input kinds; repeatable")
    ] = None,
) -> None:
    """Score backends against hand-labelled fixtures.

    A template zoo folder (gold with ``_template``, e.g. eval/zoo) is scored
    per template × input kind.

    Exit codes: 0 done (and gate passed); 1 gate failed; 2 unusable fixtures or
    settings; 3 the LLM endpoint is unavailable.
    """
    from crossfoot.evaluate import (
        baseline_deltas,
        build_run,
        detection_eval,
        evaluate_folder,
        gate_failures,
        load_gold,
        load_thresholds,
        write_reports,
    )
    from crossfoot.extract import get_extractor

    settings = build_settings()
    backends = backend if backend else ([] if checks else ["rules"])
    folders = fixtures or [Path("eval/fixtures")]
    run = build_run(root, settings)
    summaries: list[Extractor] = []
    try:
        for name in backends:
            extractor = get_extractor(name, settings)
            for folder in folders:
                run.runs.extend(
                    evaluate_folder(
                        folder, extractor, settings, root, templates=set(template or ()), kinds=set(kind or ())
                    )
                )
            summaries.append(extractor)
        if checks:
            gold = load_gold(folders[0])
            run.detection = detection_eval({g.name: Record.model_validate(g.record) for g in gold})
    except LLMUnavailableError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.LLM_UNAVAILABLE) from None
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    plain = [r for r in run.runs if r.metrics.template is None]
    zoo = [r for r in run.runs if r.metrics.template is not None]
    if plain:
        console.print(_metrics_table(plain))
    if zoo:
        console.print(_zoo_table(zoo))
    if run.runs:
        for fixture_run in run.runs:
            if "replay" in fixture_run.metrics.llm_source:
                console.print(
                    f"[yellow]{fixture_run.metrics.backend}: LLM answers replayed from cassettes — "
                    "a pipeline test, not an LLM accuracy figure[/]"
                )
    for extractor in summaries:
        print_llm_summary(extractor)
    if run.detection is not None:
        console.print(_detection_table(run))
    paths = write_reports(run, report)
    console.print(f"reports: {paths['json']}  {paths['markdown']}  {paths['html']}")
    if baseline is not None:
        try:
            deltas = baseline_deltas(run, baseline)
        except CrossfootError as exc:
            fail_line(str(exc))
            raise typer.Exit(ExitCode.BAD_INPUT) from None
        table = Table(title=f"against baseline {baseline}")
        for column in ("run", "metric", "baseline", "now", "Δ"):
            table.add_column(column)
        for label, metric, before, now in deltas:
            delta = now - before
            style = "red" if delta < 0 else "green" if delta > 0 else ""
            table.add_row(label, metric, f"{before:.4f}", f"{now:.4f}", f"[{style}]{delta:+.4f}[/]" if style else "0")
        console.print(table)
    if gate:
        try:
            failures = gate_failures(run, load_thresholds(thresholds))
        except CrossfootError as exc:
            fail_line(str(exc))
            raise typer.Exit(ExitCode.BAD_INPUT) from None
        for failure in failures:
            fail_line(f"gate: {failure}")
        if failures:
            raise typer.Exit(ExitCode.FINDINGS)
        console.print("[green]gate passed[/]")
