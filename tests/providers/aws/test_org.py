"""Organizations: choosing accounts, assumed-role credentials, and the provider under mock_aws.

The end-to-end behaviour through the real process (a denied role, a session that cannot be
renewed mid-scan, --role-arn, a disabled region, bad options) is in tests/e2e/test_org.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import pytest
from moto import mock_aws

from cspm.engine import collect
from cspm.errors import ScanError, UsageError
from cspm.providers.aws import AwsOptions, AwsProvider, context
from cspm.providers.aws import org as aws_org
from cspm.providers.aws.context import AccountCredentials, AssumeRoleFailed, acting_as
from cspm.providers.aws.org import OrgAccount
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.s3 import S3Bucket
from support.aws import ACCOUNT as MANAGEMENT

A, B, C = "111111111111", "222222222222", "333333333333"


# -- choosing accounts ----------------------------------------------------------------------------


def listed() -> list[OrgAccount]:
    return [OrgAccount(A, "a"), OrgAccount(B, "b", "SUSPENDED"), OrgAccount(C, "c")]


def test_every_active_account_is_chosen_and_the_others_are_named() -> None:
    choice = aws_org.choose(listed())
    assert [a.id for a in choice.scan] == [A, C]
    assert [(a.id, a.state) for a in choice.inactive] == [(B, "SUSPENDED")]


def test_accounts_keep_their_order_and_exclude_accounts_wins() -> None:
    choice = aws_org.choose(listed(), include=[C, A, B], exclude=[A, "444444444444"])
    assert [a.id for a in choice.scan] == [C]
    assert [a.id for a in choice.inactive] == [B]
    assert choice.excluded_unknown == ("444444444444",)


def test_an_account_not_in_the_organization_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not in the organization: 999999999999"):
        aws_org.choose(listed(), include=[A, "999999999999"])


@pytest.mark.parametrize("value", ["12345", "1234567890123", "abcdefghijkl", ""])
def test_account_ids_are_twelve_digits(value: str) -> None:
    with pytest.raises(UsageError, match="--accounts"):
        aws_org.account_ids([value], "--accounts")


def test_account_ids_are_trimmed_and_deduplicated() -> None:
    assert aws_org.account_ids([f" {A}", B, A], "--accounts") == (A, B)


def test_role_arns() -> None:
    assert aws_org.parse_role_arn(f"arn:aws:iam::{A}:role/path/Audit") == ("aws", A)
    assert aws_org.parse_role_arn(f"arn:aws-us-gov:iam::{B}:role/Audit") == ("aws-us-gov", B)
    assert (
        aws_org.role_arn("aws", C, "OrganizationAccountAccessRole")
        == f"arn:aws:iam::{C}:role/OrganizationAccountAccessRole"
    )
    for bad in ("arn:aws:iam::123:role/x", f"arn:aws:iam::{A}:user/x", "role/x"):
        with pytest.raises(UsageError, match="--role-arn"):
            aws_org.parse_role_arn(bad)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (AwsOptions(org=True, role_arn=f"arn:aws:iam::{A}:role/x"), "cannot be combined"),
        (AwsOptions(role_name="Audit"), "--role-name only apply with --org"),
        (AwsOptions(exclude_accounts=(A,)), "--exclude-accounts only apply with --org"),
        (AwsOptions(external_id="abc"), "only applies with --org or --role-arn"),
        (AwsOptions(org=True, external_id="x"), "2 to 1224 characters"),
        (AwsOptions(org=True, accounts=("1",)), "is not an AWS account id"),
    ],
)
def test_contradictory_options_are_refused_before_anything_is_sent(options: AwsOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        options.validate()


# -- assumed-role credentials ---------------------------------------------------------------------


class Fetcher:
    """Stands in for botocore's AssumeRoleCredentialFetcher: answers, then is denied."""

    def __init__(self, answers: list[dict[str, Any] | Exception]) -> None:
        self.answers = answers
        self.calls = 0

    def fetch_credentials(self) -> dict[str, Any]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


def denied() -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"}}, "AssumeRole"
    )


def fresh(minutes: int = 60) -> dict[str, Any]:
    expiry = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    return {"access_key": "AKIAFRESH", "secret_key": "secret", "token": "token", "expiry_time": expiry}


def test_a_refused_renewal_is_assume_role_failed_and_is_not_asked_again() -> None:
    fetcher = Fetcher([fresh(minutes=5), denied()])
    renew = aws_org._Renewer(fetcher, f"arn:aws:iam::{A}:role/Audit")
    credentials = botocore.credentials.DeferredRefreshableCredentials(renew, "assume-role")
    assert credentials.get_frozen_credentials().access_key == "AKIAFRESH"
    for _ in range(3):  # five minutes left: every use must renew, and renewing is refused
        with pytest.raises(AssumeRoleFailed) as failed:
            credentials.get_frozen_credentials()
        assert failed.value.code == "AccessDenied" and "sts:AssumeRole" in failed.value.reason
    assert fetcher.calls == 2


def test_account_credentials_are_those_of_the_current_call_and_never_a_default() -> None:
    shared = AccountCredentials()
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        shared.get_frozen_credentials()
    seen: dict[str, str] = {}

    def call(account: str) -> None:
        with acting_as(botocore.credentials.Credentials(f"AKIA{account}", "secret")):
            threading.Event().wait(0.05)  # both threads are inside acting_as at once
            seen[account] = shared.access_key

    threads = [threading.Thread(target=call, args=(account,)) for account in (A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {A: f"AKIA{A}", B: f"AKIA{B}"}
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        shared.get_frozen_credentials()


def test_a_renewal_failure_is_recorded_as_sts_in_the_account() -> None:
    exc = AssumeRoleFailed(role_arn=f"arn:aws:iam::{A}:role/Audit", code="AccessDenied", message="role deleted")
    assert context.classify(exc) == ("AccessDenied", "role deleted")


# -- the provider, under mock_aws -----------------------------------------------------------------


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def make_org(members: int = 2) -> list[str]:
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    ids = []
    for i in range(members):
        status = orgs.create_account(Email=f"m{i}@example.com", AccountName=f"m{i}")["CreateAccountStatus"]
        ids.append(status["AccountId"])
    return ids


def member(account: str, service: str, region: str = "us-east-1") -> Any:
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture
def assume_role_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The parameters of every AssumeRole the scanner sends."""
    calls: list[dict[str, Any]] = []
    original = context.ClientFactory.__init__

    def spying(self: context.ClientFactory, session: Any, *args: Any, **kwargs: Any) -> None:
        session.events.register("before-parameter-build.sts.AssumeRole", lambda params, **_: calls.append(dict(params)))
        original(self, session, *args, **kwargs)

    monkeypatch.setattr(context.ClientFactory, "__init__", spying)
    return calls


def test_org_reaches_every_account_through_its_role_and_the_callers_own(
    aws: None, assume_role_calls: list[dict[str, Any]]
) -> None:
    first, second = make_org()
    member(first, "s3").create_bucket(Bucket="first-data")
    member(second, "kms").create_key(Description="second")
    provider = AwsProvider(AwsOptions(org=True, regions=("us-east-1",), external_id="ext-4711", workers=4))
    provider.connect()
    assert [t.id for t in provider.targets] == sorted([MANAGEMENT, first, second])
    assert {t.id: t.role_arn for t in provider.targets} == {
        MANAGEMENT: None,
        first: f"arn:aws:iam::{first}:role/OrganizationAccountAccessRole",
        second: f"arn:aws:iam::{second}:role/OrganizationAccountAccessRole",
    }
    sent = sorted((c["RoleArn"].split(":")[4], c["ExternalId"], c["RoleSessionName"]) for c in assume_role_calls)
    assert sent == sorted([(first, "ext-4711", "cspm-scan"), (second, "ext-4711", "cspm-scan")])
    inventory = collect(provider.plan({S3Bucket, KmsKey}), workers=4)
    assert not inventory.errors
    assert {(r.name, r.account) for r in inventory.of_type(S3Bucket)} == {("first-data", first)}
    assert {r.account for r in inventory.of_type(KmsKey)} == {second}
    # one set of clients for all three accounts, not one per account: ec2 (DescribeRegions), kms,
    # s3 and s3control, each in us-east-1
    assert len(provider.clients_of(provider.targets[0])) == 4


def test_a_suspended_account_is_recorded_and_the_rest_is_scanned(aws: None) -> None:
    first, second = make_org()
    boto3.client("organizations", region_name="us-east-1").close_account(AccountId=second)
    provider = AwsProvider(AwsOptions(org=True, regions=("us-east-1",), workers=2))
    provider.connect()
    assert sorted(t.id for t in provider.targets) == sorted([MANAGEMENT, first])
    assert [(e.account, e.service, e.operation, e.code) for e in provider.setup_errors] == [
        (second, "organizations", "ListAccounts", "AccountSuspended")
    ]


def test_excluding_a_suspended_account_leaves_nothing_to_record(aws: None) -> None:
    first, second = make_org()
    boto3.client("organizations", region_name="us-east-1").close_account(AccountId=second)
    provider = AwsProvider(AwsOptions(org=True, regions=("us-east-1",), exclude_accounts=(second,), workers=2))
    provider.connect()
    assert sorted(t.id for t in provider.targets) == sorted([MANAGEMENT, first])
    assert provider.setup_errors == []


def test_org_without_a_readable_organization_is_a_scan_error(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(organizations: Any) -> list[OrgAccount]:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "You don't have permissions"}}, "ListAccounts"
        )

    monkeypatch.setattr(aws_org, "list_accounts", refused)
    with pytest.raises(ScanError, match=r"cannot list the organization's accounts \(AccessDeniedException\)"):
        AwsProvider(AwsOptions(org=True, regions=("us-east-1",))).connect()


def test_an_organization_with_nothing_to_scan_is_a_scan_error(aws: None) -> None:
    [first] = make_org(1)
    options = AwsOptions(org=True, regions=("us-east-1",), exclude_accounts=(first, MANAGEMENT))
    with pytest.raises(ScanError, match="no ACTIVE account"):
        AwsProvider(options).connect()


def test_role_arn_scans_only_that_account(aws: None) -> None:
    [first] = make_org(1)
    member(first, "s3").create_bucket(Bucket="only-this")
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="callers-own")
    arn = f"arn:aws:iam::{first}:role/OrganizationAccountAccessRole"
    provider = AwsProvider(AwsOptions(role_arn=arn, regions=("us-east-1",), workers=2))
    provider.connect()
    assert [s.account for s in provider.scopes()] == [first]
    inventory = collect(provider.plan({S3Bucket}), workers=2)
    assert [(r.name, r.account) for r in inventory.of_type(S3Bucket)] == [("only-this", first)]


def test_a_single_account_scan_is_unchanged(aws: None) -> None:
    provider = AwsProvider(AwsOptions(regions=("us-east-1",), workers=2))
    provider.connect()
    assert [(t.id, t.credentials, t.role_arn) for t in provider.targets] == [(MANAGEMENT, None, None)]
    assert [s.account for s in provider.scopes()] == [MANAGEMENT]


@pytest.mark.parametrize(
    "identity",
    [
        {"Account": "123456789012", "Arn": "arnawsstsassumed-role"},
        {"Account": "123456789012", "Arn": "arn::sts::123456789012:assumed-role/r/s"},
        {"Account": "123456789012"},
        {"Account": None, "Arn": "arn:aws:sts::123456789012:assumed-role/r/s"},
        {"Account": "1234\n", "Arn": "arn:aws:iam::123456789012:user/u"},
    ],
)
def test_an_unusable_caller_identity_is_one_line(identity: dict[str, Any]) -> None:
    with pytest.raises(ScanError, match="sts:GetCallerIdentity answer is not an AWS identity") as info:
        aws_org.caller_identity(identity)
    assert "\n" not in str(info.value)


def test_caller_identity() -> None:
    arn = "arn:aws-cn:sts::123456789012:assumed-role/r/s"
    assert aws_org.caller_identity({"Account": "123456789012", "Arn": arn}) == ("123456789012", "aws-cn")
