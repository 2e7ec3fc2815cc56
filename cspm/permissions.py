"""The scanner's own least-privilege policy, built from what the collectors declare.

Each provider service module lists the read-only API permissions it needs (``ServiceSpec.
permissions``); the provider adds what it needs to connect. Nothing here is written by hand twice.

- :func:`aws_policy`: an IAM policy document (``cspm permissions aws``);
- :func:`azure_role`: an Azure custom role definition, as ``az role definition create
  --role-definition`` reads it (``cspm permissions azure``);
- :func:`gcp_role`: a Google Cloud custom role, as ``gcloud iam roles create --file`` reads it
  (``cspm permissions gcp``);
- :func:`policy_for`: one of the three by cloud name, for the CLI.

:func:`aws_action` names the IAM action an AWS API operation is authorized by. They are the same
name except for the few S3 operations in :data:`AWS_ACTION_EXCEPTIONS`; the tests use it to prove
that every operation a collector calls is declared (docs/permissions.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any, Final

from cspm.errors import UsageError
from cspm.suggest import unknown_choice

# IAM action prefix of a botocore service whose name differs from it.
AWS_IAM_PREFIXES: Final = {
    "s3control": "s3",
    # The collector service of the AgentCore control plane (its errors are filed under it).
    "bedrock_agentcore": "bedrock-agentcore",
    "bedrock-agent": "bedrock",
    "bedrock-agentcore-control": "bedrock-agentcore",
}

# (botocore service, API operation) -> IAM action, where the names differ. Everywhere else the
# action is "<prefix>:<Operation>". From the AWS Service Authorization Reference (Amazon S3).
AWS_ACTION_EXCEPTIONS: Final = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "GetBucketNotificationConfiguration"): "s3:GetBucketNotification",
    ("s3", "GetBucketCors"): "s3:GetBucketCORS",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
}

AZURE_ROLE_NAME: Final = "cspm scanner (read-only)"
# Replace with the subscriptions (or management groups) the role may be assigned at.
AZURE_SCOPE_PLACEHOLDER: Final = "/subscriptions/<subscription-id>"
GCP_ROLE_TITLE: Final = "cspm scanner (read-only)"


def aws_action(service: str, operation: str) -> str:
    """The IAM action that authorizes ``operation`` of the botocore ``service`` (e.g.
    ``aws_action("s3", "ListBuckets") == "s3:ListAllMyBuckets"``)."""
    exception = AWS_ACTION_EXCEPTIONS.get((service, operation))
    if exception is not None:
        return exception
    return f"{AWS_IAM_PREFIXES.get(service, service)}:{operation}"


def aws_policy(services: Sequence[str] = (), *, inspect_artifacts: bool = False) -> dict[str, Any]:
    """An IAM policy document granting exactly what ``cspm scan aws`` calls for ``services``;
    with ``inspect_artifacts``, also reading the model artifacts (``s3:GetObject``, and
    ``kms:Decrypt`` for objects encrypted with SSE-KMS)."""
    from cspm.providers import aws

    actions = _declared(aws, services, aws.CONNECT_PERMISSIONS)
    if inspect_artifacts:
        actions.update(aws.ARTIFACT_PERMISSIONS)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CspmReadOnlyScan",
                "Effect": "Allow",
                "Action": sorted(actions, key=str.lower),
                "Resource": "*",
            }
        ],
    }


def azure_role(
    services: Sequence[str] = (), scopes: Sequence[str] = (), *, inspect_artifacts: bool = False
) -> dict[str, Any]:
    """An Azure custom role definition granting exactly what ``cspm scan azure`` reads; with
    ``inspect_artifacts``, also reading the blobs Azure ML model assets load (a data action).

    ``scopes``: the role's ``AssignableScopes``; a placeholder to replace when none is given.
    """
    from cspm.providers import azure

    actions = _declared(azure, services, azure.CONNECT_PERMISSIONS)
    data_actions = sorted(azure.ARTIFACT_DATA_ACTIONS) if inspect_artifacts else []
    return {
        "Name": AZURE_ROLE_NAME,
        "IsCustom": True,
        "Description": "Read-only access for the cspm posture scanner, derived from its collectors.",
        "Actions": sorted(actions, key=str.lower),
        "NotActions": [],
        "DataActions": data_actions,
        "NotDataActions": [],
        "AssignableScopes": list(scopes) or [AZURE_SCOPE_PLACEHOLDER],
    }


def gcp_role(services: Sequence[str] = (), *, inspect_artifacts: bool = False) -> dict[str, Any]:
    """A Google Cloud custom role granting exactly what ``cspm scan gcp`` reads; with
    ``inspect_artifacts``, also listing and reading the objects Vertex AI models load."""
    from cspm.providers import gcp

    # Listing projects (projects.search) needs resourcemanager.projects.get, which the storage
    # collector declares: the GCP provider has nothing of its own to declare.
    permissions = _declared(gcp, services, ())
    if inspect_artifacts:
        permissions.update(gcp.ARTIFACT_PERMISSIONS)
    return {
        "title": GCP_ROLE_TITLE,
        "description": "Read-only access for the cspm posture scanner, derived from its collectors.",
        "stage": "GA",
        "includedPermissions": sorted(permissions),
    }


def _declared(provider: ModuleType, services: Sequence[str], connect: Iterable[str]) -> set[str]:
    """What the provider needs to connect, plus what the selected services declare."""
    modules: dict[str, str] = provider.SERVICE_MODULES
    unknown = [s for s in services if s not in modules]
    if unknown:
        raise unknown_choice("service", unknown, sorted(modules))
    declared = set(connect)
    for name in services or sorted(modules):
        declared.update(provider.service_spec(name).permissions)
    return declared


def aws_scan_actions() -> set[str]:
    """Every IAM action ``cspm scan aws`` may use: connecting, ``--org`` / ``--role-arn``, and
    every collector (what the scanner's service models keep, :mod:`cspm.providers.aws.models`)."""
    from cspm.providers import aws

    return _declared(
        aws,
        (),
        (*aws.CONNECT_PERMISSIONS, *aws.ORG_PERMISSIONS, *aws.ORG_POLICY_PERMISSIONS, *aws.ARTIFACT_PERMISSIONS),
    )


CLOUDS: Final = ("aws", "azure", "gcp")


def policy_for(cloud: str, services: Sequence[str] = (), *, inspect_artifacts: bool = False) -> dict[str, Any]:
    """``cspm permissions CLOUD``: the policy or role of ``cloud`` for ``services``."""
    if cloud == "aws":
        return aws_policy(services, inspect_artifacts=inspect_artifacts)
    if cloud == "azure":
        return azure_role(services, inspect_artifacts=inspect_artifacts)
    if cloud == "gcp":
        return gcp_role(services, inspect_artifacts=inspect_artifacts)
    raise UsageError(f"unknown or unsupported cloud {cloud}; valid: {', '.join(CLOUDS)}")


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"
