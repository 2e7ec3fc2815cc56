"""The configuration file (docs/cli.md): where it is found, precedence flag > environment >
file > default, and one-line exit-2 errors naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cspm.cli import main
from cspm.cli.config import config_path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory and XDG homes of the test's own: no real configuration is read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("CSPM_CONFIG", raising=False)
    monkeypatch.delenv("CSPM_STORE", raising=False)
    return tmp_path


def _store(home: Path, name: str) -> str:
    return str(home / name / "history.db")


@pytest.mark.parametrize(
    ("flag", "env", "file", "winner"),
    [
        (True, True, True, "flag"),
        (False, True, True, "env"),
        (False, False, True, "file"),
        (False, False, False, "default"),
    ],
)
def test_precedence_is_flag_then_environment_then_file_then_default(
    home: Path, monkeypatch: pytest.MonkeyPatch, flag: bool, env: bool, file: bool, winner: str
) -> None:
    if file:
        (home / "cspm.toml").write_text(f'[history]\nstore = "{_store(home, "file")}"\n', encoding="utf-8")
    if env:
        monkeypatch.setenv("CSPM_STORE", _store(home, "env"))
    args = ["history", *(["--store", _store(home, "flag")] if flag else [])]
    assert main(args) == 0
    created = {p.parent.name for p in home.rglob("history.db")}
    assert created == {"cspm" if winner == "default" else winner}
    if winner == "default":
        assert (home / "xdg-data" / "cspm" / "history.db").is_file()


def test_the_file_is_found_by_flag_environment_cwd_then_xdg(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = home / "xdg-config" / "cspm" / "config.toml"
    assert config_path(None) is None
    xdg.parent.mkdir(parents=True)
    xdg.write_text("", encoding="utf-8")
    assert config_path(None) == xdg
    (home / "cspm.toml").write_text("", encoding="utf-8")
    assert config_path(None) == home / "cspm.toml"
    assert config_path(home / "other.toml") == home / "other.toml"
    (home / "env.toml").write_text("[diff]\nfail-on = 'bogus'\n", encoding="utf-8")
    monkeypatch.setenv("CSPM_CONFIG", str(home / "env.toml"))  # --config's environment variable
    assert main(["history"]) == 2


def test_a_scan_table_applies_to_every_cloud_and_demo_has_its_own(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked before any API call: the configured --output-dir is a file, so each command stops there."""
    (home / "blocker").write_text("x", encoding="utf-8")
    (home / "cspm.toml").write_text(
        '[scan]\noutput-dir = "blocker"\nfail-on = "high"\n'
        '[scan.aws]\nregion = ["us-east-1"]\n'
        '[demo]\noutput-dir = "blocker"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr("cspm.demo.run_demo", lambda *a, **k: pytest.fail("the demo started"))
    for args in (["scan", "aws"], ["scan", "gcp"], ["demo"]):
        assert main(args) == 2
        assert capsys.readouterr().err == "cspm: error: --output-dir blocker: blocker is not a directory\n"
    assert main(["demo", "--output-dir", str(home / "out"), "--fail-on", "bogus"]) == 2  # a flag wins over the file
    assert capsys.readouterr().err.startswith("cspm: error: unknown --fail-on bogus")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[scan\n", "not valid TOML"),
        ("fail-on = 'high'\n", "key 'fail-on' is outside a table"),
        ("[scna]\n", "unknown table scna (did you mean scan?)"),
        ("[scan.aws]\nprofle = 'x'\n", "unknown key in [scan.aws] profle (did you mean profile?)"),
        ("[scan]\nprofile = 'x'\n", "unknown key in [scan] for 'cspm scan azure' profile"),
        ("[scan]\nfail-on = 'hgh'\n", "[scan] fail-on: unknown value 'hgh'; valid: none, informational"),
        ("[scan]\noutput-formats = 'json,pdf'\n", "[scan] output-formats: unknown value 'pdf'"),
        ("[scan.aws]\nworkers = 0\n", "[scan.aws] workers: Invalid value for '--workers'"),
        ("[scan.aws]\nworkers = 'many'\n", "[scan.aws] workers: Invalid value for '--workers'"),
        ("[scan]\nquiet = 'yes'\n", "[scan] quiet: expected true or false"),
        ("[scan.aws]\nregion = [{a = 1}]\n", "[scan.aws] region: expected a list of strings"),
        ("[lineage]\nformat = 'png'\n", "[lineage] format: unknown value 'png'; valid: tree, dot, mermaid"),
        ("[checks.list.x]\n", "unknown table checks.list.x"),
    ],
)
def test_a_bad_file_is_one_line_exit_2_naming_the_file(
    home: Path, text: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "cron.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["--config", str(path), "checks", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cspm: error: config {path}: ") and needle in err and err.count("\n") == 1, err


def test_a_missing_config_file_given_by_flag_is_exit_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(home / "nope.toml"), "checks", "list"]) == 2
    assert (
        capsys.readouterr().err
        == f"cspm: error: config {home / 'nope.toml'}: cannot be read: No such file or directory\n"
    )


@pytest.mark.parametrize("doc", ["cli.md", "cron.md"])
def test_the_documented_configuration_files_load(doc: str, home: Path) -> None:
    """Every ```toml example of the docs is a valid configuration for today's commands."""
    import re

    from cspm.cli import command
    from cspm.cli.config import load_default_map

    text = (Path(__file__).parents[1] / "docs" / doc).read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert blocks
    for n, block in enumerate(blocks):
        path = home / f"{n}.toml"
        path.write_text(block, encoding="utf-8")
        assert load_default_map(path, command())


def test_a_deprecated_flag_wins_over_the_new_names_value_in_the_file(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, ...]] = []

    def scanned(out: Any, **_: Any) -> int:
        seen.append(out.formats)
        return 0

    monkeypatch.setattr("cspm.demo.run_demo", scanned)
    (home / "cspm.toml").write_text("[demo]\noutput-formats = ['html']\n", encoding="utf-8")
    assert main(["demo"]) == 0 and seen == [("html",)]
    assert main(["demo", "--format", "sarif"]) == 0 and seen[-1] == ("sarif",)  # flag > file, old name too
    assert capsys.readouterr().err == "cspm: warning: --format is deprecated; use --output-formats (same values)\n"
