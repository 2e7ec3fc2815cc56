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


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("S3 bucket blocks public access", "S3 bucket does not block public access"),
        ("S3 bucket policy denies requests without TLS", "S3 bucket policy does not deny requests without TLS"),
        ("VPC endpoint policy does not allow full access", "VPC endpoint policy allows full access"),
        ("IAM role cannot pass every role", "IAM role can pass every role"),
        ("IAM group has no path to administrator", "IAM group has a path to administrator"),
        ("Root user has no access keys", "Root user has access keys"),
        ("Root user has MFA", "Root user does not have MFA"),
        ("Account-level S3 Block Public Access is on", "Account-level S3 Block Public Access is not on"),
        ("IAM role trust policy is not open to everyone", "IAM role trust policy is open to everyone"),
        ("VPC flow logs are enabled", "VPC flow logs are not enabled"),
        ("VPC subnets do not assign public IP addresses", "VPC subnets assign public IP addresses"),
        ("IAM role inline policies allow no service-wide wildcards",
         "IAM role inline policies allow service-wide wildcards"),
        ("Azure ML computes have local authentication disabled",
         "Azure ML computes do not have local authentication disabled"),
        ("SageMaker execution role holds neither administrator nor full S3 access",
         "SageMaker execution role holds administrator or full S3 access"),
        ("VPC through which SageMaker pulls ECR images has ECR endpoints",
         "VPC through which SageMaker pulls ECR images does not have ECR endpoints"),
        ("Images that SageMaker runs from the repository have no critical findings",
         "Images that SageMaker runs from the repository have critical findings"),
        ("S3 bucket does a thing", "S3 bucket does not do a thing"),
        ("Storage account disallows Shared Key authorization",
         "Storage account does not disallow Shared Key authorization"),
        ("Cloud Storage bucket enforces public access prevention",
         "Cloud Storage bucket does not enforce public access prevention"),
        ("Storage account firewall reaches nothing", "Storage account firewall does not reach nothing"),
    ],
)  # fmt: skip
def test_problem_titles_are_derived_from_the_compliant_state(title: str, problem: str) -> None:
    from cspm.problems import problem_title

    assert problem_title(title) == problem


def test_a_title_without_a_known_verb_needs_a_fail_title() -> None:
    def bucket_is_fine(bucket: S3Bucket) -> Result:
        """Why."""
        return passed("ok")

    with pytest.raises(CheckDefinitionError, match=r"no main verb .* give fail_title="):
        declare(bucket_is_fine, title="S3 bucket logs everything")
    with pytest.raises(CheckDefinitionError, match="fail_title must say the problem"):
        declare(bucket_is_fine, title="S3 bucket is fine", fail_title="S3 bucket is fine")
    spec = declare(
        bucket_is_fine, title="S3 bucket logs everything", fail_title="S3 bucket logs nothing"
    ).__cspm_check__
    assert spec.fail_title == "S3 bucket logs nothing" and spec.metadata()["fail_title"] == "S3 bucket logs nothing"


def test_every_check_of_the_catalog_has_a_problem_title() -> None:
    from cspm.registry import CLOUDS, load_checks

    specs = load_checks(CLOUDS)
    assert len(specs) >= 159
    for spec in specs:
        assert spec.fail_title and spec.fail_title != spec.title, spec.id
        assert spec.fail_title[0].isupper(), spec.id
