"""Service models pruned to the declared operations (cspm.providers.aws.models)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from moto import mock_aws

from cspm.permissions import aws_action, aws_scan_actions
from cspm.providers import aws
from cspm.providers.aws import AwsOptions, AwsProvider
from cspm.providers.aws.models import PrunedLoader, prune_model

MODEL: dict[str, Any] = {
    "version": "2.0",
    "metadata": {"serviceId": "Toy", "protocol": "json"},
    "documentation": "A toy service.",
    "operations": {
        "ListThings": {
            "name": "ListThings",
            "input": {"shape": "ListThingsRequest"},
            "output": {"shape": "ListThingsResponse"},
            "errors": [{"shape": "AccessDenied"}],
            "documentation": "Lists things.",
        },
        "DeleteThing": {"name": "DeleteThing", "input": {"shape": "DeleteThingRequest"}},
    },
    "shapes": {
        "ListThingsRequest": {"type": "structure", "members": {"Token": {"shape": "String"}}},
        "ListThingsResponse": {
            "type": "structure",
            "members": {"Things": {"shape": "ThingList", "documentation": "The things."}, "Tags": {"shape": "TagMap"}},
        },
        "ThingList": {"type": "list", "member": {"shape": "Thing"}},
        "Thing": {"type": "structure", "members": {"Name": {"shape": "String"}}, "documentation": "A thing."},
        "TagMap": {"type": "map", "key": {"shape": "TagKey"}, "value": {"shape": "String"}},
        "TagKey": {"type": "string"},
        "String": {"type": "string"},
        "AccessDenied": {"type": "structure", "members": {"Message": {"shape": "String"}}, "exception": True},
        "DeleteThingRequest": {"type": "structure", "members": {"Name": {"shape": "Doomed"}}},
        "Doomed": {"type": "string"},
    },
}


def test_prune_keeps_the_operations_and_every_shape_they_reach() -> None:
    pruned = prune_model(MODEL, lambda name: name == "ListThings")
    assert set(pruned["operations"]) == {"ListThings"}
    assert set(pruned["shapes"]) == {
        "ListThingsRequest", "ListThingsResponse", "ThingList", "Thing", "TagMap", "TagKey", "String", "AccessDenied",
    }  # fmt: skip
    assert pruned["metadata"] == MODEL["metadata"] and pruned["version"] == "2.0"
    assert "documentation" not in pruned
    assert "documentation" not in pruned["operations"]["ListThings"]
    assert "documentation" not in pruned["shapes"]["Thing"]
    assert "documentation" not in pruned["shapes"]["ListThingsResponse"]["members"]["Things"]
    assert MODEL["operations"]["ListThings"]["documentation"] == "Lists things."  # the input is not changed


def test_prune_to_nothing() -> None:
    pruned = prune_model(MODEL, lambda name: False)
    assert pruned["operations"] == {} and pruned["shapes"] == {}


@pytest.fixture
def provider() -> Iterator[AwsProvider]:
    with mock_aws():
        connected = AwsProvider(AwsOptions(regions=("us-east-1",), workers=2))
        connected.connect()
        yield connected


def _session(provider: AwsProvider) -> botocore.session.Session:
    core = provider._core
    assert core is not None
    return core


def test_the_scanner_session_keeps_exactly_the_declared_operations(provider: AwsProvider) -> None:
    session = _session(provider)
    assert isinstance(session.get_component("data_loader"), PrunedLoader)
    declared = {action.lower() for action in aws_scan_actions()}
    full = botocore.session.get_session()
    for service in aws.botocore_services():
        kept = set(session.get_service_model(service).operation_names)
        expected = {
            op for op in full.get_service_model(service).operation_names if aws_action(service, op).lower() in declared
        }
        assert kept == expected, service
        assert kept, f"{service}: no operation kept"
    # every declared action is still callable: none was pruned away by a spelling difference
    reachable = {
        aws_action(service, op).lower()
        for service in aws.botocore_services()
        for op in session.get_service_model(service).operation_names
    }
    assert declared <= reachable, declared - reachable


def test_pruned_models_are_a_fraction_of_the_full_ones(provider: AwsProvider) -> None:
    session = _session(provider)
    full = botocore.session.get_session()
    for service in ("sagemaker", "ec2"):
        pruned_shapes = len(session.get_service_model(service).shape_names)
        assert pruned_shapes * 3 < len(full.get_service_model(service).shape_names), service


def test_a_client_of_the_scan_has_no_write_methods_at_all(provider: AwsProvider) -> None:
    assert provider._clients is not None
    s3 = provider._clients.client("s3", "us-east-1")
    ec2 = provider._clients.client("ec2", "us-east-1")
    assert hasattr(s3, "get_bucket_policy") and hasattr(ec2, "describe_vpcs")
    assert not hasattr(s3, "delete_bucket") and not hasattr(s3, "put_bucket_policy")
    assert not hasattr(ec2, "terminate_instances")
    assert s3.get_paginator("list_buckets") is not None  # paginators of kept operations still work
