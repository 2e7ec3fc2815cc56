"""Distributed scans: the options, the executor addresses, shards (no cloud; see e2e/test_distributed.py)."""

from __future__ import annotations

import json

import pytest

from cspm.cli import main
from cspm.dask_executor import ExecutorSpec, dask_executor, parse_executor
from cspm.errors import UsageError
from cspm.shards import cut


def test_accounts_are_cut_into_shards_in_order() -> None:
    assert cut(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert cut(["a"], 10) == [["a"]]
    assert cut([], 3) == []
    with pytest.raises(UsageError):
        cut(["a"], 0)


@pytest.mark.parametrize(
    ("value", "insecure", "expected"),
    [
        ("local:4", False, ExecutorSpec(local_workers=4)),
        ("tls://scheduler.internal:8786", False, ExecutorSpec(address="tls://scheduler.internal:8786")),
        ("tcp://127.0.0.1:8786", False, ExecutorSpec(address="tcp://127.0.0.1:8786")),
        ("tcp://localhost:8786", False, ExecutorSpec(address="tcp://localhost:8786")),
        ("tcp://10.0.0.5:8786", True, ExecutorSpec(address="tcp://10.0.0.5:8786")),
    ],
)
def test_executor_addresses(value: str, insecure: bool, expected: ExecutorSpec) -> None:
    assert parse_executor(value, insecure=insecure) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tcp://10.0.0.5:8786", "--insecure"),
        ("local:0", "1 to 256"),
        ("local", "expected local:N"),
        ("http://scheduler:8786", "expected local:N"),
        ("tls://scheduler", "expected local:N"),
    ],
)
def test_bad_executor_addresses_are_usage_errors(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_executor(value)


def test_tls_without_a_ca_in_dasks_configuration_is_refused_before_connecting() -> None:
    with pytest.raises(UsageError, match="CA certificate"), dask_executor(ExecutorSpec(address="tls://127.0.0.1:9")):
        pass


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "local:2"], "need --org"),
        (["--plan", "p.json"], "need --org"),
        (["--org", "--executor", "local:2", "--plan", "p.json"], "cannot be combined"),
        (["--org", "--plan", "p.json", "--resume"], "not --plan"),
        (["--org", "--resume"], "only apply with --executor"),
        (["--org", "--shard-size", "5"], "only apply with --executor"),
        (["--org", "--executor", "local:2", "--timeout", "60"], "--timeout does not apply"),
        (["--org", "--executor", "tcp://10.1.1.1:8786"], "--insecure"),
        (["--org", "--plan", "p.json", "--inspect-artifacts"], "--inspect-artifacts does not apply"),
        (["--org", "--plan", "no-such-folder/p.json"], "the folder no-such-folder does not exist"),
        (["--org", "--plan", "."], "a folder; give the plan's file name"),
    ],
)
def test_contradictory_distribution_options_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", "aws", "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_the_merge_shares_field_name_sets_and_repeated_strings_and_changes_no_value() -> None:
    from cspm.merge import _Pool
    from cspm.models import Finding
    from support.report_factory import make_finding

    # As read_part reads a part (json.loads, then validation): each finding with its own objects.
    texts = [make_finding(f"b{i}").model_dump_json() for i in range(3)]
    findings = [Finding.model_validate(json.loads(t)) for t in texts]
    assert findings[0].model_fields_set is not findings[1].model_fields_set
    assert findings[0].account is not findings[1].account
    pool = _Pool()
    compacted = [pool.compact(f) for f in findings]
    assert compacted[0].model_fields_set is compacted[1].model_fields_set is compacted[2].model_fields_set
    assert compacted[0].account is compacted[1].account and compacted[0].region is compacted[2].region
    assert [f.model_dump_json() for f in compacted] == texts
    assert compacted == [Finding.model_validate_json(t) for t in texts]
