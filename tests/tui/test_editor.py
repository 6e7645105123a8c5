"""``E``: edit a resource as a TOML document in $VISUAL / $EDITOR, the way `lxc config edit` works.

The editors are real shell scripts (``pilot.editor_script``) that change the file with sed; each
round also keeps a copy of what it was shown, so the tests can read what the user saw.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot

from core import Store
from tui import editor

from .pilot import (
    FINGERPRINT,
    app_on,
    drive,
    editor_script,
    notes,
    press,
    put_cursor,
    rounds,
)


@pytest.fixture
def use_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def install(*steps: str) -> Path:
        script = editor_script(tmp_path, *steps)
        monkeypatch.delenv("VISUAL", raising=False)
        monkeypatch.setenv("EDITOR", str(script))
        return script

    return install


def edit_web1(store: Store) -> tuple:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "web1")
        await press(pilot, "E")

    drive(app, scenario)
    return app, notes(app)


def test_E_opens_the_exported_document_and_applies_the_edit(
    store: Store, tmp_path: Path, use_editor
) -> None:
    use_editor('sed -i \'s/"limits.cpu" = "4"/"limits.cpu" = "8"/\' "$1"')
    _, messages = edit_web1(store)
    shown = (tmp_path / "shown-0.toml").read_text()
    assert shown.startswith("# nodekeeper container 'web1'\n# Apply with: nodekeeper apply FILE\n")
    assert 'name = "web1"' in shown and '"limits.cpu" = "4"' in shown
    assert messages == ["Container 'web1' updated"]
    assert store.containers.get("web1").config["limits.cpu"] == "8"


def test_an_unchanged_document_says_so_and_writes_nothing(
    store: Store, tmp_path: Path, use_editor
) -> None:
    use_editor("true")
    before = store.containers.get("web1")
    _, messages = edit_web1(store)
    assert messages == ["No change: container 'web1' was not changed"]
    assert store.containers.get("web1") == before


def test_an_invalid_document_reopens_with_the_errors_on_top_and_the_text_kept(
    store: Store, tmp_path: Path, use_editor
) -> None:
    use_editor(
        'sed -i \'s/"limits.cpu" = "4"/"limits cpu" = "8"/\' "$1"',  # a bad key
        'sed -i \'s/"limits cpu"/"limits.cpu"/\' "$1"',  # fixed on the second round
    )
    _, messages = edit_web1(store)
    second = (tmp_path / "shown-1.toml").read_text()
    top = second.splitlines()[:3]
    assert top[0] == "# ! The document was not applied:"
    assert top[1].startswith("# !   container.config: 'limits cpu' must be dotted words")
    assert '"limits cpu" = "8"' in second  # the user's text, kept
    assert "# nodekeeper container 'web1'" in second  # with its header
    assert rounds(tmp_path) == 2
    assert messages == ["Container 'web1' updated"]
    assert store.containers.get("web1").config["limits.cpu"] == "8"


def test_the_editor_lists_every_problem_of_the_document_as_apply_does(
    store: Store, tmp_path: Path, use_editor
) -> None:
    use_editor(
        "sed -i -e 's/^architecture = .*/architecture = \"sparc\"/'"
        " -e 's/^power_state = .*/power_state = \"flying\"/'"
        ' -e \'s/"limits.cpu" = "4"/"limits cpu" = "8"/\' "$1"',
        "true",
    )
    before = store.containers.get("web1")
    _, messages = edit_web1(store)
    shown = (tmp_path / "shown-1.toml").read_text().splitlines()
    assert shown[0] == "# ! The document was not applied:"
    assert shown[1].startswith("# !   container.architecture: 'sparc' is not one of: ")
    assert shown[2] == "# !   container.power_state: 'flying' is not one of: stopped, running"
    assert shown[3].startswith("# !   container.config: 'limits cpu' must be dotted words")
    assert shown[4].startswith("# ! Fix it and save")
    assert messages == ["Edit cancelled: container 'web1' was not changed"]
    assert store.containers.get("web1") == before


def test_broken_toml_reopens_too_and_saving_it_unchanged_cancels(
    store: Store, tmp_path: Path, use_editor
) -> None:
    use_editor("echo 'this is = = not toml' >> \"$1\"", "true")
    before = store.containers.get("web1")
    _, messages = edit_web1(store)
    second = (tmp_path / "shown-1.toml").read_text()
    assert second.startswith("# ! The document was not applied:\n# !   not valid TOML: ")
    assert second.count("# ! The document was not applied") == 1
    assert messages == ["Edit cancelled: container 'web1' was not changed"]
    assert store.containers.get("web1") == before


def test_errors_do_not_pile_up_over_rounds(store: Store, tmp_path: Path, use_editor) -> None:
    use_editor("echo 'x = = 1' >> \"$1\"", "echo '# still broken' >> \"$1\"", "true")
    edit_web1(store)
    third = (tmp_path / "shown-2.toml").read_text()
    assert third.count("# ! The document was not applied") == 1


def test_the_name_cannot_change_in_the_editor(store: Store, tmp_path: Path, use_editor) -> None:
    use_editor('sed -i \'s/name = "web1"/name = "web9"/\' "$1"', "true")
    _, messages = edit_web1(store)
    second = (tmp_path / "shown-1.toml").read_text()
    assert "this document edits container 'web1' only: keep its kind and name" in second
    assert messages == ["Edit cancelled: container 'web1' was not changed"]
    assert not store.containers.exists("web9")


def test_a_change_in_the_store_meanwhile_reopens_on_the_new_version(
    store: Store, db: Path, tmp_path: Path, use_editor
) -> None:
    meanwhile = shlex.join([
        sys.executable, "-c",
        f"import core; s = core.open_store({str(db)!r}); "
        "s.containers.set_config('web1', 'user.note', 'set meanwhile'); s.close()",
    ])  # fmt: skip
    use_editor(
        f'{meanwhile}; sed -i \'s/"limits.cpu" = "4"/"limits.cpu" = "8"/\' "$1"',
        'sed -i \'s/"limits.cpu" = "4"/"limits.cpu" = "6"/\' "$1"',
    )
    _, messages = edit_web1(store)
    second = (tmp_path / "shown-1.toml").read_text()
    assert second.startswith(
        "# ! container 'web1' changed in the store while you were editing: this is the new\n"
    )
    body = editor.strip_notice(second)
    assert '"user.note" = "set meanwhile"' in body  # the new version
    assert '# | "limits.cpu" = "8"' in body  # the user's edit, commented out, to copy from
    assert messages == ["Container 'web1' updated"]
    config = store.containers.get("web1").config
    assert (config["limits.cpu"], config["user.note"]) == ("6", "set meanwhile")


def test_an_editor_that_fails_changes_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "false")
    _, messages = edit_web1(store)
    assert messages == ["the editor 'false' exited with status 1; nothing was changed"]
    monkeypatch.setenv("EDITOR", str(tmp_path / "missing-editor"))
    _, messages = edit_web1(store)
    assert "cannot run the editor" in messages[0] and "set $VISUAL or $EDITOR" in messages[0]


def test_visual_wins_over_editor_and_may_hold_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", "vim -n")
    monkeypatch.setenv("EDITOR", "nano")
    assert editor.editor_command() == ["vim", "-n"]
    monkeypatch.setenv("VISUAL", "  ")
    assert editor.editor_command() == ["nano"]
    monkeypatch.delenv("VISUAL")
    monkeypatch.delenv("EDITOR")
    assert editor.editor_command() == ["vi"]


def test_notices_are_escaped_comments_and_come_off_again() -> None:
    text = editor.with_notice(["bad \x1b[2J value", "two\nlines"], "a = 1\n")
    assert text == "# ! bad \\x1b[2J value\n# ! two\n# ! lines\na = 1\n"
    assert editor.strip_notice(text) == "a = 1\n"


@pytest.mark.parametrize(
    ("section_id", "key", "sed", "check"),
    [
        ("profiles", "gpu", "s/description = \"\"/description = \"GPUs\"/",
         lambda s: s.profiles.get("gpu").description == "GPUs"),
        ("images", FINGERPRINT, "s/public = false/public = true/",
         lambda s: s.images.get(FINGERPRINT).public),
        ("services", "svc2", "s/version = 3/version = 4/",
         lambda s: s.services.get("svc2").version == 4),
        ("users", '["subject2","user1"]\tsvc2', "/state_checksum/d",
         lambda s: s.users.get(["user1", "subject2"], "svc2").state_checksum is None),
    ],
)  # fmt: skip
def test_every_section_edits_its_resources_in_the_editor(
    store: Store, tmp_path: Path, use_editor, section_id: str, key: str, sed: str, check
) -> None:
    use_editor(f"sed -i '{sed}' \"$1\"")
    app = app_on(store, section_id)

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, key)
        await press(pilot, "E")

    drive(app, scenario)
    assert notes(app)[-1].endswith(" updated"), notes(app)
    assert check(store)


def test_a_binding_document_keeps_its_claims_and_service(
    store: Store, tmp_path: Path, use_editor
) -> None:
    use_editor('sed -i \'s/service_id = "svc1"/service_id = "svc2"/\' "$1"', "true")
    app = app_on(store, "users")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, '["admin"]\tsvc1')
        await press(pilot, "E")

    drive(app, scenario)
    shown = (tmp_path / "shown-0.toml").read_text()
    assert shown.startswith("# nodekeeper claim set [\"admin\"] bound to service 'svc1'\n")
    assert "# !   service_id: must stay 'svc1'" in (tmp_path / "shown-1.toml").read_text()
    assert store.users.services_of(["admin"]) == ["svc1"]
