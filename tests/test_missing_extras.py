"""A command whose optional extra is not installed says which extra to install: one line, exit 2.

Each case runs the real CLI in a fresh interpreter in which the extra's top-level modules cannot
be imported (``sys.modules[name] = None`` makes every ``import name…`` raise ModuleNotFoundError,
as on a machine without the package), so nothing imported by other tests can hide the gap.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cspm.errors import EXTRA_OF_MODULE, MissingExtra, missing_extra

RUN = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None
from cspm.cli import main
sys.exit(main({argv!r}))
"""


def _run(tmp_path: Path, blocked: list[str], argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = RUN.format(blocked=blocked, argv=argv)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true", "NO_GCE_CHECK": "true"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("blocked", "argv", "extra"),
    [
        (["azure"], ["scan", "azure", "--quiet"], "azure"),
        (["google"], ["scan", "gcp", "--quiet"], "gcp"),
        (["boto3", "botocore"], ["scan", "aws", "--quiet"], "aws"),
        (["boto3", "botocore"], ["permissions", "aws"], "aws"),
        (["moto"], ["demo", "--quiet"], "demo"),
        (["dask", "distributed"], ["scan", "aws", "--org", "--executor", "local:2", "--quiet"], "distributed"),
        (["picklescan"], ["scan", "aws", "--inspect-artifacts", "--quiet"], "artifacts"),
        (
            ["model_signing"],
            ["scan", "aws", "--inspect-artifacts", "--signing-identity", "a@b.c", "--signing-issuer", "https://i"],
            "signing",
        ),
        (["cyclonedx"], ["scan", "aws", "--output-formats", "cyclonedx", "--quiet"], "aibom"),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(tmp_path: Path, blocked: list[str], argv: list[str], extra: str) -> None:
    done = _run(tmp_path, blocked, argv)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"pip install 'cspm[{extra}]'" in lines[0]
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "cspm-output" / "report.json").exists()


def test_the_version_needs_no_extra(tmp_path: Path) -> None:
    done = _run(tmp_path, [*EXTRA_OF_MODULE], ["--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cspm ")


@pytest.mark.parametrize(("module", "extra"), sorted(EXTRA_OF_MODULE.items()))
def test_every_extra_module_maps_to_an_extra_of_the_package(module: str, extra: str) -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert extra in pyproject["project"]["optional-dependencies"]
    found = missing_extra(ModuleNotFoundError(f"No module named '{module}.x'", name=f"{module}.x"))
    assert isinstance(found, MissingExtra) and found.extra == extra


def test_a_module_of_no_extra_is_not_called_an_extra() -> None:
    assert missing_extra(ModuleNotFoundError("No module named 'nonexistent'", name="nonexistent")) is None
    assert missing_extra(ModuleNotFoundError("no name")) is None
