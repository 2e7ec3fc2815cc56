"""Base classes for resource snapshots."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Snapshot(BaseModel):
    """Immutable data read from a cloud API. Unknown fields are refused so typos fail loudly."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Scope(StrEnum):
    """How many instances of a resource type exist: any number, or exactly one per account/region."""

    MANY = "many"
    ACCOUNT = "account"  # one per account (e.g. the S3 account-level settings)
    REGION = "region"  # one per account and region


GLOBAL_REGION = "global"


class Resource(Snapshot):
    """A resource in the report. Subclasses set ``resource_type`` (``<cloud>.<service>.<kind>``)."""

    resource_type: ClassVar[str]
    scope: ClassVar[Scope] = Scope.MANY

    uid: str
    name: str
    account: str
    region: str = GLOBAL_REGION
    tags: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def service(cls) -> str:
        return cls.resource_type.split(".")[1]

    @classmethod
    def cloud(cls) -> str:
        return cls.resource_type.split(".")[0]
