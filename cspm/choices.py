"""The values of the CLI's enumerated options, as plain tuples.

``cspm --help`` must stay fast, so the help text cannot import the modules that define these
values (the pydantic models, the report renderers, the cloud providers and their SDKs). The
tuples here are copies; ``tests/test_cli_help.py`` asserts each equals its source of truth
(``Severity``, ``Baseline``, ``reporting.formats.FORMATS``, ``reporting.lineage.FORMATS``, each
provider's ``SERVICE_MODULES``), so a new value added there fails a test until it is added here.
"""

from __future__ import annotations

from collections.abc import Iterable

CLOUDS = ("aws", "azure", "gcp")
SEVERITIES = ("informational", "low", "medium", "high", "critical")
FAIL_ON = ("none", *SEVERITIES)
BASELINES = ("least-privilege", "encryption", "private-endpoint", "integrity", "logging")
# Report files a scan writes besides report.json (which is always written; naming it is allowed).
REPORT_FORMATS = ("json", "ocsf", "asff", "sarif", "csv", "html", "cyclonedx")
REQUIRE_SIGNED = ("none", "all", "served")  # --require-signed-models (cspm.artifacts.options)
LINEAGE_FORMATS = ("tree", "dot", "mermaid")
SERVICES = {
    "aws": ("iam", "s3", "ec2", "sagemaker", "ecr", "kms", "cloudtrail", "bedrock", "bedrock_agentcore", "lambda"),
    "azure": ("storage", "ml", "cognitiveservices", "authorization", "keyvault"),
    "gcp": ("accesscontextmanager", "compute", "iam", "storage", "vertex", "workbench"),
}


def one_of(values: Iterable[str]) -> str:
    """The metavar of an option taking one of ``values``: ``[a|b|c]`` (click's Choice style)."""
    return "[" + "|".join(values) + "]"


def some_of(values: Iterable[str]) -> str:
    """The metavar of a comma-separated list of ``values``: ``[a|b|c],...``."""
    return one_of(values) + ",..."
