"""The queue in the database's order (issue 11, items 7, 9 and 11): keyset
pages, search, neighbours inside a filter, an order that does not move under
the reviewer, and settled warnings that stay settled."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the review extra is not installed")

from fastapi.testclient import TestClient
from sqlalchemy import select

from crossfoot.review.app import create_app
from crossfoot.review.edits import apply_repair, save_field, set_status, skip
from crossfoot.review.queue import QueueFilters, QueueKey, neighbours, queue, queue_page
from crossfoot.review.store import Store
from crossfoot.review.tables import ReviewItemRow
from crossfoot.review.view import form_view
from crossfoot.settings import Settings


def walk(store: Store, filters: QueueFilters, size: int) -> list[list[int]]:
    """Every page of a queue, following each page's "next page" key."""
    pages: list[list[int]] = []
    shown = queue_page(store, filters, size=size)
    while True:
        pages.append([row.form_id for row in shown.rows])
        if shown.after is None:
            return pages
        shown = queue_page(store, filters, after=shown.after, size=size)


@pytest.mark.parametrize("status", ["needs_review", "all"])
def test_keyset_pages_cover_the_queue_once_in_order(loaded: Store, status: str) -> None:
    filters = QueueFilters(status=status)
    everything = [row.form_id for row in queue(loaded, filters)]
    pages = walk(loaded, filters, size=3)
    assert [form for page in pages for form in page] == everything
    assert all(len(page) == 3 for page in pages[:-1]) and len(pages) >= 2
    # and back: each page's "previous page" key gives the page before it
    last = queue_page(
        loaded, filters, after=QueueKey.decode(queue_page(loaded, filters, size=3).after.encode()), size=3
    )  # type: ignore[union-attr]
    assert last.before is not None
    assert [r.form_id for r in queue_page(loaded, filters, before=last.before, size=3).rows] == pages[0]


def test_a_next_page_link_keeps_its_place_when_earlier_forms_are_decided(loaded: Store) -> None:
    first = queue_page(loaded, size=3)
    assert first.after is not None
    expected = [row.form_id for row in queue(loaded)][3:6]
    for row in first.rows:  # approved meanwhile: they leave the queue, the next page does not shift
        set_status(loaded, row.form_id, "approve", version=row.version, reviewer="ann")
    assert [row.form_id for row in queue_page(loaded, after=first.after, size=3).rows] == expected


def test_a_page_key_survives_the_url_and_garbage_is_ignored(loaded: Store) -> None:
    key = queue_page(loaded, size=2).after
    assert key is not None and QueueKey.decode(key.encode()) == key
    assert QueueKey.decode("not json") is None and QueueKey.decode('["a"]') is None
    client = TestClient(create_app(loaded, Settings()), base_url="http://127.0.0.1:8000")
    page = client.get("/", params={"after": key.encode()}).text
    rows = queue(loaded)
    assert f'id="q{rows[2].form_id}"' in page and f'id="q{rows[0].form_id}"' not in page
    assert client.get("/", params={"after": "][", "before": "x"}).status_code == 200


def test_neighbours_follow_the_filtered_order(loaded: Store) -> None:
    code = next(c for row in queue(loaded) for c in row.codes if len(queue(loaded, QueueFilters(code=c))) >= 3)
    filters = QueueFilters(code=code)
    order = [row.form_id for row in queue(loaded, filters)]
    for at, form_id in enumerate(order):
        previous, following = neighbours(loaded, form_id, filters)
        assert previous == (order[at - 1] if at else None)
        assert following == (order[at + 1] if at + 1 < len(order) else order[0])


def test_search_by_project_document_check_and_reviewer(loaded: Store) -> None:
    rows = queue(loaded, QueueFilters(status="all"))
    target = next(row for row in rows if row.title)
    word = target.title[2:6]
    found = queue(loaded, QueueFilters(status="all", search=word))
    assert target.form_id in [r.form_id for r in found]
    assert all(word in r.title or word in r.path for r in found)
    name = target.path.rsplit("/", 1)[-1]
    assert {r.form_id for r in queue(loaded, QueueFilters(status="all", search=name))} == {
        r.form_id for r in rows if r.path.endswith(name)
    }
    code = next(c for r in rows for c in r.codes)
    assert {r.form_id for r in queue(loaded, QueueFilters(search=code))} == {
        r.form_id for r in queue(loaded, QueueFilters(code=code))
    }
    set_status(loaded, target.form_id, "approve", version=target.version, reviewer="Wang Fang")
    assert [r.form_id for r in queue(loaded, QueueFilters(status="all", search="wang f"))] == [target.form_id]
    assert queue(loaded, QueueFilters(status="all", search="100%_no_such")) == []  # LIKE wildcards are literal


def test_the_side_bar_and_progress_follow_a_search(loaded: Store) -> None:
    client = TestClient(create_app(loaded, Settings()), base_url="http://127.0.0.1:8000")
    rows = queue(loaded)
    name = rows[0].path.rsplit("/", 1)[-1]
    page = client.get("/", params={"q": name}).text
    assert f"“{name}” ×" in page
    waiting = len([r for r in rows if r.path.endswith(name)])
    assert f"<b>{waiting}</b><span>forms need review</span>" in page


def test_an_edit_that_fixes_the_form_does_not_reorder_the_queue(loaded: Store) -> None:
    """Issue 11, item 7: Next neither skips nor repeats a form after an edit."""
    order = [row.form_id for row in queue(loaded)]
    fixable = next(
        row.form_id
        for row in queue(loaded)
        if any(fv.finding.repair for fv in form_view(loaded, row.form_id).findings) and row.form_id != order[-1]
    )
    before = neighbours(loaded, fixable, None)
    view = form_view(loaded, fixable)
    repair = next(fv.finding.repair for fv in view.findings if fv.finding.repair)
    assert repair is not None
    apply_repair(loaded, fixable, repair.field, version=view.form.version, reviewer="ann")
    assert form_view(loaded, fixable).open_items == []  # its most urgent item is gone...
    assert [row.form_id for row in queue(loaded)] == order  # ...but it keeps its place
    assert neighbours(loaded, fixable, None) == before


def test_a_skip_sends_the_form_to_the_end_until_it_changes(loaded: Store) -> None:
    first = queue(loaded)[0]
    skip(loaded, first.form_id, reviewer="ann")
    rows = queue(loaded)
    assert rows[-1].form_id == first.form_id and rows[-1].skipped
    assert neighbours(loaded, first.form_id, None)[1] == rows[0].form_id  # past the end: back to the first
    save_field(loaded, first.form_id, "department", "某局", version=first.version, reviewer="ann")
    assert queue(loaded)[0].form_id == first.form_id  # changed: back in its place


def test_an_edit_does_not_reopen_what_the_reviewer_settled(loaded: Store) -> None:
    """Issue 11, item 11: approving as printed settles a finding; an edit of
    another field re-runs the checks but the same finding stays closed."""
    with loaded.read() as session:
        form_id, fields = next(
            (item.form_id, item.fields)
            for item in session.scalars(select(ReviewItemRow).where(ReviewItemRow.closed_at.is_(None)))
            if {"total_score", "total_weight"} & set(item.fields)
        )
    view = form_view(loaded, form_id)
    settled = {(i.code, tuple(i.fields)) for i in view.open_items}
    set_status(loaded, form_id, "approve", version=view.form.version, reviewer="ann", reason="x", as_printed=True)
    version = form_view(loaded, form_id).form.version
    save_field(loaded, form_id, "department", "另一个局", version=version, reviewer="bob")
    after = form_view(loaded, form_id)
    assert after.form.status == "needs_review"  # an edit of an approved form asks for a new decision
    assert after.open_items == []  # but not the questions already answered
    assert {(f.code, tuple(f.fields)) for f in (fv.finding for fv in after.findings)} >= settled  # still found
    # editing a field the finding names asks again
    field = next(f for f in fields if f in ("total_score", "total_weight"))
    save_field(loaded, form_id, field, "1", version=after.form.version, reviewer="bob")
    assert any(field in item.fields for item in form_view(loaded, form_id).open_items)


def test_migration_0004_gives_an_older_store_the_same_order(loaded: Store) -> None:
    """A store made before 0004 (its queue columns empty) gets the order the
    loader would give: the backfill and ``sync_items`` agree."""
    from alembic import command
    from alembic.config import Config

    from crossfoot.review.store import MIGRATIONS

    skip(loaded, queue(loaded)[1].form_id, reviewer="ann")
    before = [(row.form_id, row.sort_key) for row in queue(loaded, QueueFilters(status="all"))]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with loaded.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
        command.upgrade(config, "head")
    assert [(row.form_id, row.sort_key) for row in queue(loaded, QueueFilters(status="all"))] == before


def test_the_queue_page_links_walk_every_form_once(loaded: Store) -> None:
    """The page's own "next page" / "previous page" links (keyset, in the URL) cover the queue."""
    import html
    import re

    client = TestClient(create_app(loaded, Settings(), page_size=4), base_url="http://127.0.0.1:8000")
    expected = [row.form_id for row in queue(loaded)]
    seen: list[int] = []
    url = "/"
    pages = []
    while url:
        text = client.get(url).text
        pages.append(text)
        seen += [int(n) for n in re.findall(r'<tr class="qrow" id="q(\d+)"', text)]
        link = re.search(r'id="next-page" href="([^"]+)"', text)
        url = html.unescape(link.group(1)) if link else ""
    assert seen == expected and len(pages) > 1
    back = re.search(r'id="prev-page" href="([^"]+)"', pages[1])
    assert back is not None
    first_again = client.get(html.unescape(back.group(1))).text
    assert re.findall(r'id="q(\d+)"', first_again) == [str(n) for n in expected[:4]]
