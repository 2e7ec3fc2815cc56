"""The help and naming conventions of docs/cli.md (issue 18): no type-name placeholders, every
enumerated option lists its values, one meaning per option name, deprecated names still work."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cspm import choices
from cspm.cli import main
from support.cli import command_tree

# A Typer type name where a value name belongs: <str>, <list[str]>, <int range>, <path>, <a|b>.
PLACEHOLDER = re.compile(r"<[A-Za-z_][^<>\s]*( range)?>")


COMMANDS = command_tree()


def _enum_values() -> dict[tuple[str, str], tuple[str, ...]]:
    """(command path, option) -> the values its help must list, from the sources of truth."""
    from cspm.models import Baseline, Severity
    from cspm.reporting.formats import FORMATS
    from cspm.reporting.lineage import FORMATS as LINEAGE_FORMATS

    severities = tuple(s.value for s in sorted(Severity, key=lambda s: s.rank))
    fail_on = ("none", *severities)
    values: dict[tuple[str, str], tuple[str, ...]] = {
        ("diff", "--fail-on"): fail_on,
        ("lineage", "--format"): tuple(LINEAGE_FORMATS),
        ("checks list", "--severity"): severities,
        ("checks list", "--baseline"): tuple(b.value for b in Baseline),
        ("checks list", "--provider"): ("aws", "azure", "gcp"),
        ("policy lint", "--fail-on"): ("none", "suggestion", "warning", "security_warning", "error"),
    }
    for cmd in ("scan aws", "scan azure", "scan gcp", "demo"):
        values[(cmd, "--fail-on")] = fail_on
        values[(cmd, "--output-formats")] = tuple(FORMATS)
    for cloud in ("aws", "azure", "gcp"):
        import importlib

        services = importlib.import_module(f"cspm.providers.{cloud}").SERVICE_MODULES
        values[(f"scan {cloud}", "--services")] = tuple(services)
        values[(f"scan {cloud}", "--severity")] = severities
    return values


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_help_names_values_never_types(path: tuple[str, ...], cmd: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "--help"]) == 0
    text = capsys.readouterr().out
    assert not PLACEHOLDER.findall(text), text
    for param in cmd.params:  # every option that takes a value names it (NAME, [a|b]), hidden ones aside
        if param.param_type_name == "option" and not param.is_flag and not param.hidden:
            assert param.metavar, f"cspm {' '.join(path)} {param.opts[0]} has no metavar"


def test_every_enumerated_option_lists_its_values(capsys: pytest.CaptureFixture[str]) -> None:
    for (path, option), values in _enum_values().items():
        assert main([*path.split(), "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())  # unwrapped
        shown = re.search(re.escape(option) + r" \[([^\]]+)\]", text)
        assert shown, f"cspm {path} {option} does not list its values"
        assert tuple(shown.group(1).split("|")) == values, f"cspm {path} {option}"


def test_the_fast_copies_of_the_choices_match_their_sources() -> None:
    values = _enum_values()
    assert values[("scan aws", "--fail-on")] == choices.FAIL_ON
    assert values[("checks list", "--severity")] == choices.SEVERITIES
    assert values[("checks list", "--baseline")] == choices.BASELINES
    assert values[("scan aws", "--output-formats")] == choices.REPORT_FORMATS
    assert values[("lineage", "--format")] == choices.LINEAGE_FORMATS
    assert {c: choices.SERVICES[c] for c in choices.CLOUDS} == {
        c: values[(f"scan {c}", "--services")] for c in choices.CLOUDS
    }


def test_one_meaning_per_option_name() -> None:
    """An option name means one thing in every command that has it (docs/cli.md): the same value
    name, except for the differences docs/cli.md explains (the levels of --fail-on in policy lint,
    each cloud's --services, history's --provider taking a combined provider, --json PATH)."""
    shapes: dict[str, set[str | None]] = {}
    for _, cmd in COMMANDS:
        for param in cmd.params:
            if param.param_type_name == "option" and not param.hidden:
                for opt in param.opts:
                    shapes.setdefault(opt, set()).add(None if param.is_flag else param.metavar)
    assert {o for o, kinds in shapes.items() if len(kinds) > 1} == {"--fail-on", "--services", "--provider", "--json"}
    assert shapes["--json"] == {None, "PATH"}
    names = {opt for _, cmd in COMMANDS for p in cmd.params for opt in p.opts if not p.hidden}
    assert "--format" in names and "--output-formats" in names and "--service" not in names


@pytest.mark.parametrize(
    ("old", "new", "args"),
    [
        ("--format", "--output-formats", ["demo", "--format", "html"]),
        ("--format", "--output-formats", ["scan", "aws", "--format", "sarif"]),
        ("--service", "--services", ["checks", "list", "--service", "s3"]),
    ],
)
def test_deprecated_names_still_work_with_one_warning_line(
    old: str, new: str, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, ...]] = []

    def scanned(out: Any, **_: Any) -> int:
        seen.append(out.formats)
        return 0

    monkeypatch.setattr("cspm.demo.run_demo", scanned)
    monkeypatch.setattr("cspm.providers.aws.AwsProvider.connect", lambda self: None)
    monkeypatch.setattr("cspm.runner.run", lambda provider, checks, out, **_: scanned(out))
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == f"cspm: warning: {old} is deprecated; use {new} (same values)\n"
    if args[0] != "checks":
        assert seen == [(args[-1],)]
    else:
        assert captured.out and all(line.split("\t")[0].startswith("aws.s3.") for line in captured.out.splitlines())
    assert main([*args[:-2], old, args[-1], new, args[-1]]) == 2
    assert f"{old} is the deprecated name of {new}" in capsys.readouterr().err
