"""The @check decorator refuses bad metadata and signatures when the module is imported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pytest

from cspm.models import Baseline, Result, Severity, passed
from cspm.registry import CheckDefinitionError, check
from cspm.resources.aws.s3 import S3AccountSettings, S3Bucket

GOOD: dict[str, Any] = {
    "title": "S3 bucket does a thing",
    "severity": Severity.LOW,
    "baseline": Baseline.INTEGRITY,
    "remediation": "Do the thing.",
    "compliance": {"aws-fsbp": ["S3.14"]},
    "attack": ["AML.T0020"],
}


def declare(func: Callable[..., Any], module: str = "cspm.checks.aws.s3", **overrides: Any) -> Any:
    func.__module__ = module
    return check(**{**GOOD, **overrides})(func)


def bucket_does_a_thing(
    bucket: S3Bucket, account: S3AccountSettings, others: Sequence[S3Bucket], now: datetime
) -> Result:
    """Why it matters."""
    return passed("ok")


def test_a_valid_check_gets_a_derived_id_and_its_dependencies() -> None:
    spec = declare(bucket_does_a_thing).__cspm_check__
    assert spec.id == "aws.s3.bucket_does_a_thing"
    assert spec.resource_type is S3Bucket
    assert [(d.name, d.kind) for d in spec.dependencies] == [
        ("account", "singleton"),
        ("others", "all"),
        ("now", "now"),
    ]
    assert spec.metadata()["reads"] == ["aws.s3.account", "aws.s3.bucket"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "title"),
        ({"title": "Ensure buckets are fine"}, "title"),
        ({"remediation": " "}, "remediation"),
        ({"compliance": {"made-up": ["1"]}}, "unknown compliance framework"),
        ({"compliance": {"aws-fsbp": "S3.1"}}, "non-empty list"),
        ({"compliance": {"aws-fsbp": []}}, "non-empty list"),
        ({"attack": ["T1078"]}, "MITRE ATLAS"),
        ({"severity": "high"}, "Severity"),
    ],
)
def test_bad_metadata_is_refused(overrides: dict[str, Any], message: str) -> None:
    def bucket_is_fine(bucket: S3Bucket) -> Result:
        """Why."""
        return passed("ok")

    with pytest.raises(CheckDefinitionError, match=message):
        declare(bucket_is_fine, **overrides)


def test_missing_docstring_is_refused() -> None:
    def bucket_is_fine(bucket: S3Bucket) -> Result:
        return passed("ok")

    with pytest.raises(CheckDefinitionError, match="docstring"):
        declare(bucket_is_fine)


def test_checks_outside_the_checks_package_are_refused() -> None:
    def bucket_is_fine(bucket: S3Bucket) -> Result:
        """Why."""
        return passed("ok")

    with pytest.raises(CheckDefinitionError, match="checks live in"):
        declare(bucket_is_fine, module="somewhere.else")


def test_names_say_the_compliant_state() -> None:
    def check_bucket(bucket: S3Bucket) -> Result:
        """Why."""
        return passed("ok")

    with pytest.raises(CheckDefinitionError, match="compliant state"):
        declare(check_bucket)


@pytest.mark.parametrize(
    "func_src",
    [
        "def f(bucket: str) -> Result:\n    '''Why.'''\n",
        "def f(bucket: S3Bucket) -> dict:\n    '''Why.'''\n",
        "def f(bucket: S3Bucket, other: S3Bucket) -> Result:\n    '''Why.'''\n",
        "def f(bucket: S3Bucket, other: int) -> Result:\n    '''Why.'''\n",
        "def f() -> Result:\n    '''Why.'''\n",
    ],
)
def test_bad_signatures_are_refused(func_src: str) -> None:
    namespace: dict[str, Any] = {"Result": Result, "S3Bucket": S3Bucket}
    exec(func_src.replace("def f", "def bucket_is_fine") + "    return None\n", namespace)
    with pytest.raises(CheckDefinitionError):
        declare(namespace["bucket_is_fine"])
