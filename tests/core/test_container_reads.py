"""Containers as a large kind: ``read_columns`` (the columns, without config and devices),
``pages`` (whole containers by keyset pagination, from one snapshot) and the Networks column in
SQL, checked against ``read`` and against the overlay rules of ``expand``, on every backend;
and ``nodekeeper list containers`` writing them as it reads them, the same text as before."""

from __future__ import annotations

import csv
import io
import json

import pytest

from core import ValidationError, kinds, open_store
from core.cli import csv_text, main
from core.kinds.base import Listing
from core.store import ImageInfo
from core.store.containers import BASE_IMAGE_KEY, ContainerInfo, expand
from core.store.lxd_common import networks_of
from core.text import json_lines
from tests.helpers import nic

KIND = kinds.by_name("containers")
FINGERPRINT = "ab" * 32

FILTERS = [
    {},
    {"using": "br0"},
    {"using": "br9"},  # only through a profile
    {"using": "nowhere"},
    {"profile": "p1"},
    {"profile": "p2"},
    {"image": "ubuntu"},  # an alias
    {"image": FINGERPRINT[:12]},  # a prefix
    {"image": "cd" * 32},  # an image no longer in the store
    {"using": "br0", "profile": "p1"},
    {"profile": "p2", "image": "ubuntu"},
]


def fill(store) -> None:
    """Containers whose nics exercise every overlay rule, and some plain ones to page over."""
    store.images.create(ImageInfo(fingerprint=FINGERPRINT, filename="u.tar.xz", size=1,
                                  architecture="x86_64", aliases={"ubuntu": ""}))  # fmt: skip
    store.profiles.create("p1", devices={"eth0": nic("br0"), "root": {"type": "disk", "path": "/"}})
    store.profiles.create("p2", devices={"eth0": nic("br1", "parent"), "mgmt": nic("br9")})
    store.profiles.create("p3", devices={"mgmt": {"type": "disk", "path": "/m"}})
    image = {"volatile.base_image": FINGERPRINT}
    create = store.containers.create
    create("a", profiles=["p1"], config=image)  # br0 from p1
    create("b", profiles=["p1", "p2"], config={"user.x": "1"})  # p2's eth0 wins: br1, br9
    create("c", profiles=["p2", "p1"], config=image)  # p1's eth0 wins: br0, br9
    create("d", profiles=["p2", "p3"])  # p3's disk replaces p2's mgmt nic: br1
    create("e", profiles=["p1"], devices={"eth0": {"type": "disk", "path": "/e"}})  # none
    create("f", devices={"eth1": nic("bra", parent="brb"), "eth2": nic("")}, power_state="running")
    create("g")
    for i in range(12):
        create(f"h{i:02d}", profiles=["p2"] if i % 3 else [], config=image if i % 2 else {},
               devices={"eth0": nic("br0")} if i % 4 == 0 else {})  # fmt: skip


@pytest.fixture
def filled(store):
    fill(store)
    return store


def cells(listing) -> list[list[object]]:
    return [[c.value(item, listing) for c in KIND.columns] for item in listing.items.values()]


def expected_networks(store) -> dict[str, list[str]]:
    """Each container's networks by ``expand``'s rules, in Python: what SQL must answer."""
    profiles = {p.name: p for p in store.profiles.list()}
    found = {c.name: networks_of(expand(c, profiles).devices) for c in store.containers.list()}
    return {name: nets for name, nets in found.items() if nets}


def test_networks_in_sql_follow_the_overlay_rules_of_expand(filled):
    networks = filled.containers.networks()
    assert networks == expected_networks(filled)
    assert networks["b"] == ["br1", "br9"] and networks["c"] == ["br0", "br9"]
    assert networks["d"] == ["br1"] and "e" not in networks and networks["f"] == ["bra", "brb"]


def test_networks_within_a_range_of_names_and_filters(filled):
    everything = filled.containers.networks()
    page = filled.containers.networks(after="b", through="f")
    assert page == {k: v for k, v in everything.items() if "b" < k <= "f"}
    assert set(filled.containers.networks(profile="p2")) == {
        c.name for c in filled.containers.list(profile="p2") if c.name in everything
    }


@pytest.mark.parametrize(
    "filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "all"
)
def test_read_columns_shows_what_read_shows(filled, filters):
    whole = KIND.read(filled, **filters)
    summary = KIND.read_columns(filled, **filters)
    assert list(summary.items) == list(whole.items)
    assert cells(summary) == cells(whole)
    assert not any(isinstance(item, ContainerInfo) for item in summary.items.values())


def test_read_gives_the_networks_expand_gives(filled):
    listing = KIND.read(filled)
    networks = [row[4] for row in cells(listing)]
    expected = expected_networks(filled)
    assert networks == [expected.get(name, []) for name in listing.items]


@pytest.mark.parametrize("count", [1, 3, 8, 19, 100])
def test_read_first_gives_the_first_names_as_a_table_sorts_them(filled, count):
    """A console's first screen: the first names casefolded (upper case among lower case),
    their columns as ``read_columns`` shows them, and how many there are in all."""
    for name in ("B2", "Ab", "H05x"):
        filled.containers.create(name, profiles=["p1"])
    read = KIND.read_first(filled, count)
    assert read is not None
    first, total = read
    whole = KIND.read_columns(filled)
    assert total == len(whole.items) == 22
    wanted = sorted(whole.items, key=str.casefold)[:count]
    assert list(first.items) == sorted(wanted)  # in the store's order, as read_columns gives
    assert cells(first) == cells(
        Listing({k: whole.items[k] for k in sorted(wanted)}, whole.context)
    )


def test_read_first_of_no_containers(store):
    first, total = KIND.read_first(store, 10)
    assert first.items == {} and total == 0


@pytest.mark.parametrize("size", [1, 2, 5, 19, 100])
@pytest.mark.parametrize("filters", [{}, {"using": "br0"}, {"profile": "p2", "image": "ubuntu"}])
def test_pages_give_every_container_once_in_order_with_its_columns(filled, size, filters):
    whole = KIND.read(filled, **filters)
    pages = list(KIND.pages(filled, size=size, **filters))
    assert all(len(page.items) == size for page in pages[:-1])
    assert 0 < len(pages[-1].items) <= size if pages else not whole.items
    names = [name for page in pages for name in page.items]
    assert names == list(whole.items)  # each once, in the store's order, across boundaries
    assert [row for page in pages for row in cells(page)] == cells(whole)
    assert [c for page in pages for c in page.items.values()] == list(whole.items.values())


@pytest.mark.parametrize("size", [1, 5, 19, 100])
@pytest.mark.parametrize("filters", [{}, {"using": "br9"}, {"profile": "p2", "image": "ubuntu"}])
def test_column_pages_give_read_columns_a_page_at_a_time(filled, size, filters):
    """What ``list --format csv`` writes as it reads: the summaries and their columns page by
    page, the same as ``read_columns`` reads at once."""
    whole = KIND.read_columns(filled, **filters)
    pages = list(KIND.column_pages(filled, size=size, **filters))
    assert all(len(page.items) == size for page in pages[:-1])
    assert [c for page in pages for c in page.items.values()] == list(whole.items.values())
    assert [row for page in pages for row in cells(page)] == cells(whole)


@pytest.fixture(params=["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def shared_url(request, tmp_path) -> str:
    """A store two connections can share (not :memory:)."""
    if request.param == "sqlite-file":
        return str(tmp_path / "nk.db")
    return request.getfixturevalue("pg_url")


def test_pages_read_one_snapshot_while_another_writer_changes_the_store(shared_url):
    with open_store(shared_url) as store, open_store(shared_url) as other:
        fill(store)
        before = list(KIND.read(store).items)
        pages = KIND.pages(store, size=4)
        seen = list(next(pages).items)
        other.containers.delete("h11")  # a page not read yet
        other.containers.create("zz")
        other.containers.create("a0")  # before the last name seen
        seen += [name for page in pages for name in page.items]
        assert seen == before
        assert "zz" in KIND.read(store).items  # a new read sees the writes


def test_pages_refuse_a_size_below_one(filled):
    with pytest.raises(ValidationError, match="size"):
        list(filled.containers.pages(0))


def test_delete_plan_reads_a_summarised_container_whole(filled):
    plan = KIND.delete_plan(filled, KIND.read_columns(filled), "b")
    assert "1 config key" in "".join(plan.message)
    assert "p1, p2" in "".join(plan.message)


# -- the CLI writes what it reads


@pytest.fixture
def db(shared_url) -> str:
    with open_store(shared_url) as store:
        fill(store)
    return shared_url


def reference(db: str, filters: dict[str, str]) -> list[dict]:
    """``list --format json`` as it was written before containers were a large kind: every
    container whole, then its networks by expand's rules and its image."""
    with open_store(db) as store:
        networks = expected_networks(store)
        listing = KIND.read(store, **filters)
        return [
            KIND.to_json(c) | {"networks": networks.get(c.name, []), "image": c.image}
            for c in listing.items.values()
        ]


def options(filters: dict[str, str]) -> list[str]:
    return [arg for key, value in filters.items() for arg in (f"--{key}", value)]


@pytest.mark.parametrize("filters", [{}, {"using": "br9"}, {"profile": "p1", "image": "ubuntu"}])
def test_list_json_is_the_text_json_dumps_wrote(capsys, db, filters):
    assert main(["list", "containers", "--format", "json", "--db", db, *options(filters)]) == 0
    out = capsys.readouterr().out
    assert out == json.dumps(reference(db, filters), indent=2) + "\n"


# What a config value may hold that JSON escapes: quotes, a backslash, control characters (named
# and not), DEL, non-ASCII within and beyond the BMP, the line separator, markup.
ODD = '"quoted" \\ back\nline\ttab\r\x08\x0c \x1b[31m \x01\x1f\x7f é ß € 😀 \u2028 </script>'


def listed_json_as_json_dumps_writes_it(store, **filters) -> str:
    objects = [
        KIND.listed_json(item, page)
        for page in KIND.pages(store, **filters)
        for item in page.items.values()
    ]
    return json.dumps(objects, indent=2)


@pytest.mark.parametrize("filters", [{}, {"using": "br0"}, {"profile": "p2", "image": "ubuntu"}])
def test_json_texts_are_listed_json_as_json_dumps_writes_it(filled, filters):
    """The containers kind writes each object from parts its SQL builds (``json_texts``): the
    same text as its ``listed_json`` through json.dumps (ensure_ascii escapes included), with
    whatever a config value may hold, keys in order whatever the order written, and the empty
    cases (no config, devices, profiles or image: container g), on every backend."""
    filled.containers.create(
        "odd", ephemeral=True, profiles=["p2", "p1"],
        config={"user.zeta": ODD, "user.empty": "", "user.alpha": "é", "volatile.base_image": ODD},
        devices={"eth0": nic("br0", name=ODD), "root": {"type": "disk", "path": "/"},
                 "a": {"type": "none"}},
    )  # fmt: skip
    written = "".join(json_lines(KIND.json_texts(filled, **filters)))
    assert written == listed_json_as_json_dumps_writes_it(filled, **filters)
    assert written.isascii()
    if not filters:
        objects = {o["name"]: o for o in json.loads(written)}
        odd = objects["odd"]
        assert odd["ephemeral"] is True and odd["profiles"] == ["p2", "p1"]
        assert odd["config"]["user.zeta"] == ODD and odd["image"] == ODD
        assert list(odd["config"]) == ["user.alpha", "user.empty", "user.zeta", BASE_IMAGE_KEY]
        assert list(odd["devices"]) == ["a", "eth0", "root"]
        assert odd["devices"]["eth0"]["name"] == ODD and odd["devices"]["a"] == {"type": "none"}
        assert objects["g"] == {
            "name": "g", "architecture": "x86_64", "type": "container", "power_state": "stopped",
            "ephemeral": False, "profiles": [], "config": {}, "devices": {}, "networks": [],
            "image": None,
        }  # fmt: skip


def test_list_json_of_nothing_is_an_empty_array(capsys, db):
    assert main(["list", "containers", "--format", "json", "--using", "nowhere", "--db", db]) == 0
    assert capsys.readouterr().out == "[]\n"


def test_list_json_with_columns_keeps_only_them(capsys, db):
    assert main(["list", "containers", "--format", "json", "-c", "networks,name", "--db", db]) == 0
    expected = [{"networks": o["networks"], "name": o["name"]} for o in reference(db, {})]
    assert capsys.readouterr().out == json.dumps(expected, indent=2) + "\n"


@pytest.mark.parametrize("filters", [{}, {"using": "br0"}])
def test_list_csv_is_the_columns_of_the_json(capsys, db, filters):
    assert main(["list", "containers", "--format", "csv", "--db", db, *options(filters)]) == 0
    out = capsys.readouterr().out
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow([c.key for c in KIND.columns])
    for obj in reference(db, filters):
        writer.writerow([csv_text(c, obj[c.key]) for c in KIND.columns])
    assert out == expected.getvalue()


def test_a_listing_holds_one_copy_of_each_profile_list_network_list_and_image(filled):
    """Thousands of containers name a handful of profile lists, networks and images: the
    listing the console keeps holds each once, not a copy per container (issue 12's memory)."""
    listing = KIND.read_columns(filled)
    items = listing.items
    assert items["h01"].profiles == ["p2"]
    assert items["h01"].profiles is items["h02"].profiles
    assert items["a"].image == items["c"].image == FINGERPRINT
    assert items["a"].image is items["c"].image
    networks = listing.context.networks
    assert networks["h01"] == networks["h02"] == ["br1", "br9"]
    assert networks["h01"] is networks["h02"]
    assert networks["a"] is not networks["h01"]  # different lists stay apart
