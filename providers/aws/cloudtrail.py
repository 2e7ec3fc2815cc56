"""CloudTrail: trails with their logging status and event selectors (regional units).

Each region's unit calls DescribeTrails (shadow trails included: a region lists its own trails,
every multi-region trail of the account and the organization trails that apply to it) and keeps
each trail exactly once, without any sharing between units:

- a trail whose home region is scanned is kept by the unit of its home region;
- a trail whose home region is not scanned (a multi-region or organization trail homed elsewhere)
  is kept by the unit of the first scanned region, because it still records the scanned regions.

Requests per region: DescribeTrails (1). Requests per kept trail: GetTrailStatus and
GetEventSelectors (2), both sent to the trail's home region with the trail ARN, which is what
shadow and organization trails require.

Failures: a failed DescribeTrails marks trails incomplete in the region (every check that reads
trails of the account then answers ERROR). A failed GetTrailStatus / GetEventSelectors leaves
``is_logging`` / ``event_selectors`` None; the error is recorded.

Not collected: tags (ListTags), insight selectors, CloudTrail Lake event data stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ServiceSpec
from cspm.resources.aws.cloudtrail import (
    AdvancedEventSelector,
    CloudTrailTrail,
    DataResource,
    EventSelector,
    EventSelectors,
    FieldSelector,
)

PERMISSIONS = (
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
)

_FIELD_KEYS = {
    "Equals": "equals",
    "StartsWith": "starts_with",
    "EndsWith": "ends_with",
    "NotEquals": "not_equals",
    "NotStartsWith": "not_starts_with",
    "NotEndsWith": "not_ends_with",
}


def collect(ctx: AwsContext) -> Iterator[CloudTrailTrail]:
    listing = ctx.call(
        ctx.client("cloudtrail"), "describe_trails", affects=(CloudTrailTrail,), includeShadowTrails=True
    )
    if listing is None:
        return
    kept = [raw for raw in listing.get("trailList", []) if keeps(raw, ctx.region, ctx.regions)]
    yield from ctx.map(lambda raw: _trail(ctx, raw), kept)


def keeps(raw: dict[str, Any], region: str, scanned: tuple[str, ...]) -> bool:
    """Whether the unit of ``region`` keeps a trail DescribeTrails returned (see the module docstring)."""
    home = raw.get("HomeRegion") or region
    if home in scanned:
        return home == region
    return bool(scanned) and region == scanned[0]


def _trail(ctx: AwsContext, raw: dict[str, Any]) -> CloudTrailTrail:
    home = raw.get("HomeRegion") or ctx.region
    client = ctx.client("cloudtrail", home)
    arn = raw["TrailARN"]
    status = ctx.call(client, "get_trail_status", Name=arn)
    selectors = ctx.call(client, "get_event_selectors", TrailName=arn)
    return trail_from_api(raw, ctx.account, home).model_copy(
        update={
            "is_logging": None if status is None else bool(status.get("IsLogging")),
            "event_selectors": event_selectors_from_api(selectors),
        }
    )


# ---------------------------------------------------------------------------------------------
# Translation (pure)
# ---------------------------------------------------------------------------------------------


def trail_from_api(raw: dict[str, Any], account: str, home_region: str) -> CloudTrailTrail:
    return CloudTrailTrail(
        uid=raw["TrailARN"],
        name=raw.get("Name") or raw["TrailARN"].rsplit("/", 1)[-1],
        account=account,
        region=home_region,
        home_region=home_region,
        is_multi_region=bool(raw.get("IsMultiRegionTrail")),
        is_organization_trail=bool(raw.get("IsOrganizationTrail")),
        log_file_validation=bool(raw.get("LogFileValidationEnabled")),
        include_global_service_events=bool(raw.get("IncludeGlobalServiceEvents")),
        kms_key_id=raw.get("KmsKeyId") or None,
        s3_bucket_name=raw.get("S3BucketName") or None,
        cloudwatch_logs_log_group_arn=raw.get("CloudWatchLogsLogGroupArn") or None,
    )


def event_selectors_from_api(raw: dict[str, Any] | None) -> EventSelectors | None:
    if raw is None:
        return None
    return EventSelectors(
        classic=tuple(_classic(s) for s in raw.get("EventSelectors") or ()),
        advanced=tuple(_advanced(s) for s in raw.get("AdvancedEventSelectors") or ()),
    )


def _classic(raw: dict[str, Any]) -> EventSelector:
    return EventSelector(
        read_write_type=raw.get("ReadWriteType") or "All",
        include_management_events=raw.get("IncludeManagementEvents", True) is not False,
        exclude_management_event_sources=tuple(raw.get("ExcludeManagementEventSources") or ()),
        data_resources=tuple(
            DataResource(type=r.get("Type") or "", values=tuple(r.get("Values") or ()))
            for r in raw.get("DataResources") or ()
        ),
    )


def _advanced(raw: dict[str, Any]) -> AdvancedEventSelector:
    return AdvancedEventSelector(
        name=raw.get("Name"),
        field_selectors=tuple(
            FieldSelector(
                field=f.get("Field") or "",
                **{ours: tuple(f.get(theirs) or ()) for theirs, ours in _FIELD_KEYS.items()},
            )
            for f in raw.get("FieldSelectors") or ()
        ),
    )


SERVICE = ServiceSpec(
    name="cloudtrail",
    produces=(CloudTrailTrail,),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
