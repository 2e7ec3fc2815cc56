"""The mutelist: parsing with line-numbered errors, matching (AND inside, OR across), expiry."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from textwrap import dedent

import pytest

from cspm.errors import UsageError
from cspm.models import Status
from cspm.mutelist import (
    MuteEntry,
    Mutelist,
    apply_mutelist,
    evaluate_mutelist,
    load_mutelist,
    parse_mutelist,
)
from support.report_factory import ACCOUNT_A, ACCOUNT_B, bucket_arn, make_finding, make_report

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def sample_report():
    findings = [
        make_finding("aws.s3.bucket_is_not_public", bucket_arn("www-site"), account=ACCOUNT_A, region="us-east-1"),
        make_finding("aws.s3.bucket_versioning_enabled", bucket_arn("www-site"), account=ACCOUNT_A),
        make_finding("aws.s3.bucket_is_not_public", bucket_arn("tmp-123"), account=ACCOUNT_B, region="eu-west-1"),
        make_finding("aws.s3.bucket_is_not_public", bucket_arn("ml-data"), account=ACCOUNT_B, region="eu-west-1"),
        make_finding("aws.s3.bucket_is_not_public", bucket_arn("passing"), status=Status.PASS),
    ]
    tags = {bucket_arn("tmp-123"): {"env": "dev", "team": "ml"}, bucket_arn("ml-data"): {"env": "prod"}}
    return make_report(findings, tags=tags)


def muted_names(report) -> set[str]:
    return {f.resource_uid.rsplit(":", 1)[-1] + "/" + f.check_id.rsplit(".", 1)[-1] for f in report.findings if f.muted}


def entry(**fields) -> Mutelist:
    return Mutelist(entries=(MuteEntry(reason="because", **fields),))


@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        ("check glob", {"checks": ["aws.s3.bucket_versioning_*"]}, {"www-site/bucket_versioning_enabled"}),
        (
            "resource uid glob",
            {"resources": ["arn:aws:s3:::www-*"]},
            {"www-site/bucket_is_not_public", "www-site/bucket_versioning_enabled"},
        ),
        ("resource name glob", {"resources": ["tmp-*"]}, {"tmp-123/bucket_is_not_public"}),
        ("resource regex", {"resource_regex": [r"tmp-\d+"]}, {"tmp-123/bucket_is_not_public"}),
        ("regex is a full match", {"resource_regex": ["tmp"]}, set()),
        ("account", {"accounts": [ACCOUNT_B]}, {"tmp-123/bucket_is_not_public", "ml-data/bucket_is_not_public"}),
        ("region glob", {"regions": ["eu-*"]}, {"tmp-123/bucket_is_not_public", "ml-data/bucket_is_not_public"}),
        ("tag glob", {"tags": {"env": "de*"}}, {"tmp-123/bucket_is_not_public"}),
        ("all tags must match", {"tags": {"env": "dev", "team": "web"}}, set()),
        ("other provider", {"provider": "azure"}, set()),
        (
            "AND inside an entry",
            {"accounts": [ACCOUNT_B], "resources": ["ml-*"], "checks": ["aws.s3.*"]},
            {"ml-data/bucket_is_not_public"},
        ),
        ("AND that cannot hold", {"accounts": [ACCOUNT_A], "resources": ["ml-*"]}, set()),
        (
            "a scalar works as a list",
            {"checks": "aws.s3.bucket_versioning_enabled"},
            {"www-site/bucket_versioning_enabled"},
        ),
    ],
)
def test_matching(case: str, fields: dict, expected: set[str]) -> None:
    muted = apply_mutelist(sample_report(), entry(**fields), NOW)
    assert muted_names(muted) == expected, case


def test_or_across_entries_and_the_entry_that_muted() -> None:
    mutelist = parse_mutelist(
        dedent(
            """\
            mutes:
              - id: websites
                reason: public by design
                resources: [www-*]
                checks: [aws.s3.bucket_is_not_public]
              - reason: scratch buckets
                resource_regex: ['arn:aws:s3:::tmp-[0-9]+']
            """
        ),
        source="/etc/cspm/mutes.yaml",
    )
    outcome = evaluate_mutelist(sample_report(), mutelist, NOW)
    assert muted_names(outcome.report) == {"www-site/bucket_is_not_public", "tmp-123/bucket_is_not_public"}
    assert all((f.uid in outcome.muted_by) == f.muted for f in outcome.report.findings)
    refs = {ref.label: ref.reason for ref in outcome.muted_by.values()}
    assert refs == {"websites": "public by design", "mutes.yaml:6": "scratch buckets"}
    # The report itself says which entry muted each finding, so it survives a round trip to disk.
    in_report = {f.muted_by.entry for f in outcome.report.findings if f.muted_by is not None}
    assert in_report == {"websites", "mutes.yaml:6"}
    assert all((f.muted_by is not None) == f.muted for f in outcome.report.findings)
    assert outcome.report.mutelist is not None and outcome.report.mutelist.source == "/etc/cspm/mutes.yaml"
    reloaded = type(outcome.report).model_validate_json(outcome.report.to_json())
    assert reloaded.findings == outcome.report.findings


def test_muted_findings_stay_and_leave_the_scores() -> None:
    report = sample_report()
    assert report.summary.fail == 4
    muted = apply_mutelist(report, entry(accounts=[ACCOUNT_B]), NOW)
    assert len(muted.findings) == len(report.findings)
    assert muted.summary.fail == 2 and muted.summary.muted == 2
    tmp = next(r for r in muted.resources if r.uid == bucket_arn("tmp-123"))
    assert tmp.scores == {"least-privilege": None}  # its only finding is muted: nothing assessed
    assert report.findings[2].muted is False  # the input is not modified


def test_muting_only_adds() -> None:
    report = make_report([make_finding(muted=True), make_finding("aws.s3.other")])
    out = apply_mutelist(report, entry(checks=["nothing.*"]), NOW)
    assert [f.muted for f in out.findings] == [True, False]
    # Nothing muted: findings and scores are unchanged; the report only records the mutelist used.
    assert out.findings == report.findings and out.summary == report.summary
    assert out.mutelist is not None and out.mutelist.expired == []


@pytest.mark.parametrize(
    ("expires", "now", "expired"),
    [
        (date(2026, 5, 1), datetime(2026, 5, 1, 23, 59, tzinfo=UTC), False),  # through the end of that day
        (date(2026, 5, 1), datetime(2026, 5, 2, 0, 0, tzinfo=UTC), True),
        (date(2026, 5, 1), datetime(2026, 5, 2, 1, 0), True),  # a naive scan time is UTC
        (datetime(2026, 5, 1, 12, 0, tzinfo=UTC), datetime(2026, 5, 1, 11, 59, tzinfo=UTC), False),
        (datetime(2026, 5, 1, 12, 0, tzinfo=UTC), datetime(2026, 5, 1, 12, 0, tzinfo=UTC), True),
        (None, datetime(2999, 1, 1, tzinfo=UTC), False),
    ],
)
def test_expiry_uses_the_scan_time(expires, now, expired: bool) -> None:
    assert MuteEntry(reason="r", checks=["*"], expires=expires).is_expired(now) is expired


def test_an_expired_entry_stops_muting_and_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    mutelist = parse_mutelist(
        dedent(
            """\
            mutes:
              - reason: old exception, ticket SEC-1
                expires: 2026-04-30
                accounts: [222222222222]
              - reason: still valid
                expires: 2026-05-01
                resources: [www-*]
            """
        ),
        source="mutes.yaml",
    )
    outcome = evaluate_mutelist(sample_report(), mutelist, NOW)
    assert muted_names(outcome.report) == {"www-site/bucket_is_not_public", "www-site/bucket_versioning_enabled"}
    assert [r.label for r in outcome.expired] == ["mutes.yaml:2"]
    assert outcome.report.mutelist is not None
    assert [(e.entry, e.expires) for e in outcome.report.mutelist.expired] == [("mutes.yaml:2", "2026-04-30")]
    assert outcome.would_have_muted == {"mutes.yaml:2": 2}
    assert outcome.warnings == [
        "mutelist entry mutes.yaml:2 expired on 2026-04-30 and no longer mutes (2 matching findings); "
        "reason was: old exception, ticket SEC-1"
    ]
    with caplog.at_level(logging.WARNING, logger="cspm.mutelist"):
        apply_mutelist(sample_report(), mutelist, NOW)
    assert [r.getMessage() for r in caplog.records] == outcome.warnings


def test_account_ids_stay_text() -> None:
    mutelist = parse_mutelist("mutes:\n  - reason: r\n    accounts: [012345670123, 111111111111]\n")
    assert mutelist.entries[0].accounts == ("012345670123", "111111111111")


def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "mutelist.yaml"
    path.write_text("version: 1\nmutes:\n  - reason: r\n    checks: ['*']\n    tags: {env: dev}\n", encoding="utf-8")
    mutelist = load_mutelist(path)
    assert mutelist.entries[0].tags == {"env": "dev"}
    assert mutelist.refs()[0].label == "mutelist.yaml:3"


@pytest.mark.parametrize(
    ("case", "text", "message"),
    [
        ("missing reason", "mutes:\n  - checks: ['*']\n", "<m>:2: mutes[0].reason: Field required"),
        (
            "blank reason",
            "mutes:\n  - checks: ['*']\n    reason: '  '\n",
            "<m>:3: mutes[0].reason: reason must not be blank",
        ),
        (
            "bad regex on its line",
            "mutes:\n  - reason: r\n    resource_regex:\n      - ok\n      - '('\n",
            "<m>:5: mutes[0].resource_regex[1]: invalid regular expression '('",
        ),
        (
            "unknown key",
            "mutes:\n  - reason: r\n    chekcs: ['*']\n",
            "<m>:3: mutes[0].chekcs: Extra inputs are not permitted",
        ),
        ("no condition", "mutes:\n  - reason: r\n", "<m>:2: mutes[0]: an entry needs at least one condition"),
        (
            "bad date",
            "mutes:\n  - reason: r\n    checks: ['*']\n    expires: soon\n",
            "<m>:4: mutes[0].expires: expires must be a date (2026-12-31)",
        ),
        (
            "tags not a map",
            "mutes:\n  - reason: r\n    tags: [a]\n",
            "<m>:3: mutes[0].tags: Input should be a valid dictionary",
        ),
        (
            "duplicate ids",
            "mutes:\n  - {id: a, reason: r, checks: x}\n  - {id: a, reason: r, checks: y}\n",
            "<m>:2: mutes: duplicate entry id a",
        ),
        ("bad version", "version: 2\nmutes: []\n", "<m>:1: version: unsupported version 2"),
        ("bad YAML", "mutes:\n  - reason: r\n   checks: [\n", "<m>:3: invalid YAML"),
        ("empty file", "# nothing\n", "<m>:1: the mutelist is empty"),
        ("not a mapping", "- reason: r\n", "<m>:1: expected a mapping"),
        ("mutes missing", "mute:\n  - reason: r\n", "<m>:1: mutes: Field required"),
    ],
)
def test_errors_name_the_line(case: str, text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_mutelist(text, source="<m>")
    assert str(info.value).startswith(message), (case, str(info.value))
    assert "\n" not in str(info.value)


def test_several_errors_are_counted() -> None:
    with pytest.raises(UsageError, match=r"\(and 1 more\)$"):
        parse_mutelist("mutes:\n  - checks: x\n  - reason: r\n", source="<m>")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing\.yaml: cannot read mutelist: No such file"):
        load_mutelist(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        load_mutelist(binary)


def test_muting_updates_the_lineage_fail_counts() -> None:
    from cspm.models import Lineage, LineageNode

    report = make_report([make_finding(resource_uid=bucket_arn("data"))])
    node = LineageNode(id=bucket_arn("data"), type="aws.s3.bucket", name="data", in_inventory=True, fail=1)
    report = report.model_copy(update={"lineage": Lineage(nodes=[node])})
    muted = apply_mutelist(report, entry(resources=["data"]), NOW)
    assert muted.lineage is not None and muted.lineage.nodes[0].fail == 0


def test_muting_recomputes_each_accounts_scores() -> None:
    from cspm.models import Scope
    from cspm.scoring import scope_scores

    report = sample_report()
    scopes = scope_scores([Scope(account=a, regions=["us-east-1"]) for a in (ACCOUNT_A, ACCOUNT_B)], report.findings)
    report = report.model_copy(update={"scan": report.scan.model_copy(update={"scopes": scopes})})
    muted = apply_mutelist(report, entry(accounts=[ACCOUNT_B]), NOW)
    after = {s.account: s.scores for s in muted.scan.scopes}
    expected = {s.account: s.scores for s in scope_scores(muted.scan.scopes, muted.findings)}
    assert after == expected
    scores_b = after[ACCOUNT_B]
    assert scores_b is not None and scores_b["overall"] is None  # all of B is muted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "mutes:\n  - reason: r\n    checks: [a]\n    expires: 9999-99-99\n",
            "<m>:4: invalid YAML: cannot read '9999-99-99'",
        ),
        (
            "mutes:\n  - reason: r\n    checks: [a]\n    expires: 2026-02-30\n",
            "<m>:4: invalid YAML: cannot read '2026-02-30'",
        ),
        ("version: !!int " + "9" * 5000 + "\nmutes: []\n", "<m>:1: invalid YAML: cannot read '9999"),
        (
            "mutes:\n  - reason: r\n    checks: [a]\n    expires: 9999-12-31T23:00:00-05:00\n",
            "<m>:4: mutes[0].expires: expires is out of range once converted to UTC",
        ),
        ("mutes: " + "[" * 60 + "]" * 60 + "\n", "<m>:1: nested deeper than 50 levels"),
        ("mutes: " + "[" * 100_000 + "\n", "<m>: invalid YAML: nested too deeply"),
        ("a: &a [*a]\nmutes: []\n", "<m>:1: an alias refers to a node that contains it"),
        ("mutes:\n  - reason: \x07\n", "<m>:2: invalid YAML: character U+0007 is not allowed"),
    ],
    ids=[
        "impossible-date",
        "february-30",
        "huge-int",
        "overflowing-expiry",
        "deep",
        "very-deep",
        "recursive-alias",
        "control-character",
    ],
)
def test_bad_values_are_one_line_with_the_line(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_mutelist(text, source="<m>")
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_an_alias_bomb_is_refused_before_validation_expands_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)]  # a6 (line 7): 9**7 strings
    lines.append("mutes: [{reason: r, checks: *a7}]")
    with pytest.raises(UsageError, match=r"<m>:7: the mutelist expands to more than 1,000,000 values"):
        parse_mutelist("\n".join(lines), source="<m>")
    small = "mutes: [{reason: r, accounts: &ids [111111111111, 222222222222]}, {reason: s, accounts: *ids}]"
    assert [e.accounts for e in parse_mutelist(small).entries] == [("111111111111", "222222222222")] * 2


def test_a_fifo_or_device_mutelist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="/dev/zero: cannot read mutelist: a character device"):
        load_mutelist("/dev/zero")
