"""KMS: every key of the region, with rotation and key policy for customer-managed keys (regional).

Requests per region: ListKeys (one per 1000 keys) and ListAliases (one per 100 aliases). Requests
per key: DescribeKey; GetKeyRotationStatus when rotation applies (customer-managed, symmetric,
KMS-generated material, enabled or disabled); GetKeyPolicy (policy name "default") for
customer-managed keys. So 1 request per AWS-managed key and at most 3 per customer-managed key.

A key's name is its first alias (``alias/ml-artifacts``), or its key id when it has none.

Failures: a failed ListKeys marks keys incomplete in the region. A failed DescribeKey keeps the
key (from its list entry) with every metadata field ``None`` and skips its other calls; any other
failed call leaves its field ``None``. The error is always recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ServiceSpec, json_document
from cspm.resources.aws.kms import KmsKey

PERMISSIONS = (
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:GetKeyPolicy",
)


def collect(ctx: AwsContext) -> Iterator[KmsKey]:
    kms = ctx.client("kms")
    listing = ctx.paginate(kms, "list_keys", "Keys", affects=(KmsKey,), PaginationConfig={"PageSize": 1000})
    if listing is None:
        return
    aliases = aliases_by_key(ctx.paginate(kms, "list_aliases", "Aliases", PaginationConfig={"PageSize": 100}))
    yield from ctx.map(lambda entry: _key(ctx, kms, entry, aliases), listing)


def _key(ctx: AwsContext, kms: Any, entry: dict[str, Any], aliases: dict[str, tuple[str, ...]] | None) -> KmsKey:
    key_id = entry["KeyId"]
    described = ctx.call(kms, "describe_key", KeyId=key_id)
    key = key_from_api(entry, None if described is None else described.get("KeyMetadata"), ctx.account, ctx.region)
    names = None if aliases is None else aliases.get(key_id, ())
    update: dict[str, Any] = {"aliases": names, "name": names[0] if names else key_id}
    if key.rotation_applies:
        update.update(rotation_from_api(ctx.call(kms, "get_key_rotation_status", KeyId=key_id)))
    if key.customer_managed:
        raw = ctx.call(kms, "get_key_policy", KeyId=key_id, PolicyName="default")
        policy, problem = policy_from_api(raw)
        if problem:
            ctx.error("GetKeyPolicy", "MalformedPolicy", f"{key_id}: {problem}")
        update.update(policy=policy, policy_error=problem)
    return key.model_copy(update=update)


# ---------------------------------------------------------------------------------------------
# Translation (pure)
# ---------------------------------------------------------------------------------------------


def aliases_by_key(raw: list[dict[str, Any]] | None) -> dict[str, tuple[str, ...]] | None:
    if raw is None:
        return None
    out: dict[str, list[str]] = defaultdict(list)
    for alias in raw:
        if alias.get("TargetKeyId") and alias.get("AliasName"):
            out[alias["TargetKeyId"]].append(alias["AliasName"])
    return {key: tuple(sorted(names)) for key, names in out.items()}


def key_from_api(entry: dict[str, Any], meta: dict[str, Any] | None, account: str, region: str) -> KmsKey:
    base = {"uid": entry["KeyArn"], "name": entry["KeyId"], "account": account, "region": region}
    if meta is None:
        return KmsKey(**base, key_id=entry["KeyId"])
    return KmsKey(
        **base,
        key_id=entry["KeyId"],
        manager=meta.get("KeyManager"),
        state=meta.get("KeyState"),
        key_spec=meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
        key_usage=meta.get("KeyUsage"),
        origin=meta.get("Origin"),
        multi_region=bool(meta.get("MultiRegion")),
        deletion_date=meta.get("DeletionDate"),
        created_at=meta.get("CreationDate"),
        description=meta.get("Description") or None,
    )


def rotation_from_api(raw: dict[str, Any] | None) -> dict[str, Any]:
    if raw is None:
        return {"rotation_enabled": None, "rotation_period_days": None}
    return {
        "rotation_enabled": bool(raw.get("KeyRotationEnabled")),
        "rotation_period_days": raw.get("RotationPeriodInDays"),
    }


def policy_from_api(raw: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
    if raw is None:
        return None, None
    if "Policy" not in raw:
        return None, "the key policy is missing from the response"
    return json_document(raw["Policy"], "key policy")


SERVICE = ServiceSpec(
    name="kms",
    produces=(KmsKey,),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
