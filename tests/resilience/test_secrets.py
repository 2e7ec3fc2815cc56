"""Secrets never leak: canary secrets planted everywhere a scanner meets secrets, and a full scan
with every output turned on, none of which may contain one.

Planted (see ``resilience.account.Canaries``): in the scanner's own environment
(``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AZURE_CLIENT_SECRET``); in the scanned
account (a training job's ``Environment`` value and a hyperparameter, a notebook lifecycle script,
an S3 bucket tag (cspm does not collect S3 tags today, so it is never met), an IAM role tag, a
security group tag, the ``sts:ExternalId`` condition of a role's trust policy); and in the message
of an AccessDenied the fault middleware answers for one API.

Issue 11 added: tags under short secret names (``pw`` on an IAM user, ``cred`` on a role);
Anthropic, OpenAI project, Slack, GitLab and Google keys under neutral tag keys; "the root password
is ..." in a tag value and in a security group rule's description (which checks quote in their
evidence); and lifecycle-script lines ``mysql -uroot -p...``, ``echo "..." | sudo -S ...`` and
``curl -H "Authorization: Bearer sk-ant-..."`` (a script reaches a report only as line numbers
and kinds: test_the_scanner_met_every_canary proves that these lines are found).

The canary scan (``conftest.scenario``) writes every ``--format``, logs with ``--debug`` on
stderr, prints the terminal summary on stdout and saves the scan in a SQLite history store.

Each (canary, output) pair is its own test case. A pair that leaks today is marked
``xfail(strict=True)`` with where and how it leaks, so the fix turns it into a pass (and forces
the mark off).
"""

from __future__ import annotations

import base64
import re
import sqlite3
from pathlib import Path

import pytest
from resilience.account import CANARY_ERROR_OPERATION, Canaries, lifecycle_script
from resilience.scenario import FORMATS, Scenario

CANARIES = [name for name in Canaries.__dataclass_fields__]
OUTPUTS = [
    "report.json",
    "report.ocsf.json",
    "report.asff.json",
    "report.sarif",
    "report.csv",
    "report.html",
    "stdout",
    "stderr",
    "history",
]

# One fault server (moto, in this process) per worker: with `pytest -n --dist loadgroup` these
# tests share one worker, so the account is seeded and scanned once.
pytestmark = pytest.mark.xdist_group("resilience-moto")

# Pairs that leak today, with where and how (the component that copies the secret); none now:
# API error messages and tag values are redacted where they enter the report (cspm.secrets.redact
# in Inventory.record_error, redact_tags in engine.build_report), and --debug never turns on the
# SDKs' wire logs (cspm/cli.py _configure_logging).
KNOWN_LEAKS: dict[tuple[str, str], str] = {}


def _cases() -> list[object]:
    cases: list[object] = []
    for canary in CANARIES:
        for output in OUTPUTS:
            reason = KNOWN_LEAKS.get((canary, output))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(canary, output, marks=marks, id=f"{canary}-in-{output}"))
    return cases


def _history_text(store: Path) -> str:
    """Every row of the store as SQL, plus the raw bytes of its files (WAL included)."""
    with sqlite3.connect(store) as db:
        dump = "\n".join(db.iterdump())
    raw = b"".join(p.read_bytes() for p in sorted(store.parent.glob(store.name + "*")))
    return dump + "\n" + raw.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def outputs(scenario: Scenario) -> dict[str, str]:
    scan = scenario.canary
    texts = {path.name: path.read_text(encoding="utf-8") for path in scan.output_dir.iterdir() if path.is_file()}
    texts["stdout"] = scan.stdout
    texts["stderr"] = scan.stderr
    texts["history"] = _history_text(scenario.store)
    return texts


def _needles(canaries: Canaries, name: str) -> list[str]:
    """The canary, a 16-character piece of its random part (a truncated or re-wrapped copy), and
    for the lifecycle script the base64 form the API returns."""
    value = getattr(canaries, name)
    needles = [value, value[-20:-4]]
    if name == "lifecycle_script":
        needles.append(base64.b64encode(lifecycle_script(canaries).encode()).decode())
    return needles


def test_the_canary_scan_ran_with_every_output(scenario: Scenario, outputs: dict[str, str]) -> None:
    scan = scenario.canary
    assert scan.returncode == 0, scan.explain()
    expected = {"report.json"} | {f"report.{ext}" for ext in ("ocsf.json", "asff.json", "sarif", "csv", "html")}
    assert expected <= set(outputs), f"{sorted(outputs)} (asked for {FORMATS})"
    assert "cspm: DEBUG:" in scan.stderr, "the --debug log is on stderr"
    assert scan.stdout.strip(), "the terminal summary is on stdout"
    assert "INSERT INTO" in outputs["history"], "the scan was saved in the history store"


def test_the_scanner_met_every_canary(scenario: Scenario) -> None:
    """The canaries were there to be leaked: the scan read the resources that hold them."""
    report = scenario.canary.report
    evidence = str([f["evidence"] for f in report["findings"]])
    assert "HF_TOKEN" in evidence and "wandb_api_key" in evidence, "the training job's secrets were found by key"
    names = {r["name"] for r in report["resources"]}
    assert {"rs-setup", "rs-vendor", "rs-scoped-exec", "rs-open-ssh", "rs-training-data"} <= names
    tags: dict[str, dict[str, str]] = {}
    for resource in report["resources"]:  # a bucket and its account-level settings share a name
        tags.setdefault(resource["name"], {}).update(resource["tags"])
    assert tags["rs-notebook-user"]["pw"].startswith("<redacted: ")
    assert tags["rs-notebook-user"]["note"] == "the root password is <redacted: Password in text>"
    assert tags["rs-admin-exec"]["cred"].startswith("<redacted: ")
    assert tags["rs-scoped-exec"]["owner"] == "<redacted: Anthropic API Key>"
    assert tags["rs-scoped-exec"]["contact"] == "<redacted: OpenAI API Key>"
    assert tags["rs-notebook-user"]["maps"] == "<redacted: Google API Key>"
    assert tags["rs-open-ssh"]["channel"] == "<redacted: Slack Token>"
    assert tags["rs-open-ssh"]["repo"] == "<redacted: GitLab Token>"
    assert "jump host, root password is <redacted: Password in text>" in evidence, "the rule description is quoted"
    lifecycle = next(f for f in report["findings"] if f["check_id"].endswith("lifecycle_config_has_no_secrets"))
    lines = {(s["line"], s["kind"]) for s in lifecycle["evidence"]["secrets"]}
    assert {(5, "Password on a command line"), (6, "Password on a command line"), (7, "Anthropic API Key")} <= lines
    service, _, operation = CANARY_ERROR_OPERATION.partition(":")
    assert any(e["service"] == service and e["operation"] == operation for e in report["errors"])
    assert any(r.call.name == CANARY_ERROR_OPERATION and r.outcome == "denied" for r in scenario.canary.records)


@pytest.mark.parametrize(("canary", "output"), _cases())
def test_no_canary_in_any_output(scenario: Scenario, outputs: dict[str, str], canary: str, output: str) -> None:
    text = outputs[output]
    for needle in _needles(scenario.canaries, canary):
        assert needle not in text, f"the {canary} canary leaked into {output}: ...{_around(text, needle)}..."
    # A copy wrapped or re-punctuated (a terminal table cell, an escaped string) still leaks:
    # compare letters and digits only (a random 16-character run never matches by chance).
    letters = _ALNUM.sub("", text)
    for needle in _needles(scenario.canaries, canary):
        assert _ALNUM.sub("", needle) not in letters, f"the {canary} canary leaked into {output}, re-wrapped"


_ALNUM = re.compile(r"[^A-Za-z0-9]")


def _around(text: str, needle: str) -> str:
    at = text.index(needle)
    return text[max(0, at - 120) : at + len(needle) + 40].replace("\n", "\\n")
