"""What every resource section shares: sorting, the incremental filter, refresh by diff."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot

from core import ImageInfo, Store, kinds
from core.traffic_rules import Reading
from tui.screens.kind_rows import KindRows
from tui.widgets.confirm import ConfirmModal
from tui.widgets.resource_table import Cell, CellRows, Column, fit_widths, sort_key

from .pilot import (
    app_on,
    cells,
    count_checks,
    detail,
    drive,
    press,
    section,
    settle,
    shown,
    until,
)


def status(app) -> str:
    return str(section(app).query_one("#status").render())


def test_clicking_a_header_sorts_by_it_and_again_reverses(store: Store) -> None:
    store.containers.create("zeta", architecture="i686")
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        assert shown(app) == ["db1", "web1", "zeta"]  # by name at first
        assert table.column_label("name").startswith("Name ▲")
        header_y = table.region.y
        arch_x = table.region.x + table.column_x("architecture")
        await pilot.click(offset=(arch_x + 1, header_y))
        await settle(pilot)
        assert shown(app) == ["db1", "zeta", "web1"]  # aarch64, i686, x86_64
        assert "sort Arch ▲" in status(app)
        await pilot.click(offset=(arch_x + 1, header_y))
        await settle(pilot)
        assert shown(app) == ["web1", "zeta", "db1"]
        assert table.column_label("architecture").startswith("Arch ▼")
        assert table.render_line(0).text.split()[:4] == ["Name", "State", "Arch", "▼"]

    drive(app, scenario)


def test_s_cycles_the_sort_column_and_keeps_the_cursor_on_its_row(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        await press(pilot, "down")
        assert table.current_key == "web1"
        await press(pilot, "s")  # state: running (web1) sorts before stopped (db1)
        assert table.sort_column == "power_state"
        assert shown(app) == ["web1", "db1"]
        assert table.current_key == "web1"
        columns = [c.key for c in table.specs]
        for _ in columns[2:]:
            await press(pilot, "s")
        assert table.sort_column == "image"
        await press(pilot, "s")
        assert table.sort_column == "name"  # round again

    drive(app, scenario)


def test_shift_s_reverses_the_sort_and_again_restores_it(store: Store) -> None:
    store.containers.create("zeta", architecture="i686")
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        await press(pilot, "S")
        assert shown(app) == ["zeta", "web1", "db1"]
        assert table.render_line(0).text.split()[:2] == ["Name", "▼"]
        assert "sort Name ▼" in status(app)
        assert table.current_key == "db1"  # the cursor stays on its row
        await press(pilot, "s", "S")  # the next column, then reversed
        assert (table.sort_column, table.sort_reverse) == ("power_state", True)
        assert shown(app)[-1] == "web1"  # running before stopped, reversed
        await press(pilot, "S")
        assert (table.sort_column, table.sort_reverse) == ("power_state", False)
        assert ("S", "reverse the order of the sorted column", "") in app.help_keys()

    drive(app, scenario)


def test_empty_values_sort_last_and_numbers_by_value() -> None:
    assert sorted([None, 10, 9, ""], key=sort_key) == [9, 10, None, ""]
    assert sorted(["b", "A", "c"], key=sort_key) == ["A", "b", "c"]
    assert Cell("5.0 GiB", sort=5 * 1024**3).sort_key > Cell("2.0 KiB", sort=2048).sort_key


def test_a_refresh_keeps_the_cursor_on_the_same_resource(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        await press(pilot, "down")
        assert table.current_key == "web1"
        store.containers.create("aaa")  # sorts first, shifts web1 down
        await press(pilot, "r")
        assert shown(app) == ["aaa", "db1", "web1"]
        assert table.current_key == "web1"
        store.containers.delete("web1", force=True)  # gone: the cursor stays on the same line
        await press(pilot, "r")
        assert table.current_key == "db1"

    drive(app, scenario)


def test_a_reload_keeps_the_cells_of_unchanged_rows(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        sec = section(app)
        web1, db1 = sec.all_rows["web1"], sec.all_rows["db1"]
        store.containers.update("db1", power_state="running")
        await press(pilot, "r")
        assert sec.loads == 2
        assert sec.all_rows["web1"] is web1  # the very cells on screen: the table passes over
        assert sec.all_rows["db1"] is not db1
        assert cells(app, "db1")[1] == "running"
        assert "running" in sec.table.render_line(1).text  # db1, first by name, drawn anew

    drive(app, scenario)


def test_a_timed_refresh_reads_nothing_while_the_store_is_unchanged(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_on(store, "containers", refresh_every=0.05)

    async def scenario(pilot: Pilot[None]) -> None:
        sec = section(app)
        checks = count_checks(monkeypatch, sec)

        async def refreshes(count: int) -> None:
            """Let the timer fire ``count`` times, and the last of them finish (the next one
            is scheduled when it has)."""
            await until(pilot, lambda: len(checks) >= count + 1)
            del checks[:]

        await refreshes(2)
        assert sec.loads == 1
        when = datetime(2026, 1, 2, 10, tzinfo=UTC)  # a collector's commit: not containers
        store.traffic.record([Reading(chain="eth0:in", raw=5, time=when, boot_time=1)])
        await refreshes(2)
        assert sec.loads == 1
        store.profiles.create("late")  # a change to the containers domain: the next one reads
        await until(pilot, lambda: sec.loads == 2)
        await refreshes(2)
        assert sec.loads == 2
        await press(pilot, "r")  # r always reads
        assert sec.loads == 3

    drive(app, scenario)


def test_columns_fit_their_widest_cell_after_the_filter_narrows_and_widens(store: Store) -> None:
    long_name = "c" * 40
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        await press(pilot, "slash", *"db")
        assert shown(app) == ["db1"]
        store.containers.create(long_name)
        section(app).load()  # read while filtered: the long name is not shown yet
        await settle(pilot)
        section(app).filter_input.value = "ccc"  # db1 goes, the long name comes: rebuilt
        await settle(pilot)
        assert shown(app) == [long_name]
        assert table.column_x("power_state") >= 40  # the name column fits the long name
        line = table.render_line(1).text  # header, then the first row: the long name whole
        assert long_name in line

    drive(app, scenario)


def test_the_filter_is_incremental_case_insensitive_and_over_every_column(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "slash")
        sec = section(app)
        assert sec.filter_input.has_focus
        await press(pilot, "A")
        assert shown(app) == ["db1", "web1"]  # aarch64, x86_64... every row has an "a"
        await press(pilot, "A", "R")  # "aar": db1's architecture
        assert shown(app) == ["db1"]
        assert "Containers 1/2" in status(app)
        await press(pilot, "backspace", "backspace", "backspace", *"GPU")  # a profile name
        assert shown(app) == ["web1"]
        await press(pilot, "enter")  # back to the table, the filter kept
        assert sec.table.has_focus and shown(app) == ["web1"]
        store.containers.create("gpu-box", profiles=["gpu"])
        await press(pilot, "r")  # a refresh keeps the filter
        assert shown(app) == ["gpu-box", "web1"]
        await press(pilot, "escape")  # Escape (from the table too) clears it
        assert shown(app) == ["db1", "gpu-box", "web1"]
        assert sec.filter_input.value == ""

    drive(app, scenario)


def test_a_filter_matching_nothing_says_so(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "slash", *"zzz")
        assert shown(app) == []
        assert "No match for 'zzz' (Escape clears)." in str(section(app).hint.render())
        await press(pilot, "escape")
        assert len(shown(app)) == 2

    drive(app, scenario)


def test_keys_typed_in_one_burst_after_slash_go_to_the_filter(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        for key, character in (("slash", "/"), ("d", "d"), ("b", "b")):  # one read, no pause
            app.post_message(events.Key(key, character))
        await settle(pilot)
        assert section(app).filter_input.value == "db"
        assert shown(app) == ["db1"]
        assert not isinstance(app.screen, ConfirmModal)  # d was not the delete binding

    drive(app, scenario)


@pytest.mark.parametrize(
    ("number", "query", "expected"),
    [
        ("2", "aarch", ["db1"]),  # containers, by architecture
        ("3", "GPU0", ["gpu"]),  # profiles, by device name
        ("4", "UBU", ["ab" * 32]),  # images, by alias
        ("5", "svc2.service", ["svc2"]),  # services, by unit
        ("6", "storage/1", ['["subject2","user1"]\tsvc1']),  # users, by storage folder
    ],
)
def test_every_section_filters_its_rows(
    store: Store, number: str, query: str, expected: list[str]
) -> None:
    store.images.create(ImageInfo(fingerprint="cd" * 32, filename="a", size=1,
                                  architecture="x86_64"))  # fmt: skip
    app = app_on(store, "dashboard")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, number, "slash", *query)
        assert shown(app) == expected
        await press(pilot, "escape")
        assert len(shown(app)) > len(expected)

    drive(app, scenario)


def test_the_cursor_follows_keys_and_clicks_and_scrolls_into_view(store: Store) -> None:
    for n in range(60):
        store.containers.create(f"extra-{n:02}")
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        sec = section(app)
        table = sec.table
        order = shown(app)
        assert table.current_key == order[0] and detail(app).startswith(order[0])
        await press(pilot, "down", "down")
        assert table.current_key == order[2] and detail(app).startswith(order[2])
        await press(pilot, "end")
        assert table.current_key == order[-1]
        assert table.scroll_y > 0  # the last row is in view
        line = table.render_line(table.scrollable_content_region.height - 1).text
        assert order[-1] in line
        await press(pilot, "home")
        assert table.current_key == order[0] and table.scroll_y == 0
        await press(pilot, "pagedown")
        assert table.cursor_row == table.scrollable_content_region.height - 2
        await pilot.click(offset=(table.region.x + 2, table.region.y + 3))  # the third row
        await settle(pilot)
        assert table.current_key == order[round(table.scroll_y) + 2]

    drive(app, scenario)


# -- at 80x24: what does not fit is cut with an ellipsis or dropped, numbers never cut


def screen_lines(app) -> list[str]:
    """The screen as drawn, one string per line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def drawn_cells(table, y: int) -> dict[str, str]:
    """What line ``y`` of ``table`` shows in each column drawn (padding stripped)."""
    line = table.render_line(y).text
    return {
        key: line[table.column_x(key) + 1 : table.column_x(key) + 1 + table.column_width(key)]
        for key in table.shown_columns()
    }


def assert_whole_or_ellipsis(table) -> None:
    """Every cell on screen shows its value whole, or cut with an ellipsis (never a number)."""
    numeric = {spec.key for spec in table.specs if spec.numeric}
    assert table.virtual_size.width <= table.scrollable_content_region.width  # no sideways
    visible = min(table.row_count, table.scrollable_content_region.height - 1)
    for row in range(visible):
        key = table.shown_keys()[row]
        for column, drawn in drawn_cells(table, row + 1).items():
            value, drawn = table.cell_text(key, column), drawn.strip()
            if drawn != value:
                assert column not in numeric, (key, column, value, drawn)
                assert drawn.endswith("…") and value.startswith(drawn[:-1]), (value, drawn)


def test_at_80_columns_a_ttl_of_90_or_365_shows_whole(store: Store) -> None:
    store.services.create("backup", service="aos_backup.service", ttl=90)
    store.services.create("telemetry-agent", service="aos_telemetry-agent.service", ttl=365)
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        lines = screen_lines(app)
        header = next(line for line in lines if line.startswith(" ID ▲"))
        assert "TTL" in header
        row = {key: next(line for line in lines if f" {key} " in line) for key in shown(app)}
        assert row["backup"].split()[-1] == "90" or " 90 " in row["backup"]
        assert " 365" in row["telemetry-agent"]
        assert drawn_cells(table, 1 + shown(app).index("telemetry-agent"))["ttl"].strip() == "365"
        assert_whole_or_ellipsis(table)

    drive(app, scenario, size=(80, 24))


def test_at_80_columns_headers_show_whole_and_long_values_end_in_an_ellipsis(
    store: Store,
) -> None:
    aliases = {f"ubuntu/24.04/cloud/variant-{n}": "" for n in range(3)}
    store.images.create(ImageInfo(fingerprint="cd" * 32, filename="a", size=10**9,
                                  architecture="x86_64", aliases=aliases))  # fmt: skip
    app = app_on(store, "images")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        header = table.render_line(0).text
        for column in table.shown_columns():
            assert table.column_label(column).strip() in header  # "Public", not "Publi"
        assert "Public" in header
        assert "uploaded" not in table.shown_columns()  # the least important column goes
        cut = drawn_cells(table, 1 + shown(app).index("cd" * 32))["aliases"].strip()
        whole = table.cell_text("cd" * 32, "aliases")
        assert len(cut) < len(whole) and cut.endswith("…") and whole.startswith(cut[:-1])
        assert_whole_or_ellipsis(table)

    drive(app, scenario, size=(80, 24))


@pytest.mark.parametrize("name", ["containers", "profiles", "images", "services", "users"])
def test_at_80_columns_every_section_shows_values_whole_or_with_an_ellipsis(
    demo_store: Store, name: str
) -> None:
    app = app_on(demo_store, name)

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        assert table.row_count > 0
        assert_whole_or_ellipsis(table)

    drive(app, scenario, size=(80, 24))


def test_fit_widths_drops_then_narrows_the_least_important_first() -> None:
    columns = [
        Column("name", "Name", priority=1),
        Column("note", "Note", priority=3),
        Column("size", "Size", numeric=True),
        Column("extra", "Extra", numeric=True, priority=4),
    ]
    natural, headers = [10, 20, 6, 5], [4, 4, 4, 5]

    def fit(room: int) -> list[int | None]:
        return fit_widths(columns, natural, headers, room)

    assert fit(49) == [10, 20, 6, 5]  # everything fits (2 cells of padding per column)
    assert fit(48) == [10, 19, 6, 5]  # the note narrows first
    assert fit(37) == [10, 8, 6, 5]  # down to 8 cells (MIN_TEXT: "x86…" says nothing)
    assert fit(36) == [10, 14, 6, None]  # then the least important column goes
    assert fit(30) == [10, 8, 6, None]
    assert fit(29) == [10, None, 6, None]
    assert fit(19) == [10, None, None, None]
    assert fit(10) == [8, None, None, None]  # the name narrows last; numbers go whole
    assert fit(3) == [8, None, None, None]  # never below 8 (or its header): the table scrolls


def test_at_80_columns_the_detail_pane_wraps_a_long_value_whole(store: Store) -> None:
    token = "".join(f"{n:03}" for n in range(60))  # 180 characters, no space to break at
    store.containers.create("aaa", config={"user.token": token, "user.motto": "word " * 30})
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        assert section(app).table.current_key == "aaa"
        pane = section(app).detail_pane
        static = pane.text
        assert 0 < static.size.width <= pane.scrollable_content_region.width
        lines = [strip.text for strip in static.render_lines(Region(0, 0, *static.size))]
        first = next(i for i, line in enumerate(lines) if "user.token" in line)
        value_x = lines[first].index(token[:10])  # the value goes on under itself
        wrapped = [lines[first][value_x:].rstrip()]
        for line in lines[first + 1 :]:
            if line[:value_x].strip():
                break
            wrapped.append(line[value_x:].rstrip())
        assert len(wrapped) > 1 and "".join(wrapped) == token
        motto = next(i for i, line in enumerate(lines) if "user.motto" in line)
        words = " ".join(line.strip() for line in lines[motto : motto + 4]).split()
        assert words.count("word") == 30

    drive(app, scenario, size=(80, 24))


@pytest.mark.parametrize(
    ("name", "column", "label"), [("profiles", "used_by", "Used by"), ("images", "size", "Size")]
)
def test_the_sort_mark_of_a_right_aligned_header_is_drawn_inside_its_column(
    store: Store, name: str, column: str, label: str
) -> None:
    app = app_on(store, name)

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        start, width = table.column_x(column), table.column_width(column)
        unsorted = table.render_line(0).text[start + 1 : start + 1 + width]
        assert unsorted.endswith(label), unsorted  # flush right, over the numbers
        table.sort_by(column)
        await settle(pilot)
        header = table.render_line(0).text
        inside = header[start : start + table.column_width(column) + 2]
        assert inside.strip() == f"{label} ▲", header
        table.sort_by(column)  # reversed
        await settle(pilot)
        assert f"{label} ▼" in table.render_line(0).text

    drive(app, scenario, size=(80, 24))


@pytest.mark.parametrize(("width", "expected"), [
    (80, "Containers 24 · read-only"),
    (120, "Containers 24 · sort Name ▲ · read-only"),
])  # fmt: skip
def test_the_section_line_shows_whole_parts_only(
    demo_store: Store, width: int, expected: str
) -> None:
    app = app_on(demo_store, "containers", read_only=True)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.pause()
        line = next(line for line in screen_lines(app) if "Filter /" in line)
        assert line.rstrip().endswith(f" {expected}"), line

    drive(app, scenario, size=(width, 24))


@pytest.mark.parametrize("width", [80, 60])
def test_a_services_state_and_status_stay_whole_before_its_numbers(
    demo_store: Store, width: int
) -> None:
    app = app_on(demo_store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        assert {"id", "state", "status"} <= set(table.shown_columns())
        for row, key in enumerate(shown(app), start=1):
            drawn = drawn_cells(table, row)
            assert drawn["status"].strip() == table.cell_text(key, "status"), drawn
            assert drawn["state"].strip() == table.cell_text(key, "state"), drawn
        assert "limit_exceeded" in [table.cell_text(key, "status") for key in shown(app)]
        assert_whole_or_ellipsis(table)

    drive(app, scenario, size=(width, 24))


def test_a_width_hint_is_the_narrowest_a_text_column_is_cut_to() -> None:
    columns = [
        Column("name", "Name", priority=1),
        Column("description", "Description", priority=3, width=16),
        Column("size", "Size", numeric=True),
    ]
    natural, headers = [10, 40, 6], [4, 11, 4]

    def fit(room: int) -> list[int | None]:
        return fit_widths(columns, natural, headers, room)

    assert fit(62) == [10, 40, 6]
    assert fit(50) == [10, 28, 6]
    assert fit(38) == [10, 16, 6]  # down to its hint, not to its header (11)
    assert fit(37) == [10, None, 6]  # narrower than the hint: dropped, not cut to nothing


# -- the rows of a section: texts kept, cells built when drawn


@pytest.mark.parametrize("name", ["containers", "profiles", "images", "services", "users"])
def test_a_sections_rows_draw_sort_and_measure_as_their_cells_would(
    demo_store: Store, name: str
) -> None:
    """What ``KindRows`` keeps (texts, widths, the order of a sort) agrees with the cells it
    builds for a drawn row, and sorts as the table sorted cells: by the column, ties by name."""
    kind = kinds.by_name(name)
    data = kind.read_columns(demo_store)
    rows = KindRows(kind, data)
    cells = {key: rows.cells(key) for key in rows}
    as_cells = CellRows(cells)
    assert rows.widths() == as_cells.widths()
    for key, row in cells.items():
        assert tuple(cell.plain for cell in row) == rows[key][: len(kind.columns)]
        assert list(rows.drawn(key)) == [(c.plain, c.justify == "right", c.style) for c in row]
        assert rows.search[key] == "\n".join(cell.plain for cell in row).casefold()
    for column in range(len(kind.columns)):
        for reverse in (False, True):
            expected = sorted(
                cells, key=lambda k: (cells[k][column].sort_key, cells[k][0].sort_key),
                reverse=reverse,
            )  # fmt: skip
            assert rows.order(column, reverse) == expected, (column, reverse)


def test_a_filter_typed_and_erased_matches_as_a_search_of_every_row_would(
    demo_store: Store,
) -> None:
    """``matching`` looks among the matches of a shorter text it was asked for (typing), or
    gives those of a text asked for already (erasing): the same rows, in the same order, as
    a search of every row; and of another order (a sort), that order's."""
    kind = kinds.by_name("containers")
    rows = KindRows(kind, kind.read_columns(demo_store))

    def every_row(text: str, keys: list[str]) -> list[str]:
        return [key for key in keys if text.casefold() in rows.search[key]]

    by_name = rows.order(0, False)
    texts = ["d", "DB", "db-", "db-0", "db-01", "db-0", "b-0", "db-0", "x", "", "RUN", "run"]
    for text in texts + ["ing\nu", "db-01", "d"]:
        assert rows.matching(text, by_name) == every_row(text, by_name), text
    reversed_keys = rows.order(0, True)
    for text in ("db-0", "db-01", "d"):
        assert rows.matching(text, reversed_keys) == every_row(text, reversed_keys), text


def test_a_rows_texts_are_escaped_and_wide_characters_take_two_cells(store: Store) -> None:
    store.profiles.create("wide", description="日本語の説明")  # 12 cells, 6 characters
    store.profiles.create("ctl", description="a\x1b[31mred\nb")
    kind = kinds.by_name("profiles")
    rows = KindRows(kind, kind.read_columns(store))
    column = [c.key for c in kind.columns].index("description")
    assert rows["ctl"][column] == "a\\x1b[31mred\\nb"
    assert rows.cells("ctl")[column].plain == "a\\x1b[31mred\\nb"
    assert rows.widths()[column] == max(12, len("a\\x1b[31mred\\nb"), len("Default profile"))
