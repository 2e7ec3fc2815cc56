"""Lambda snapshots: functions, with the role each runs as.

Only what the AI supply chain needs: a Bedrock agent's action groups and orchestration call
functions, and what such a function can do is what its execution role can do. Everything comes
from ListFunctions (one request per 50 functions); no function's code or environment is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from cspm.resources.base import Resource


class LambdaFunction(Resource):
    """One function (ListFunctions' FunctionConfiguration of its $LATEST version)."""

    resource_type: ClassVar[str] = "aws.lambda.function"

    role_arn: str | None = None  # Role: the execution role
    runtime: str | None = None  # None for container images (PackageType Image)
    package_type: str | None = None  # Zip | Image
    last_modified: datetime | None = None
