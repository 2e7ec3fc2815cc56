"""The streamed merge prints the terminal summary (cspm.merge_stream.deliver_streamed): for the same
parts, its stdout, stderr and exit code are those of the in-memory merge (cspm.merge.merge_parts
and cspm.runner.deliver), at a fixed console width, plain (piped) and on a terminal, wide and
narrow; and report.json stays the same text."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_stream import ACCOUNTS, NOW, REGION, SERVICES, estates, scanned

from cspm.engine import build_report
from cspm.merge import MergedProvider, merge_parts
from cspm.merge_stream import StreamedMerge, deliver_streamed, stream_merge, streamable
from cspm.models import CollectionError, Severity, Status
from cspm.registry import load_checks
from cspm.reporting.digest import SpilledNames, SummaryDigest
from cspm.reporting.terminal import MAX_CHECK_ROWS, print_summary
from cspm.resources.aws.ec2 import SecurityGroup
from cspm.resources.aws.iam import IamRole, InlinePolicy
from cspm.resources.aws.s3 import S3Bucket
from cspm.resources.aws.sagemaker import Model, ModelContainer, NotebookInstance
from cspm.resources.base import Resource
from cspm.runner import OutputOptions, deliver
from cspm.shards import PLAN_FILE, part_path, split_by_account

TYPES: tuple[type[Resource], ...] = (S3Bucket, Model, SecurityGroup, IamRole, NotebookInstance)
CHECKS = [c for c in load_checks(["aws"]) if c.resource_type in TYPES]
FINISHED = NOW + timedelta(minutes=5)
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

Estate = tuple[list[str], list[Resource], list[CollectionError], list[tuple[type[Resource], str]]]


def write_parts(parts: Path, estate: Estate) -> None:
    accounts, resources, errors, marks = estate
    inventory, findings, scopes, plan = scanned(accounts, resources, errors, marks, CHECKS)
    single = build_report(MergedProvider("aws", list(scopes.values())), CHECKS, inventory, findings, NOW, FINISHED)
    assert single.scan.checks_run == len(CHECKS)
    parts.mkdir(parents=True)
    (parts / PLAN_FILE).write_text(plan.model_dump_json(), encoding="utf-8")
    for part in split_by_account(plan, accounts, scopes, inventory, findings):
        part_path(parts, part.account).write_text(part.model_dump_json(), encoding="utf-8")


def bucket(account: str, i: int = 0) -> S3Bucket:
    name = f"data-{account}-{i}"
    return S3Bucket(uid=f"arn:aws:s3:::{name}", name=name, account=account, region=REGION, policy={})


def group(account: str, i: int) -> SecurityGroup:
    uid = f"arn:aws:ec2:{REGION}:{account}:security-group/sg-{i}"
    return SecurityGroup(uid=uid, name=f"web-{i}", account=account, region=REGION, group_id=f"sg-{i}")


def clean() -> Estate:
    """Accounts without resources or errors: a complete scan, nothing failing, no risks."""
    return ACCOUNTS[:3], [], [], []


def broken() -> Estate:
    """Buckets, models and groups; collection errors (more than the table shows) and incomplete
    listings: ERROR findings, and FAILs the supply-chain rule could not judge (the note)."""
    accounts = ACCOUNTS[:4]
    resources: list[Resource] = []
    for account in accounts:
        resources += [bucket(account), bucket(account, 1), group(account, 1)]
        container = ModelContainer(model_data_url=f"s3://data-{account}-0/model.tar.gz", primary=True)
        model = f"arn:aws:sagemaker:{REGION}:{account}:model/m0"
        resources.append(Model(uid=model, name="m0", account=account, region=REGION, containers=(container,)))
    errors = [
        CollectionError(
            account=a, region=REGION, service=s, operation="List", code="AccessDenied", message=f"denied {s}"
        )
        for a in accounts
        for s in SERVICES[:3]
    ]
    return accounts, resources, errors, [(Model, ACCOUNTS[0]), (IamRole, ACCOUNTS[1])]


def risky() -> Estate:
    """Internet-reachable notebooks running as administrator roles: one risk per account, more
    than the summary shows."""
    accounts = ACCOUNTS[:6]
    resources: list[Resource] = []
    for account in accounts:
        role = f"arn:aws:iam::{account}:role/admin"
        resources += [
            IamRole(
                uid=role,
                name="admin",
                account=account,
                trust_policy={"Version": "2012-10-17", "Statement": []},
                inline_policies=(InlinePolicy(name="all", document=ADMIN),),
            ),
            NotebookInstance(
                uid=f"arn:aws:sagemaker:{REGION}:{account}:notebook-instance/nb",
                name="nb",
                account=account,
                region=REGION,
                direct_internet_access=True,
                role_arn=role,
            ),
            bucket(account),
        ]
    return accounts, resources, [], []


def many_failing() -> Estate:
    """Failing checks each with more resources than a row names (MAX_NAMES); with
    :func:`fewer_rows`, more than the terminal's table shows."""
    accounts = ACCOUNTS[:2]
    resources: list[Resource] = [group(a, i) for a in accounts for i in range(3)]
    resources += [bucket(a, i) for a in accounts for i in range(3)]
    resources += [
        NotebookInstance(
            uid=f"arn:aws:sagemaker:{REGION}:{a}:notebook-instance/nb{i}",
            name=f"nb{i}",
            account=a,
            region=REGION,
            direct_internet_access=True,
            root_access=True,
        )
        for a in accounts
        for i in range(2)
    ]
    return accounts, resources, [], []


def fewer_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal's table shows 2 failing checks (MAX_CHECK_ROWS): both merges print through it."""
    monkeypatch.setattr("cspm.reporting.terminal.MAX_CHECK_ROWS", 2)


ESTATES = {"clean": clean, "broken": broken, "risky": risky, "many_failing": many_failing}
# plain (piped), a terminal wider and narrower than cspm.reporting.terminal.NARROW
CONSOLES = {"plain": {}, "terminal": {"TTY_COMPATIBLE": "1"}, "narrow": {"TTY_COMPATIBLE": "1", "COLUMNS": "70"}}


def run_both(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], out: OutputOptions
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) of the in-memory merge, then of the streamed one."""
    assert streamable(out)
    capsys.readouterr()
    memory = deliver(merge_parts(tmp / "parts", finished=FINISHED), out)
    first = capsys.readouterr()
    text = (out.output_dir / "report.json").read_text(encoding="utf-8")
    streamed = deliver_streamed(tmp / "parts", out, finished=FINISHED)
    second = capsys.readouterr()
    assert (out.output_dir / "report.json").read_text(encoding="utf-8") == text
    assert sorted(p.name for p in out.output_dir.iterdir()) == ["report.json"]  # the temporary files are gone
    return (memory, first.out, first.err), (streamed, second.out, second.err)


@pytest.fixture(params=sorted(ESTATES))
def parts(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_parts(tmp_path / "parts", ESTATES[request.param]())
    if request.param == "many_failing":
        fewer_rows(monkeypatch)
    return tmp_path


@pytest.mark.parametrize("console", sorted(CONSOLES))
def test_the_streamed_summary_is_the_in_memory_one(
    parts: Path, console: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    for name, value in CONSOLES[console].items():
        monkeypatch.setenv(name, value)
    memory, streamed = run_both(parts, monkeypatch, capsys, OutputOptions(output_dir=parts / "out"))
    assert streamed == memory
    code, out, err = memory
    assert code == 0 and err == "" and "Scores (0-100" in out


def test_the_estates_show_what_they_are_meant_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The comparison above compares something: each estate's summary shows its feature."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    shown = {}
    fewer_rows(monkeypatch)
    assert MAX_CHECK_ROWS == 25  # (the module's own, imported before)
    for name, make in ESTATES.items():
        write_parts(tmp_path / name / "parts", make())
        _, (_, out, _) = run_both(tmp_path / name, monkeypatch, capsys, OutputOptions(output_dir=tmp_path / name / "o"))
        shown[name] = out
    assert "No failing findings." in shown["clean"] and "· complete" in shown["clean"]
    assert "No risks" in shown["clean"]
    broken_out = shown["broken"]
    assert "INCOMPLETE" in broken_out and "could not be assessed; 12 API call(s) failed" in broken_out
    assert "Collection errors (12)" in broken_out and "and 2 more in the report." in broken_out
    assert "note: " in broken_out and "were not checked against the AI supply chain" in broken_out
    risky_out = shown["risky"]
    assert "Top risks (5 of 6)" in risky_out and "notebook nb" in risky_out and "All 6 risks: cspm risks" in risky_out
    failing_out = shown["many_failing"]
    assert "Failing checks (3)" in failing_out and "1 more failing checks. Every failing finding: jq" in failing_out
    assert "4: nb0 (us-east-1), nb1 (us-east-1), nb0" in failing_out and "+1 more" in failing_out  # 3 of 4 named


@pytest.mark.parametrize(
    ("fail_on", "strict", "quiet"),
    [
        ("none", False, False),
        ("high", False, False),
        ("low", True, False),
        ("none", True, False),
        ("none", False, True),
        ("critical", True, True),
    ],
)
def test_the_exit_codes_and_their_lines_are_the_in_memory_ones(
    tmp_path: Path,
    fail_on: str,
    strict: bool,
    quiet: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    write_parts(tmp_path / "parts", broken())
    out = OutputOptions(output_dir=tmp_path / "out", fail_on=fail_on, strict=strict, quiet=quiet)
    memory, streamed = run_both(tmp_path, monkeypatch, capsys, out)
    assert streamed == memory
    code, stdout, stderr = memory
    expected = 3 if fail_on in ("high", "low") else 4 if strict else 0
    assert code == expected
    assert (stdout == "") is quiet
    if quiet and not code:
        assert stderr.startswith("cspm: note: ")  # the supply-chain note of a quiet gate that passed
    elif code:
        assert stderr.startswith("cspm: ") and f"(exit {code}" in stderr


def test_an_ascii_console_gets_the_same_escaped_summary(tmp_path: Path) -> None:
    """A console that cannot encode the report's text: the streamed digest (its names read back
    from the temporary file) is escaped as the in-memory report is."""
    accounts = ACCOUNTS[:2]
    resources: list[Resource] = [
        S3Bucket(uid=f"arn:aws:s3:::données-{a}-{i}", name=f"données-{a}-{i}", account=a, region=REGION, policy={})
        for a in accounts
        for i in range(4)
    ]
    write_parts(tmp_path / "parts", (accounts, resources, [], []))
    report = merge_parts(tmp_path / "parts", finished=FINISHED)

    def render(source: object, terminal: bool) -> str:
        raw = io.BytesIO()
        handle = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
        from rich.console import Console

        console = Console(file=handle, force_terminal=terminal, color_system=None, width=100)
        print_summary(source, console=console, report_path="r.json")  # type: ignore[arg-type]
        handle.flush()
        return raw.getvalue().decode("ascii")

    rendered: dict[bool, str] = {}

    def present(result: StreamedMerge) -> None:
        assert result.digest is not None
        names = result.digest.failing[0].names
        assert isinstance(names, SpilledNames) and len(names) == len(accounts) * 4
        for terminal in (False, True):
            rendered[terminal] = render(result.digest, terminal)

    stream_merge(tmp_path / "parts", tmp_path / "out" / "report.json", finished=FINISHED, summary=present)
    for terminal in (False, True):
        assert rendered[terminal] == render(report, terminal)
        assert "donn\\xe9es-" in rendered[terminal]
    assert rendered[False].count("donn\\xe9es-") > rendered[True].count("donn\\xe9es-")  # plain names them all


def test_the_summary_reads_only_what_it_shows(tmp_path: Path) -> None:
    """The digest holds at most MAX_NAMES names per failing check, the first collection errors and
    the top risks; the rest are counts (and the names, in the temporary file)."""
    write_parts(tmp_path / "parts", broken())
    digests: list[SummaryDigest | None] = []
    stream_merge(
        tmp_path / "parts", tmp_path / "out" / "report.json", summary=lambda result: digests.append(result.digest)
    )
    (digest,) = digests
    assert digest is not None
    report = merge_parts(tmp_path / "parts")
    assert digest.resources == len(report.resources) and digest.errors == len(report.errors) == 12
    assert list(digest.first_errors) == report.errors[:10]
    assert all(isinstance(f.names, SpilledNames) and len(f.names.head) <= 3 for f in digest.failing)
    failing = [f for f in report.findings if f.status is Status.FAIL and not f.muted]
    assert sum(f.count for f in digest.failing) == len(failing)
    errors = [f for f in report.findings if f.status is Status.ERROR]
    assert (digest.error_findings, digest.error_checks) == (len(errors), len({f.check_id for f in errors}))


def test_cspm_merge_without_quiet_streams_and_prints_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default ``cspm merge PARTS`` takes the streamed path (the in-memory merge is not called)."""
    import cspm.cli
    import cspm.merge

    write_parts(tmp_path / "parts", broken())
    expected = merge_parts(tmp_path / "parts", finished=FINISHED)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the in-memory merge was called")

    monkeypatch.setattr(cspm.merge, "merge_parts", refused)
    monkeypatch.setenv("COLUMNS", "100")
    capsys.readouterr()
    code = cspm.cli.main(["merge", str(tmp_path / "parts"), "--output-dir", str(tmp_path / "out"), "--fail-on", "high"])
    out, err = capsys.readouterr()
    high = sum(1 for f in expected.findings if f.status is Status.FAIL and f.severity.rank >= Severity.HIGH.rank)
    assert code == 3 and err == f"cspm: {high} unmuted failing finding(s) at or above high (exit 3)\n"
    assert f"{len(expected.resources)} resources" in out and "Collection errors (12)" in out
    assert out.rstrip().splitlines()[-1].startswith("note: ")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(estate=estates(), terminal=st.booleans(), fail_on=st.sampled_from(["none", "medium"]))
def test_random_estates_print_the_same_summary_streamed(
    estate: Estate,
    terminal: bool,
    fail_on: str,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tests/test_merge_stream.py's random estates (cross-account lineage, errors, incomplete
    listings, secrets in tags): the same stdout, stderr and exit code, streamed or in memory."""
    monkeypatch.setenv("COLUMNS", "110")
    monkeypatch.setenv("TTY_COMPATIBLE", "1" if terminal else "0")
    tmp = tmp_path_factory.mktemp("s")
    write_parts(tmp / "parts", estate)
    out = OutputOptions(output_dir=tmp / "out", fail_on=fail_on, strict=True)
    printed = []
    for deliver_one in (
        lambda: deliver(merge_parts(tmp / "parts", finished=FINISHED), out),
        lambda: deliver_streamed(tmp / "parts", out, finished=FINISHED),
    ):
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = deliver_one()
        printed.append((code, stdout.getvalue(), stderr.getvalue()))
    assert printed[1] == printed[0]
    assert "Scores (0-100" in printed[0][1]
