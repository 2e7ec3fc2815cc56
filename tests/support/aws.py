"""AWS test helpers: moto servers, scanning helpers, and workarounds for moto's known gaps.

Known gaps (see ../shared/reference/test-infra.md) and their workarounds, all here:
- s3control through a moto *server* needs the account host prefix removed. The scanner does
  that itself for any custom endpoint (production behaviour, see ClientFactory); test code that
  seeds s3control through the server uses :func:`s3control_client`.
- SageMaker fields moto drops (training job Environment, model EnableNetworkIsolation, notebook
  RootAccess): :func:`patch_sagemaker` sets them on moto's backend objects.
- APIs moto does not implement (ListMonitoringSchedules): :func:`canned_response`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import boto3
import botocore.awsrequest
import requests

from cspm.engine import Inventory, collect
from cspm.providers.aws import AwsOptions, AwsProvider
from cspm.resources.base import Resource

ACCOUNT = "123456789012"


def collect_aws(
    *types: type[Resource], regions: Iterable[str] = ("us-east-1",), endpoint_url: str | None = None
) -> Inventory:
    """Run the real provider and collectors for ``types`` (under mock_aws or against a server)."""
    provider = AwsProvider(AwsOptions(regions=tuple(regions), endpoint_url=endpoint_url, workers=4))
    provider.connect()
    inventory = collect(provider.plan(set(types)), workers=4)
    for error in provider.setup_errors:
        inventory.record_error(error)
    return inventory


def one(inventory: Inventory, rtype: type[Resource], name: str) -> Any:
    """The resource of ``rtype`` called ``name`` (fails the test when it is missing)."""
    matches = [r for r in inventory.of_type(rtype) if r.name == name]
    assert len(matches) == 1, f"expected one {rtype.resource_type} named {name}, got {len(matches)}"
    return matches[0]


def reset_moto(endpoint_url: str) -> None:
    requests.post(f"{endpoint_url}/moto-api/reset", timeout=10).raise_for_status()


def _strip_account_prefix(request: Any, **_: Any) -> None:
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)


def s3control_client(endpoint_url: str, region: str = "us-east-1") -> Any:
    """An s3control client that works against a moto server (for seeding)."""
    client = boto3.client("s3control", region_name=region, endpoint_url=endpoint_url)
    client.meta.events.register("before-send.s3-control.*", _strip_account_prefix)
    return client


def patch_sagemaker(region: str, kind: str, name: str, **attributes: Any) -> None:
    """Set attributes moto drops on a SageMaker object in moto's in-process backend.

    ``kind``: "training_jobs", "_models", "notebook_instances", ... (moto's backend dict names).
    Works for mock_aws and for ThreadedMotoServer (same process), not for a child-process server.
    """
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[ACCOUNT][region]
    obj = getattr(backend, kind)[name]
    for key, value in attributes.items():
        setattr(obj, key, value)


def canned_response(client: Any, operation: str, response: dict[str, Any]) -> None:
    """Answer ``operation`` on ``client`` with ``response`` without sending anything."""

    def fake(**_: Any) -> tuple[botocore.awsrequest.AWSResponse, dict[str, Any]]:
        return botocore.awsrequest.AWSResponse("http://fake", 200, {}, None), response

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-call.{service}.{operation}", fake)
