"""Generate the template zoo: every template's forms in every input kind, with gold.

For each template id (eval/zoo/README.md) the records in zoo_records_*.py are
grouped into documents (single forms and a two-form document), laid out as the
template prints them (zoo_layout.py) and rendered:

    html/<doc>.html        clean rowspan/colspan table (UTF-8)
    html/<doc>_site.html   a saved government page (GBK, layout tables, <p> in cells)
    xlsx/<doc>.xlsx        openpyxl, merged ranges, typed numbers with formats
    xlsx/<doc>_lo.xlsx     LibreOffice Calc's import of the clean HTML (skipped without soffice)
    xls/<doc>.xls          LibreOffice's conversion of the XLSX (skipped without soffice)
    docx/<doc>.docx        python-docx, gridSpan / vMerge
    docx/<doc>_lo.docx     LibreOffice Writer's conversion of the clean HTML (skipped without soffice)
    csv/<doc>.csv          merged cells written once (UTF-8 with BOM or GBK)
    pdf/<doc>.pdf          reportlab ruled grid (WQY Zen Hei)
    pdf/<doc>_chromium.pdf Chromium print of the HTML (AR PL UMing; skipped without chromium)
    scan/<doc>[_chromium]_scan.{jpg,pdf}   two documents per template, from each PDF
    text/<doc>.txt         a tab-separated dump like ../shared/seeds

Beside each file one gold per form, ``<file stem>__<form index>.json``: the
contract record plus ``_source`` {file, form_index}, ``_template``, ``_kind``,
``_notes`` and ``_alternatives``. Everything is seeded; a re-run writes the
same files (PDF/XLS bytes may differ in embedded dates, not in content).

Usage::

    /work/venv/bin/python eval/zoo/generate.py [--only hubei ...] [--kinds html xlsx ...] [--seed 10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import zoo_records_a  # noqa: E402
import zoo_records_b  # noqa: E402
import zoo_render_native as native  # noqa: E402
from zoo_forms import Form  # noqa: E402
from zoo_layout import Block, layout  # noqa: E402

BUILDERS = {
    "shanghai": zoo_records_b.shanghai,
    "mof_central": zoo_records_b.mof_central,
    "yunnan_final": zoo_records_a.yunnan_final,
    "sichuan_budget": zoo_records_a.sichuan_budget,
    "sichuan_special": zoo_records_b.sichuan_special,
    "hubei": zoo_records_a.hubei,
    "hunan_county": zoo_records_a.hunan_county,
    "shanxi_county": zoo_records_b.shanxi_county,
    "sichuan_goal": zoo_records_b.sichuan_goal,
}
#: forms (by index) per document: three single-form documents and one of two forms
DOCUMENTS = [[0], [1], [2, 3], [4]]
#: the documents that are also scanned (short single-form ones: OCR costs ~10 s a page)
SCANNED = (1, 3)
KINDS = ("html", "xlsx", "xls", "docx", "csv", "pdf", "scan", "text")
SITES = {
    "shanghai": "上海市普陀区人民政府",
    "mof_central": "中华人民共和国财政部",
    "yunnan_final": "盘龙区人民政府",
    "sichuan_budget": "青神县人民政府",
    "sichuan_special": "四川省财政厅",
    "hubei": "孝感市人民政府",
    "hunan_county": "衡山县人民政府",
    "shanxi_county": "阳城县人民政府",
    "sichuan_goal": "中江县人民政府",
}


#: a private LibreOffice profile: a soffice already running elsewhere on the machine
#: would otherwise take the job over (or drop it)
PROFILE = "-env:UserInstallation=file:///tmp/crossfoot-zoo-libreoffice"


def seed_of(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:4], "big")


def relative(path: Path) -> str:
    """The path the gold names: relative to the repository root when inside it."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:  # a zoo written elsewhere (tests, --out)
        return path.as_posix()


def gold(form: Form, index: int, generated: Path, kind: str, extra_notes: list[str]) -> dict[str, Any]:
    return {
        "_source": {"file": relative(generated), "form_index": index},
        "_template": form.template,
        "_kind": kind,
        "_notes": [*form.notes, *extra_notes],
        "_alternatives": form.alternatives,
        **form.record(),
    }


def write_golds(forms: list[Form], generated: Path, kind: str, notes: list[str] | None = None) -> None:
    for index, form in enumerate(forms):
        path = generated.parent / f"{generated.stem}__{index:02d}.json"
        text = json.dumps(gold(form, index, generated, kind, notes or []), ensure_ascii=False, indent=2)
        path.write_text(text + "\n", encoding="utf-8")


def doc_title(forms: list[Form]) -> str:
    return f"{forms[0].department or ''}{forms[0].year or ''}年度项目支出绩效自评表公开"


def render_native(
    template: str, stem: str, forms: list[Form], blocks: list[Block], out: Path, kinds: set[str], seed: int
) -> list[Path]:
    written: list[Path] = []

    def rng_for(kind: str) -> random.Random:
        # one stream per kind, so that rendering some kinds only gives the same files
        return random.Random(seed_of(seed, template, stem, kind))

    def target(kind: str, name: str) -> Path:
        folder = out / template / kind
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    if "html" in kinds or "xlsx" in kinds or "docx" in kinds:
        p = target("html", f"{stem}.html")
        p.write_text(native.html_clean(blocks, doc_title(forms)), encoding="utf-8")
        write_golds(forms, p, "html")
        written.append(p)
    if "html" in kinds:
        p = target("html", f"{stem}_site.html")
        p.write_bytes(native.html_site(blocks, doc_title(forms), SITES[template], rng_for("html")))
        write_golds(forms, p, "html", ["renderer B: a saved government page, GBK, <p> in every cell"])
        written.append(p)
    if "xlsx" in kinds or "xls" in kinds:
        p = target("xlsx", f"{stem}.xlsx")
        per_sheet = template in ("hubei", "yunnan_final", "sichuan_special")
        names = [f"表{i + 1}" for i in range(len(forms))] if per_sheet else ["Sheet1"]
        if template == "yunnan_final":
            names = [f"公开14表-{i + 1}" for i in range(len(forms))]
        native.xlsx(blocks, p, per_sheet, names)
        write_golds(forms, p, "xlsx")
        written.append(p)
    if "docx" in kinds:
        p = target("docx", f"{stem}.docx")
        native.docx(blocks, p)
        write_golds(forms, p, "docx")
    if "csv" in kinds:
        p = target("csv", f"{stem}.csv")
        encoding = "gbk" if rng_for("csv").random() < 0.5 and template != "hubei" else "utf-8-sig"
        p.write_bytes(native.csv_bytes(blocks, encoding))
        write_golds(forms, p, "csv", [f"encoding {encoding}"])
    if "text" in kinds:
        p = target("text", f"{stem}.txt")
        rng = rng_for("text")
        dump = native.text_dump(blocks, rng)
        encoding = "gb18030" if rng.random() < 0.3 else "utf-8"
        newline = "\r\n" if rng.random() < 0.3 else "\n"
        p.write_bytes(dump.replace("\n", newline).encode(encoding))
        write_golds(forms, p, "text", [f"text dump, encoding {encoding}"])
    return written


def convert_lo(html_files: list[Path], kinds: set[str]) -> None:
    """Renderer B for XLSX and DOCX: LibreOffice's own conversion of the clean HTML
    (Calc's HTML import types numbers as General; Writer writes its own merges)."""
    soffice = shutil.which("soffice")
    if not html_files or not kinds & {"xlsx", "docx"}:
        return
    if soffice is None:
        print("soffice not found: LibreOffice XLSX/DOCX skipped", file=sys.stderr)
        return
    import subprocess
    import tempfile

    jobs = [
        ("xlsx", ["--infilter=HTML (StarCalc)", "--convert-to", "xlsx"]),
        ("docx", ["--convert-to", "docx:MS Word 2007 XML"]),
    ]
    for kind, args in jobs:
        if kind not in kinds:
            continue
        by_folder: dict[Path, list[Path]] = {}
        for p in html_files:
            by_folder.setdefault(p.parent.parent / kind, []).append(p)
        for folder, files in by_folder.items():
            with tempfile.TemporaryDirectory() as tmp:
                copies = []
                for p in files:
                    copy = Path(tmp) / f"{p.stem}_lo.html"
                    html = p.read_text(encoding="utf-8")
                    if kind == "xlsx":
                        # Calc's HTML import evaluates a cell starting with "=" (=100%, =30个) as a
                        # formula (#NAME?); the full-width ＝ prints the same sign and compares equal
                        html = re.sub(r"(>\s*)=", "\\1＝", html)
                    copy.write_text(html, encoding="utf-8")
                    copies.append(str(copy))
                subprocess.run(
                    [soffice, PROFILE, "--headless", *args, "--outdir", str(folder), *copies],
                    check=True,
                    capture_output=True,
                    timeout=600,
                )
            for p in files:
                made = folder / f"{p.stem}_lo.{kind}"
                if not made.exists():
                    print(f"LibreOffice wrote no {made.name}", file=sys.stderr)
                    continue
                for g in p.parent.glob(f"{p.stem}__*.json"):
                    data = json.loads(g.read_text(encoding="utf-8"))
                    data["_source"]["file"] = relative(made)
                    data["_kind"] = kind
                    data["_notes"] = [*data["_notes"], f"renderer B: LibreOffice's {kind.upper()} of the clean HTML"]
                    name = f"{made.stem}__{g.stem.rsplit('__', 1)[1]}.json"
                    (folder / name).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def convert_xls(xlsx_files: list[Path]) -> None:
    """LibreOffice's XLS of each XLSX, in one soffice run per folder."""
    soffice = shutil.which("soffice")
    if soffice is None or not xlsx_files:
        print("soffice not found: XLS skipped", file=sys.stderr)
        return
    import subprocess

    by_folder: dict[Path, list[Path]] = {}
    for p in xlsx_files:
        by_folder.setdefault(p.parent.parent / "xls", []).append(p)
    for folder, files in by_folder.items():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [soffice, PROFILE, "--headless", "--convert-to", "xls", "--outdir", str(folder), *map(str, files)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        for p in files:
            xls = folder / f"{p.stem}.xls"
            for g in p.parent.glob(f"{p.stem}__*.json"):
                data = json.loads(g.read_text(encoding="utf-8"))
                data["_source"]["file"] = relative(xls)
                data["_kind"] = "xls"
                data["_notes"] = [*data["_notes"], "converted from the XLSX by LibreOffice"]
                (folder / g.name).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--only", nargs="*", help="template ids")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS))
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice XLSX/DOCX/XLS")
    args = parser.parse_args()
    kinds = set(args.kinds)
    out = args.out.resolve()
    xlsx_files: list[Path] = []
    html_files: list[Path] = []
    pdfs: list[tuple[str, str, list[Form], Path]] = []
    for template, builder in BUILDERS.items():
        if args.only and template not in args.only:
            continue
        forms = builder()
        if not forms:
            continue
        for k in kinds & {"html", "xlsx", "xls", "docx", "csv", "pdf", "scan", "text"}:
            folder = out / template / k
            if folder.exists():
                shutil.rmtree(folder)
        for d, members in enumerate(DOCUMENTS, 1):
            doc_forms = [forms[i] for i in members]
            stem = f"{template}_d{d}"
            blocks = layout(doc_forms)
            written = render_native(template, stem, doc_forms, blocks, out, kinds, args.seed)
            xlsx_files += [p for p in written if p.suffix == ".xlsx"]
            html_files += [p for p in written if p.suffix == ".html" and not p.stem.endswith("_site")]
            if kinds & {"pdf", "scan"}:
                import zoo_render_pdf as pdf

                made = pdf.render_pdfs(template, stem, doc_forms, blocks, out, write_golds, doc_title(doc_forms))
                if "scan" in kinds and d - 1 in SCANNED:
                    for p in made:
                        pdfs.append((template, stem, doc_forms, p))
        print(f"{template}: {len(forms)} forms")
    if "xls" in kinds and not args.no_libreoffice:
        convert_xls(xlsx_files)
    if not args.no_libreoffice:
        convert_lo(html_files, kinds)
    if "scan" in kinds:
        import zoo_render_pdf as pdf

        for template, _stem, doc_forms, p in pdfs:
            scan = pdf.render_scan(p, out / template / "scan" / f"{p.stem}_scan", seed_of(args.seed, p.name))
            write_golds(doc_forms, scan, "scan", [f"scan of {p.name}"])


if __name__ == "__main__":
    main()
