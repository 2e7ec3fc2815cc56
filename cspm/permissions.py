"""The scanner's own least-privilege policy, built from what the collectors declare.

Each provider service module lists the read-only API permissions it needs (``ServiceSpec.
permissions``); the provider adds what it needs to connect. Nothing here is written by hand twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cspm.errors import UsageError


def aws_policy(services: Sequence[str] = ()) -> dict[str, Any]:
    """An IAM policy document granting exactly what ``cspm scan aws`` calls for ``services``."""
    from cspm.providers.aws import CONNECT_PERMISSIONS, SERVICE_MODULES, service_spec

    unknown = [s for s in services if s not in SERVICE_MODULES]
    if unknown:
        raise UsageError(f"unknown service {', '.join(unknown)}; valid: {', '.join(sorted(SERVICE_MODULES))}")
    actions = set(CONNECT_PERMISSIONS)
    for name in services or sorted(SERVICE_MODULES):
        actions.update(service_spec(name).permissions)
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


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"
