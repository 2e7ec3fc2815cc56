"""The CloudTrail collector against moto (in-process mock_aws): each trail kept exactly once,
snapshots, request counts and error handling."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from cspm.checks.aws import cloudtrail as cloudtrail_checks
from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.aws import SERVICE_MODULES
from cspm.providers.aws.cloudtrail import event_selectors_from_api, keeps
from cspm.resources.aws.cloudtrail import BOTH, READ, CloudTrailTrail
from cspm.resources.aws.iam import IamAccount
from support.aws import ACCOUNT, collect_aws, one

REGIONS = ("us-east-1", "us-west-2")
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(SERVICE_MODULES, "cloudtrail", "cspm.providers.aws.cloudtrail")
    with mock_aws():
        yield


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """(operation, region) of every API call."""
    seen: Counter[tuple[str, str]] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        seen[(operation_name, self.meta.region_name)] += 1
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return seen


def _deny(monkeypatch: pytest.MonkeyPatch, operation: str, region: str | None = None) -> None:
    original = BaseClient._make_api_call

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == operation and region in (None, self.meta.region_name):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denied)


def _seed() -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-archive")
    west = boto3.client("cloudtrail", region_name="us-west-2")
    west.create_trail(
        Name="org-wide",
        S3BucketName="trail-archive",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=KEY,
    )
    west.start_logging(Name="org-wide")
    west.put_event_selectors(
        TrailName="org-wide",
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::ml-artifacts/"]}],
            }
        ],
    )
    east = boto3.client("cloudtrail", region_name="us-east-1")
    east.create_trail(Name="local", S3BucketName="trail-archive")
    east.put_event_selectors(
        TrailName="local",
        AdvancedEventSelectors=[
            {
                "Name": "training data reads",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::ml-data/"]},
                    {"Field": "readOnly", "Equals": ["true"]},
                ],
            }
        ],
    )
    eu = boto3.client("cloudtrail", region_name="eu-west-1")
    eu.create_trail(Name="eu-multi", S3BucketName="trail-archive", IsMultiRegionTrail=True)
    eu.create_trail(Name="eu-only", S3BucketName="trail-archive")


def test_trails_are_kept_once_with_every_setting(aws: None, calls: Counter[tuple[str, str]]) -> None:
    _seed()
    calls.clear()

    inventory = collect_aws(CloudTrailTrail, regions=REGIONS)

    assert not inventory.errors
    trails = inventory.of_type(CloudTrailTrail)
    # eu-only is a single-region trail of a region that is not scanned: it records nothing here.
    assert sorted(t.name for t in trails) == ["eu-multi", "local", "org-wide"]

    org = one(inventory, CloudTrailTrail, "org-wide")
    assert org.uid == f"arn:aws:cloudtrail:us-west-2:{ACCOUNT}:trail/org-wide"
    assert org.region == org.home_region == "us-west-2"
    assert org.is_multi_region and org.log_file_validation and org.kms_key_id == KEY and org.is_logging is True
    assert org.s3_bucket_name == "trail-archive" and not org.is_organization_trail
    assert org.event_selectors is not None and org.event_selectors.management_events() == BOTH
    assert org.event_selectors.s3_object_events("ml-artifacts/jobs/") == BOTH

    local = one(inventory, CloudTrailTrail, "local")
    assert local.home_region == "us-east-1" and not local.is_multi_region and local.is_logging is False
    assert not local.log_file_validation and local.kms_key_id is None
    assert local.event_selectors is not None and local.event_selectors.management_events() == frozenset()
    assert local.event_selectors.s3_object_events("ml-data/train/") == {READ}

    eu = one(inventory, CloudTrailTrail, "eu-multi")
    assert eu.home_region == "eu-west-1" and eu.is_multi_region

    # DescribeTrails once per scanned region; status and selectors once per trail, in its home region.
    scanner = {k: n for k, n in calls.items() if k[0] not in ("GetCallerIdentity", "DescribeRegions")}
    assert scanner == {
        ("DescribeTrails", "us-east-1"): 1,
        ("DescribeTrails", "us-west-2"): 1,
        ("GetTrailStatus", "us-east-1"): 1,
        ("GetEventSelectors", "us-east-1"): 1,
        ("GetTrailStatus", "us-west-2"): 1,
        ("GetEventSelectors", "us-west-2"): 1,
        ("GetTrailStatus", "eu-west-1"): 1,
        ("GetEventSelectors", "eu-west-1"): 1,
    }


@pytest.mark.parametrize(
    ("operation", "field"), [("GetTrailStatus", "is_logging"), ("GetEventSelectors", "event_selectors")]
)
def test_a_denied_call_leaves_its_field_unknown(
    aws: None, monkeypatch: pytest.MonkeyPatch, operation: str, field: str
) -> None:
    _seed()
    _deny(monkeypatch, operation)
    inventory = collect_aws(CloudTrailTrail, regions=REGIONS)
    org = one(inventory, CloudTrailTrail, "org-wide")
    assert getattr(org, field) is None
    assert org.is_multi_region and org.kms_key_id == KEY  # the listing is still read
    assert {(e.service, e.operation, e.code) for e in inventory.errors} == {
        ("cloudtrail", operation, "AccessDeniedException")
    }
    assert len(inventory.errors) == 3  # one per trail
    assert not inventory.incomplete_scopes(CloudTrailTrail)


def test_a_denied_listing_marks_the_region_incomplete(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed()
    _deny(monkeypatch, "DescribeTrails", region="us-west-2")
    inventory = collect_aws(CloudTrailTrail, regions=REGIONS)
    assert sorted(t.name for t in inventory.of_type(CloudTrailTrail)) == ["eu-multi", "local"]
    assert inventory.incomplete_scopes(CloudTrailTrail) == [
        (ACCOUNT, "us-west-2", "DescribeTrails failed: AccessDeniedException")
    ]


def test_the_account_check_through_the_engine(aws: None) -> None:
    """The account subject (an IAM snapshot: the IAM collector has its own tests) gets the trails
    of every scanned region injected."""
    _seed()
    spec = cloudtrail_checks.account_logs_management_events_in_all_regions.__cspm_check__  # type: ignore[attr-defined]
    inventory = collect_aws(CloudTrailTrail, regions=REGIONS)
    inventory.add(IamAccount(uid=f"arn:aws:iam::{ACCOUNT}:root", name=ACCOUNT, account=ACCOUNT))
    (finding,) = evaluate([spec], inventory, datetime.now(UTC))
    assert finding.resource_uid == f"arn:aws:iam::{ACCOUNT}:root"
    assert finding.status is Status.PASS
    assert finding.evidence["trails"] == [f"arn:aws:cloudtrail:us-west-2:{ACCOUNT}:trail/org-wide"]


# ---------------------------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("home", "region", "expected"),
    [
        ("us-east-1", "us-east-1", True),  # its own region
        ("us-east-1", "us-west-2", False),  # a shadow: kept by its home region's unit
        ("eu-west-1", "us-east-1", True),  # home not scanned: kept by the first scanned region
        ("eu-west-1", "us-west-2", False),
    ],
)
def test_each_trail_is_kept_by_one_unit(home: str, region: str, expected: bool) -> None:
    assert keeps({"HomeRegion": home}, region, REGIONS) is expected


def test_organization_event_selectors_from_a_recorded_response() -> None:
    selectors = event_selectors_from_api(
        {
            "AdvancedEventSelectors": [
                {
                    "Name": "Management events",
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]},
                    ],
                },
            ]
        }
    )
    assert selectors is not None
    assert selectors.advanced[0].field_selectors[1].not_equals == ("kms.amazonaws.com", "rdsdata.amazonaws.com")
    assert selectors.management_events() == frozenset()  # excluding sources is not "all management events"
    assert event_selectors_from_api(None) is None
