"""A synthetic family corpus: gold records re-printed as text dumps in the
three templates seen in the wild, each with a random mix of the layout
defects real conversions show. The printed record stays the gold, so the
corpus measures the rules backend on forms it was not written against.

    python -m crossfoot.evaluate.family --out eval/family --per-form 3 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossfoot.model import FUNDING_COLUMNS

__all__ = ["Defects", "generate", "render"]

ROW_LABELS = {
    "total": "年度资金总额",
    "current_year": "其中：当年财政拨款",
    "carryover": "上年结转资金",
    "other": "其他资金",
}


@dataclass
class Defects:
    """Which defects one rendering carries."""

    template: str = "minhang"  # minhang | putuo | songjiang
    page_break_at: int | None = None  # indicator row index after which the page breaks
    repeat_labels_after_break: bool = False
    shifted_rows: dict[int, int] = field(default_factory=dict)  # row -> +1 right / -1 left
    wrapped_name: int | None = None  # row whose name wraps inside its cell (a layout space)
    split_at_break: str | None = None  # "tail_after" | "head_before": the name at the break is cut
    seam: bool = False  # the converter repeats a character at the cut
    level2_in_level1_column: int | None = None
    thousands: bool = False
    p_tags: bool = False
    encoding: str = "utf-8"
    crlf: bool = False
    empty_actual: bool = False
    vertical_noise: bool = False  # 绩效 / 指标 fragments of the vertical header in column 0
    funding_padding: bool = False  # an empty cell after each funding label, gaps in the header
    name_in_column0: int | None = None  # an unlabelled row whose name moved to column 0
    label_below_break: bool = False  # a new group's 二级指标 printed only after the page break


def _num(value: str | None, *, thousands: bool = False, percent: bool = False) -> str:
    if value is None:
        return ""
    text = value
    if thousands and "." not in value.lstrip("-")[:-3] and len(value.split(".")[0].lstrip("-")) > 3:
        whole, _, frac = value.partition(".")
        text = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return text + ("%" if percent else "")


def _funding_lines(record: dict[str, Any], d: Defects, width: int) -> list[list[str]]:
    unit = record.get("amount_unit") or "元"
    weight_head = "分数" if d.template == "putuo" else "分值"
    rate_head = "执行率(%)" if d.template == "putuo" else "执行率"
    lead = [""] if d.template != "putuo" else ["", ""]
    heads = ["年初预算数", "全年预算数", "全年执行数", weight_head, rate_head, "得分"]
    if d.funding_padding:
        heads = ["年初预算数", "", "全年预算数", "", "全年执行数", "", weight_head, rate_head, "得分"]
    lines = [[f"项目资金 ({unit})", *lead[1:], "", *heads]]
    percent = d.template != "putuo"
    for key, label in ROW_LABELS.items():
        row = (record.get("funding") or {}).get(key)
        if row is None:
            continue
        cells = []
        for column in FUNDING_COLUMNS:
            value = row.get(column)
            if value is None:
                cells.append("—" if column == "weight" and key != "total" else "")
            else:
                cells.append(
                    _num(
                        value,
                        thousands=d.thousands and column in ("executed",),
                        percent=percent and column == "execution_rate",
                    )
                )
        lines.append([*lead, label, *([""] if d.funding_padding else []), *cells])
    return lines


def _goal_lines(record: dict[str, Any], d: Defects) -> list[list[str]]:
    expected = record.get("goal_expected") or ""
    actual = record.get("goal_actual") or ""
    if d.p_tags:
        expected, actual = f"<p>{expected}</p>", f"<p>{actual}</p>"
    head = "预算目标" if d.template == "songjiang" else "预期目标"
    return [["年度总体目标", head, "", "", "实际完成情况"], ["", expected, "", "", actual]]


def _cut(name: str, rng: random.Random, seam: bool) -> tuple[str, str]:
    cut = rng.randint(3, len(name) - 2)
    return name[:cut], (name[cut - 1 :] if seam else name[cut:])


def _indicator_lines(record: dict[str, Any], d: Defects, rng: random.Random) -> list[list[str]]:
    putuo = d.template == "putuo"
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    lines = [header if putuo else ["绩效指标", *header]]
    fragment_lead = ["", ""] if putuo else ["", "", ""]
    previous: tuple[str | None, str | None] = (None, None)
    rows = record.get("indicators") or []
    for n, row in enumerate(rows):
        level1 = row["level1"] if row["level1"] != previous[0] else ""
        level2 = row["level2"] if (row["level1"], row["level2"]) != previous else ""
        after_break = d.page_break_at is not None and n == d.page_break_at + 1
        if after_break and d.repeat_labels_after_break:
            level1, level2 = row["level1"], row["level2"]
        if d.label_below_break and d.page_break_at is not None:
            before = rows[d.page_break_at]
            moved = (
                d.page_break_at + 1 < len(rows)
                and rows[d.page_break_at + 1]["level2"] == before["level2"]
                and (d.page_break_at == 0 or rows[d.page_break_at - 1]["level1"] != before["level1"])
            )
            if moved and n == d.page_break_at:
                level2 = ""
            elif moved and after_break:
                level2 = row["level2"]
        previous = (row["level1"], row["level2"])
        name = row["name"]
        head_before: str | None = None
        tail_after: str | None = None
        splittable = len(name) >= 6
        if d.split_at_break == "tail_after" and splittable and d.page_break_at == n:
            name, tail_after = _cut(name, rng, d.seam)
        elif d.split_at_break == "head_before" and splittable and after_break:
            head_before, name = _cut(name, rng, d.seam)
        elif d.wrapped_name == n and splittable:
            cut = rng.randint(3, len(name) - 2)
            name = name[:cut] + " " + name[cut:]  # wrapped inside its cell
        values = [
            name,
            row.get("target") or "",
            "" if d.empty_actual else (row.get("actual") or ""),
            row.get("weight") or "",
            row.get("score") or "",
            row.get("deviation") or "",
        ]
        labels = [level1, level2]
        if d.level2_in_level1_column == n and level2 and not level1:
            labels = [level2, ""]
        lead = 0 if putuo else 1
        cells = (labels if putuo else ["", *labels]) + values
        shift = d.shifted_rows.get(n, 0)
        if shift > 0:
            cells = [*cells[: len(labels) + lead], "", *cells[len(labels) + lead :]]
        elif shift < 0 and not (cells[0] or (not putuo and cells[1])):
            cells = cells[1:]
        if d.name_in_column0 == n and not any(labels) and not shift and not putuo:
            cells = [name, *cells[1:3], "", *cells[4:]]
        if d.vertical_noise and not putuo and not cells[0]:
            if n == 1:
                cells[0] = "绩效"
            elif after_break:
                cells[0] = "指标"
        if head_before is not None:
            lines.append([*fragment_lead, head_before])  # alone at the foot of the page
        if after_break and not (d.split_at_break == "tail_after" and lines and lines[-2:-1] == [[]]):
            lines.append([])  # the page break
        lines.append(cells)
        if tail_after is not None:
            lines.append([])
            lines.append([*fragment_lead, tail_after])  # alone at the top of the next page
            previous = (None, None) if d.repeat_labels_after_break else previous
    return lines


def render(record: dict[str, Any], d: Defects, rng: random.Random) -> str:
    """The text dump a converter might have produced for this record."""
    width = 9
    year = record.get("year")
    year_line = f"({year}年度)" if d.template == "putuo" else f"({year} 年度)"
    lines: list[list[str]] = [["财政项目支出绩效自评表"], [year_line]]
    name_row = (
        ["项目名称", "", record["project_name"]] if d.template == "putuo" else ["项目名称", record["project_name"]]
    )
    lines.append(name_row)
    lines.append(
        ["主管部门", record.get("department") or "", "", "", "实施单位", record.get("implementing_unit") or ""]
    )
    lines += _funding_lines(record, d, width)
    lines += _goal_lines(record, d)
    lines += _indicator_lines(record, d, rng)
    total_lead = ["总分", "", "", "", ""] if d.template == "putuo" else ["总分", "", "", "", "", ""]
    lines.append([*total_lead, record.get("total_weight") or "", record.get("total_score") or ""])
    if record.get("grade"):
        lines.append(["评分等级", "", record["grade"]])
    newline = "\r\n" if d.crlf else "\n"
    return newline.join("\t".join(cells) for cells in lines) + newline


def _defects_for(record: dict[str, Any], rng: random.Random) -> Defects:
    n = len(record.get("indicators") or [])
    template = "putuo" if record.get("amount_unit") == "万元" else rng.choice(["minhang", "songjiang"])
    d = Defects(template=template)
    if n > 3 and rng.random() < 0.7:
        d.page_break_at = rng.randint(1, n - 2)
        d.repeat_labels_after_break = rng.random() < 0.5
    for _ in range(rng.randint(0, 2)):
        if n:
            d.shifted_rows[rng.randrange(n)] = rng.choice([1, -1])
    if n and rng.random() < 0.4:
        d.wrapped_name = rng.randrange(n)
    if n and rng.random() < 0.4:
        d.level2_in_level1_column = rng.randrange(n)
    if d.page_break_at is not None and rng.random() < 0.6:
        d.split_at_break = rng.choice(["tail_after", "head_before"])
        d.seam = rng.random() < 0.5
    d.vertical_noise = rng.random() < 0.5
    d.funding_padding = rng.random() < 0.3
    d.name_in_column0 = rng.randrange(n) if n and rng.random() < 0.3 else None
    d.label_below_break = rng.random() < 0.4
    d.thousands = rng.random() < 0.5
    d.p_tags = rng.random() < 0.3
    d.encoding = rng.choice(["utf-8", "utf-8", "gb18030"])
    d.crlf = rng.random() < 0.3
    d.empty_actual = rng.random() < 0.15
    return d


def _printed(record: dict[str, Any], d: Defects) -> dict[str, Any]:
    gold: dict[str, Any] = json.loads(json.dumps(record))
    if d.empty_actual:
        for row in gold["indicators"]:
            row["actual"] = None
    return gold


def generate(fixtures: Path, out: Path, per_form: int, seed: int) -> int:
    """Write ``per_form`` variants of every fixture: dump + gold JSON."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(fixtures.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        record = {k: v for k, v in data.items() if not k.startswith("_")}
        for variant in range(per_form):
            d = _defects_for(record, rng)
            name = f"{path.stem}_v{variant}"
            text = render(record, d, rng)
            (out / f"{name}.txt").write_bytes(text.encode(d.encoding))
            gold = _printed(record, d)
            fixture = {
                "_source": {"file": str(out / f"{name}.txt"), "form_index": 0, "title_line": 1},
                "_alternatives": data.get("_alternatives") or {},
                "_notes": [f"synthetic: {path.name} re-printed with defects {d}"],
                **gold,
            }
            (out / f"{name}.json").write_text(
                json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fixtures", type=Path, default=Path("eval/fixtures"))
    parser.add_argument("--out", type=Path, default=Path("eval/family"))
    parser.add_argument("--per-form", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"wrote {generate(args.fixtures, args.out, args.per_form, args.seed)} synthetic forms to {args.out}")


if __name__ == "__main__":
    main()
