"""Lambda: every function of the region and the role it runs as (regional).

Requests per region: ListFunctions, one per 50 functions. The execution role is in each entry, so
no request is made per function. A failed listing marks functions incomplete in the region (the
lineage then says why an agent's function cannot be followed) and is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ServiceSpec
from cspm.resources.aws.awslambda import LambdaFunction

PERMISSIONS = ("lambda:ListFunctions",)


def collect(ctx: AwsContext) -> Iterator[LambdaFunction]:
    listing = ctx.paginate(ctx.client("lambda"), "list_functions", "Functions", affects=(LambdaFunction,))
    for entry in listing or ():
        function = function_from_api(entry, ctx.account, ctx.region)
        if function is not None:
            yield function


def function_from_api(entry: dict[str, Any], account: str, region: str) -> LambdaFunction | None:
    """A FunctionConfiguration as a snapshot; None for an entry without an ARN or name."""
    arn, name = entry.get("FunctionArn"), entry.get("FunctionName")
    if not arn or not name:
        return None
    return LambdaFunction(
        uid=arn,
        name=name,
        account=account,
        region=region,
        role_arn=entry.get("Role") or None,
        runtime=entry.get("Runtime") or None,
        package_type=entry.get("PackageType") or None,
        last_modified=_timestamp(entry.get("LastModified")),
    )


def _timestamp(value: Any) -> datetime | None:
    """LastModified is an ISO 8601 string (``2026-11-30T10:00:00.000+0000``), not a timestamp shape;
    fractions beyond microseconds (nanoseconds) are cut."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


SERVICE = ServiceSpec(
    name="lambda",
    produces=(LambdaFunction,),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
