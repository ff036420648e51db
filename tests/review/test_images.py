"""Page images of stored source files (issue 11, item 4): rendered from the
real file, cached by content, and never shown when the file cannot be trusted."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossfoot.review.images import SourceImages, SourceUnavailable, is_pdf
from crossfoot.settings import Settings
from tests.conftest import ROOT

pytest.importorskip("fastapi", reason="the review extra is not installed")
from fastapi.testclient import TestClient

LOCAL = "http://127.0.0.1"

pytest.importorskip("PIL", reason="Pillow is part of the ocr extra")

SCAN = ROOT / "eval" / "corpus" / "scan" / "000_1c7597119af05248__00.jpg"
PDF = ROOT / "eval" / "corpus" / "scan" / "001_1b2e574df5a7d62c__07.pdf"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "input"
    folder.mkdir()
    shutil.copyfile(SCAN, folder / "scan.jpg")
    shutil.copyfile(PDF, folder / "scan.pdf")
    return folder


@pytest.fixture
def images(tmp_path: Path, sources: Path) -> SourceImages:
    return SourceImages(tmp_path / "cache", [sources])


def test_an_image_scan_renders_as_png_with_its_size_in_box_units(images: SourceImages, sources: Path) -> None:
    from PIL import Image

    scan = sources / "scan.jpg"
    sizes = images.page_sizes(str(scan), sha(scan))
    with Image.open(scan) as original:
        assert [(s.number, s.width, s.height) for s in sizes] == [(1, original.width, original.height)]
    png = images.render(str(scan), sha(scan), 1)
    assert png.read_bytes().startswith(b"\x89PNG")
    with Image.open(png) as shown:
        # shown at most IMAGE_MAX_WIDTH wide, in the original's proportions
        assert abs(shown.width / shown.height - sizes[0].width / sizes[0].height) < 0.01


def test_a_pdf_page_renders_and_measures_in_points(images: SourceImages, sources: Path) -> None:
    from PIL import Image

    pdf = sources / "scan.pdf"
    assert is_pdf(pdf)
    sizes = images.page_sizes(str(pdf), sha(pdf))
    assert [s.number for s in sizes] == list(range(1, len(sizes) + 1)) and len(sizes) > 1
    size = sizes[0]
    assert 500 < size.width < 700 and 700 < size.height < 900  # A4 in points, not pixels
    with Image.open(images.render(str(pdf), sha(pdf), 1)) as shown:
        assert shown.width == pytest.approx(size.width * 144 / 72, abs=2)


def test_a_second_render_is_a_cache_hit_keyed_by_content(images: SourceImages, sources: Path, tmp_path: Path) -> None:
    scan = sources / "scan.jpg"
    first = images.render(str(scan), sha(scan), 1)
    stamp = first.stat().st_mtime_ns
    assert images.render(str(scan), sha(scan), 1) == first
    assert first.stat().st_mtime_ns == stamp  # not written again
    assert sha(scan) in first.name
    # the same bytes under another name share the cached image
    twin = sources / "twin.jpg"
    shutil.copyfile(scan, twin)
    assert images.render(str(twin), sha(twin), 1) == first
    # nothing half-written is left beside it
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]


def test_a_moved_file_is_a_clear_message_even_when_cached(images: SourceImages, sources: Path) -> None:
    scan = sources / "scan.jpg"
    digest = sha(scan)
    images.render(str(scan), digest, 1)
    scan.rename(sources / "elsewhere.jpg")
    with pytest.raises(SourceUnavailable, match="not there any more") as caught:
        images.render(str(scan), digest, 1)
    assert str(scan) in str(caught.value)


def test_a_changed_file_is_refused(images: SourceImages, sources: Path) -> None:
    scan = sources / "scan.jpg"
    digest = sha(scan)
    images.page_sizes(str(scan), digest)  # verified once, remembered by size and mtime
    with scan.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(SourceUnavailable, match="changed since it was loaded"):
        images.render(str(scan), digest, 1)


def test_a_same_size_rewrite_is_caught_by_its_mtime(images: SourceImages, sources: Path) -> None:
    scan = sources / "scan.jpg"
    digest = sha(scan)
    images.page_sizes(str(scan), digest)
    data = bytearray(scan.read_bytes())
    data[-3] ^= 0xFF
    scan.write_bytes(bytes(data))
    later = scan.stat().st_mtime_ns + 1_000_000_000
    os.utime(scan, ns=(later, later))
    with pytest.raises(SourceUnavailable, match="changed since it was loaded"):
        images.page_sizes(str(scan), digest)


def test_a_path_outside_the_served_folders_is_refused(images: SourceImages, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jpg"
    shutil.copyfile(SCAN, outside)
    with pytest.raises(SourceUnavailable, match="outside the folders this review serves"):
        images.render(str(outside), sha(outside), 1)
    # nor by climbing out of a served folder, nor through a symlink inside one
    with pytest.raises(SourceUnavailable, match="outside"):
        images.render("../outside.jpg", sha(outside), 1)
    link = images.roots[0] / "link.jpg"
    link.symlink_to(outside)
    with pytest.raises(SourceUnavailable, match="outside"):
        images.render(str(link), sha(outside), 1)
    assert not (tmp_path / "cache").exists()  # nothing rendered, nothing cached


def test_a_relative_path_resolves_inside_a_served_folder(images: SourceImages, sources: Path) -> None:
    scan = sources / "scan.jpg"
    assert images.locate("scan.jpg", sha(scan)) == scan.resolve()


def test_a_page_past_the_end_is_a_message(images: SourceImages, sources: Path) -> None:
    scan = sources / "scan.jpg"
    with pytest.raises(SourceUnavailable, match="no page 2"):
        images.render(str(scan), sha(scan), 2)


def test_a_tilted_scan_is_shown_straightened_as_ocr_read_it(images: SourceImages, sources: Path) -> None:
    """OCR reads a tilted page straightened, so its boxes only fit a straightened image."""
    pytest.importorskip("cv2", reason="OpenCV is part of the ocr extra")
    import numpy as np
    from PIL import Image, ImageDraw

    from crossfoot.ingest.ocr_grid import estimate_skew

    page = Image.new("L", (1600, 2200), 255)
    draw = ImageDraw.Draw(page)
    for y in range(300, 1900, 80):  # a ruled table
        draw.line([(150, y), (1450, y)], fill=0, width=3)
    tilted = sources / "tilted.png"
    page.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=255).save(tilted)
    assert abs(estimate_skew(np.asarray(Image.open(tilted)))) > 1.0
    with Image.open(images.render(str(tilted), sha(tilted), 1)) as shown:
        assert shown.size == (1600, 2200)  # turned about its centre, same size: boxes keep their place
        assert abs(estimate_skew(np.asarray(shown.convert("L")))) < 0.1


# ---------------------------------------------------------------- in the app


@pytest.fixture
def scan_app(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    from crossfoot.review.app import create_app
    from crossfoot.review.store import Store, load_into
    from tests.review.scan_fixture import scan_run

    with Store(str(tmp_path / "review.db")) as store:
        load_into(store, *scan_run(tmp_path))
        app = create_app(store, Settings(review_image_cache=tmp_path / "cache"))
        yield TestClient(app, base_url=LOCAL), tmp_path / SCAN.name


def test_the_pane_lists_every_box_and_serves_the_png(scan_app: tuple[TestClient, Path]) -> None:
    client, _ = scan_app
    pane = client.get("/forms/1/pages")
    assert pane.status_code == 200
    assert 'viewBox="0 0 1654.0 2339.0"' in pane.text  # the scan's own pixels, the boxes' units
    assert 'data-field="implementing_unit" x="1011.0" y="338.0"' in pane.text
    png = client.get("/forms/1/pages/1.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")


def test_a_moved_or_changed_source_is_a_message_not_a_500(scan_app: tuple[TestClient, Path]) -> None:
    client, scan = scan_app
    with scan.open("ab") as handle:
        handle.write(b"\0")
    pane = client.get("/forms/1/pages")
    assert pane.status_code == 200 and 'id="image-missing"' in pane.text and "changed since it was loaded" in pane.text
    png = client.get("/forms/1/pages/1.png")
    assert png.status_code == 404 and "changed since it was loaded" in png.text
    scan.unlink()
    assert "not there any more" in client.get("/forms/1/pages").text
    assert client.get("/forms/99/pages/1.png").status_code == 404
    # the form page itself is unaffected: its lines are in the store
    assert client.get("/forms/1").status_code == 200


def test_a_native_file_names_its_cells_and_has_no_page_image(tmp_path: Path) -> None:
    from crossfoot.review.app import create_app
    from crossfoot.review.store import Store, load_into
    from tests.ingest.native_forms import write_xlsx
    from tests.review.helpers import rules_run

    workbook = write_xlsx(tmp_path / "form.xlsx")
    with Store(str(tmp_path / "review.db")) as store:
        load_into(store, *rules_run([workbook]))
        client = TestClient(create_app(store, Settings(review_image_cache=tmp_path / "cache")), base_url=LOCAL)
        page = client.get("/forms/1").text
        # the field says where the workbook has it, and so does its cell in the source pane
        where = re.search(r'data-field="project_name"[^>]*data-where="([^"]+)"', page)
        assert where and "!" in where.group(1)
        assert f'title="{where.group(1)}"' in page
        assert 'id="image-pane"' not in page
        assert 'id="image-none"' in client.get("/forms/1/pages").text
    assert not (tmp_path / "cache").exists()


def test_an_image_over_the_pixel_limit_is_a_message(tmp_path: Path, sources: Path) -> None:
    small = SourceImages(tmp_path / "cache", [sources], max_pixels=1000)
    scan = sources / "scan.jpg"
    with pytest.raises(SourceUnavailable, match="over max_image_pixels"):
        small.render(str(scan), sha(scan), 1)
