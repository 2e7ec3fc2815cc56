"""One scan across several providers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import pytest

from cspm.engine import CollectorUnit, UnitContext, scan
from cspm.models import CollectionError, Scope, Status
from cspm.multi import CombinedProvider
from cspm.registry import CheckSpec
from cspm.resources.base import Resource
from support.fakes import FakeProvider, Thing, is_good, spec, thing


class Blob(Resource):
    resource_type: ClassVar[str] = "azure.fake.blob"
    good: bool | None = None


def blob_is_good(b: Blob) -> object:
    """Rationale."""
    return is_good(b)


class AzureFake:
    name = "azure"

    def __init__(self) -> None:
        self.setup_errors = [
            CollectionError(
                account="sub-2",
                region="global",
                service="resources",
                operation="ListSubscriptions",
                code="AuthorizationFailed",
                message="denied",
            )
        ]
        self.planned: set[type[Resource]] = set()

    def scopes(self) -> list[Scope]:
        return [Scope(account="sub-1", regions=["westeurope"])]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        self.planned = resource_types

        def run(ctx: UnitContext) -> Iterable[Resource]:
            yield Blob(uid="/subscriptions/sub-1/blob", name="blob", account="sub-1", region="westeurope", good=False)

        return [CollectorUnit("sub-1", "westeurope", "fake", (Blob,), run)]


def test_one_report_across_clouds() -> None:
    aws = FakeProvider([thing("a")])
    azure = AzureFake()
    blob_spec = CheckSpec(
        **{**spec(is_good).__dict__, "id": "azure.fake.blob_is_good", "resource_type": Blob, "func": blob_is_good}
    )
    report = scan(CombinedProvider([aws, azure]), [spec(is_good), blob_spec], workers=2)
    assert report.scan.provider == "aws+azure"
    assert [s.account for s in report.scan.scopes] == ["111111111111", "sub-1"]
    assert aws.planned == {Thing} and azure.planned == {Blob}  # each plans only its own cloud
    assert {(f.check_id, f.status) for f in report.findings} == {
        ("aws.fake.is_good", Status.PASS),
        ("azure.fake.blob_is_good", Status.FAIL),
    }
    assert {e.code for e in report.errors} == {"RegionNotEnabled", "AuthorizationFailed"}


def test_one_provider_per_cloud() -> None:
    with pytest.raises(ValueError, match="one provider per cloud"):
        CombinedProvider([FakeProvider([]), FakeProvider([])])
    with pytest.raises(ValueError, match="at least one"):
        CombinedProvider([])
