"""preflight: the checks before Prefect starts and the run's input with its fallbacks (no network: the URL
reader is replaced where a fetch would happen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from avenrich import inputs, preflight
from avenrich.errors import InputError, OutputError
from helpers import SAMPLE

URL = "http://127.0.0.1:9/lists/mine.md"


@pytest.mark.parametrize("name", ["papers", "my-list_2.0", "論文", "a" * 200, None])
def test_plain_names_pass(name: str | None) -> None:
    """Stems of letters, digits, '.', '-', '_' (any script) pass; no name means the input's stem."""
    preflight.check_name(name)


@pytest.mark.parametrize("name", ["my list", "../x", "a/b", ".hidden", "x.", "", "a\nb", "a" * 201, "tab\there"])
def test_names_that_are_not_plain_stems_are_refused(name: str) -> None:
    """Spaces, path characters, a leading or trailing dot, control characters, over 200 characters."""
    with pytest.raises(InputError, match="--name"):
        preflight.check_name(name)


def test_writable_dirs_pass_and_leave_nothing(tmp_path: Path) -> None:
    """An existing directory, or one that can be created below one: accepted, nothing created."""
    preflight.check_writable_dir(tmp_path, "output directory")
    preflight.check_writable_dir(tmp_path / "new" / "deeper", "output directory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("below", ["a-file", "a-file/sub"])
def test_a_dir_below_a_file_is_refused_with_its_path(tmp_path: Path, below: str) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    target = tmp_path / below / "out"
    with pytest.raises(OutputError, match="not a directory") as raised:
        preflight.check_writable_dir(target, "cache directory")
    assert str(target) in str(raised.value) and "cache directory" in str(raised.value)


def test_a_broken_symlink_on_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    with pytest.raises(OutputError, match="broken symbolic link"):
        preflight.check_writable_dir(tmp_path / "link" / "out", "output directory")


def fetch_fails(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """inputs.read_input refuses every URL (as with the network down) and records what was asked."""
    asked: list[str] = []
    real = inputs.read_input

    def read(source: str | None, **kwargs: object) -> inputs.InputText:
        if source is not None and inputs.is_url(source):
            asked.append(source)
            raise InputError(f"{source}: [Errno 111] Connection refused")
        return real(source)

    monkeypatch.setattr(inputs, "read_input", read)
    return asked


def keep_copy(out: Path, stem: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.{inputs.LAST_GOOD_SUFFIX}").write_bytes(SAMPLE.read_bytes())


def test_offline_url_never_fetches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--offline with a URL: refused while no copy is kept, then the kept copy; never a fetch."""
    asked = fetch_fails(monkeypatch)
    with pytest.raises(InputError, match=r"--offline: .* no copy of it is kept yet"):
        preflight.read_run_input(URL, tmp_path, None, offline=True)
    keep_copy(tmp_path, "mine")
    text = preflight.read_run_input(URL, tmp_path, None, offline=True)
    assert text.name == "mine" and text.text == SAMPLE.read_text(encoding="utf-8")
    assert preflight.input_note(text.origin) == "--offline: used the last good copy of the input URL"
    assert asked == []


def test_an_unreachable_url_falls_back_to_its_last_good_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = fetch_fails(monkeypatch)
    keep_copy(tmp_path, "renamed")
    text = preflight.read_run_input(URL, tmp_path, "renamed")
    assert asked == [URL] and text.name == "renamed" and "(last good copy: " in text.origin
    assert "last good copy" in str(preflight.input_note(text.origin))


def test_the_upstream_falls_back_to_the_bundled_snapshot_on_the_first_night(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled list's upstream, unreachable, no copy yet: the bundled snapshot, said so; any other URL is
    refused in one line."""
    fetch_fails(monkeypatch)
    text = preflight.read_run_input(inputs.BUNDLED_UPSTREAM, tmp_path, None)
    assert text.name == inputs.BUNDLED_NAME and text.origin.startswith(inputs.BUNDLED_ORIGIN)
    assert text.text == inputs.read_input(None).text
    assert "bundled snapshot" in str(preflight.input_note(text.origin))
    with pytest.raises(InputError, match="Connection refused"):
        preflight.read_run_input(URL, tmp_path, None)


def test_local_inputs_take_the_given_name(tmp_path: Path) -> None:
    text = preflight.read_run_input(str(SAMPLE), tmp_path, "other")
    assert text.name == "other" and preflight.input_note(text.origin) is None
    assert preflight.read_run_input(str(SAMPLE), tmp_path, None).name == "sample"


def test_the_handed_over_input_is_taken_once() -> None:
    text = inputs.read_input(str(SAMPLE))
    preflight.hand_over(str(SAMPLE), "out", None, False, text)
    assert preflight.take(str(SAMPLE), "out", None, True) is None, "other parameters: not this input"
    assert preflight.take(str(SAMPLE), "out", None, False) is text
    assert preflight.take(str(SAMPLE), "out", None, False) is None
