"""Resource control policies in the exposure checks (checks/aws/_org.py, cspm.iam.organization.rcp_outcome):
an RCP Deny that certainly applies to every outside caller cuts the exposure (PASS naming it), one
whose conditions cannot be decided leaves the FAIL with a note, an unreadable RCP makes the FAIL
ERROR, and nothing changes in the management account."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.aws import iam, kms, s3
from cspm.iam.conditions import ContextValue
from cspm.iam.organization import ANONYMOUS, OUTSIDERS, org_guard, rcp_outcome
from cspm.models import Status
from cspm.resources.aws.iam import IamRole
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.organizations import OrgLevel, OrgPolicies, OrgPolicy
from cspm.resources.aws.s3 import PublicAccessBlock, S3AccountSettings, S3Bucket

ACCOUNT = "123456789012"
OTHER = "444455556666"
ORG = "o-mine12345"
BUCKET = "arn:aws:s3:::ml-data"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


RCP_FULL = OrgPolicy(
    id="p-RCPFullAWSAccess",
    name="RCPFullAWSAccess",
    aws_managed=True,
    document=doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
)
# The AWS data-perimeter RCP: deny everyone outside the organization, but AWS services.
PERIMETER = OrgPolicy(
    id="p-perimeter1",
    name="DataPerimeter",
    document=doc(
        {
            "Sid": "EnforceOrgIdentities",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:*", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "kms:*"],
            "Resource": "*",
            "Condition": {
                "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            },
        }
    ),
)
# Conditional on a key nothing tells about an outside caller (the network it calls from).
BY_VPC = OrgPolicy(
    id="p-byvpc0001",
    name="OnlyFromVpc",
    document=doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}},
        }
    ),
)


def org(*account_rcps: OrgPolicy | None, **fields: Any) -> OrgPolicies:
    """root (RCPFullAWSAccess) -> the account (``account_rcps``; ``None``: a policy that could not be read)."""
    policies = tuple(
        p if p is not None else OrgPolicy(id="p-secret01", name="Hidden", error="AccessDenied") for p in account_rcps
    )
    values: dict[str, Any] = {
        "uid": f"arn:aws:organizations:::policies/{ACCOUNT}",
        "name": ACCOUNT,
        "account": ACCOUNT,
        "state": "read",
        "organization_id": ORG,
        "management_account": "999999999999",
        "scp_enabled": False,
        "rcp_enabled": True,
        "levels": (
            OrgLevel(kind="root", id="r-1", rcps=(RCP_FULL,)),
            OrgLevel(kind="account", id=ACCOUNT, rcps=(RCP_FULL, *policies)),
        ),
        **fields,
    }
    return OrgPolicies(**values)


PUBLIC_BUCKET = S3Bucket(
    uid=BUCKET,
    name="ml-data",
    account=ACCOUNT,
    region="us-east-1",
    public_access_block=PublicAccessBlock(),
    policy=doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}),
    policy_is_public=True,
    acl_grants=(),
)
S3_ACCOUNT = S3AccountSettings(
    uid=f"arn:aws:s3:::account/{ACCOUNT}", name=ACCOUNT, account=ACCOUNT, public_access_block=PublicAccessBlock()
)


def public_bucket(*organization: OrgPolicies) -> Any:
    return s3.bucket_is_not_public(PUBLIC_BUCKET, S3_ACCOUNT, organization)


# -- S3: a public bucket --------------------------------------------------------------------------------


def test_without_rcps_the_public_bucket_fails() -> None:
    assert public_bucket().status is Status.FAIL


def test_a_perimeter_rcp_cuts_public_access_and_is_named() -> None:
    result = public_bucket(org(PERIMETER))
    assert result.status is Status.PASS
    assert "DataPerimeter" in result.message and "account 123456789012" in result.message
    level, policy = "account 123456789012", "p-perimeter1 (DataPerimeter)"
    assert result.evidence["cut_by_rcps"] == [
        {"level": level, "policy": policy, "index": 0, "sid": "EnforceOrgIdentities"}
    ]
    assert result.evidence["public_policy"] is True  # what the policy alone does stays visible


def test_an_rcp_conditional_on_an_unknown_key_keeps_the_fail_with_a_note() -> None:
    result = public_bucket(org(BY_VPC))
    assert result.status is Status.FAIL
    assert "An RCP may block it" in result.message and "OnlyFromVpc" in result.message
    assert result.evidence["rcps"]["may_block"][0]["policy"] == "p-byvpc0001 (OnlyFromVpc)"


def test_an_unreadable_rcp_turns_the_fail_into_an_error() -> None:
    result = public_bucket(org(None))
    assert result.status is Status.ERROR
    assert "p-secret01 (Hidden)" in result.message and "could not be read" in result.message
    assert "Without it: The bucket is public" in result.message


def test_a_readable_rcp_that_cuts_wins_over_an_unreadable_one() -> None:
    assert public_bucket(org(PERIMETER, None)).status is Status.PASS  # RCPs only remove access


def test_the_management_account_is_unaffected() -> None:
    result = public_bucket(org(PERIMETER, management_account=ACCOUNT))
    assert result.status is Status.FAIL
    assert "management account" in result.evidence["rcps"]["note"]


def test_rcps_not_enabled_or_not_read_change_nothing() -> None:
    assert public_bucket(org(PERIMETER, rcp_enabled=False)).status is Status.FAIL
    assert public_bucket(org(PERIMETER, state="unavailable", levels=None)).status is Status.FAIL


def test_a_deny_with_a_plain_bool_lets_anonymous_callers_through() -> None:
    """``Bool aws:PrincipalIsAWSService false`` does not match an unsigned request (no such key): the
    public bucket stays readable anonymously, so the exposure is not cut."""
    statement = PERIMETER.document["Statement"][0]  # type: ignore[index]
    plain = {**statement, "Condition": {**statement["Condition"], "Bool": {"aws:PrincipalIsAWSService": "false"}}}
    del plain["Condition"]["BoolIfExists"]
    policy = OrgPolicy(id="p-plainbool", name="PlainBool", document=doc(plain))
    assert public_bucket(org(policy)).status is Status.FAIL


def test_a_pass_is_never_touched() -> None:
    private = PUBLIC_BUCKET.model_copy(update={"policy_is_public": False, "policy": {}})
    assert s3.bucket_is_not_public(private, S3_ACCOUNT, [org(None)]).status is Status.PASS


# -- S3.6: other accounts that may rewrite the bucket policy -------------------------------------------


def cross_account_bucket(principal: Any) -> S3Bucket:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:PutBucketPolicy", "Resource": BUCKET}
    return PUBLIC_BUCKET.model_copy(update={"policy": doc(statement)})


def test_s3_6_public_grant_cut_but_a_named_account_only_maybe() -> None:
    public = s3.bucket_policy_restricts_cross_account_access(cross_account_bucket("*"), [org(PERIMETER)])
    assert public.status is Status.PASS and public.evidence["cut_by_rcps"]
    # whether account OTHER is in the organization is not known: the perimeter RCP may block it
    named = cross_account_bucket({"AWS": f"arn:aws:iam::{OTHER}:root"})
    result = s3.bucket_policy_restricts_cross_account_access(named, [org(PERIMETER)])
    assert result.status is Status.FAIL and "An RCP may block it" in result.message


# -- roles and keys --------------------------------------------------------------------------------------


def trusting(principal: Any) -> IamRole:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return IamRole(uid=f"arn:aws:iam::{ACCOUNT}:role/open", name="open", account=ACCOUNT, trust_policy=doc(statement))


def test_a_role_trusted_by_everyone_is_cut_by_a_perimeter_rcp() -> None:
    assert iam.role_trust_is_not_public(trusting("*")).status is Status.FAIL
    result = iam.role_trust_is_not_public(trusting("*"), [org(PERIMETER)])
    assert result.status is Status.PASS
    assert result.evidence["cut_by_rcps"][0]["policy"] == "p-perimeter1 (DataPerimeter)"
    assert iam.role_trust_is_not_public(trusting("*"), [org(None)]).status is Status.ERROR


def test_a_cross_account_trust_is_only_maybe_blocked() -> None:
    result = iam.role_trust_guards_cross_account(trusting({"AWS": OTHER}), [org(PERIMETER)])
    assert result.status is Status.FAIL and result.evidence["rcps"]["may_block"]


def test_an_rcp_denying_every_other_account_cuts_a_cross_account_trust() -> None:
    deny = OrgPolicy(
        id="p-onlymine1",
        name="OnlyThisAccount",
        document=doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}},
            }
        ),
    )
    assert iam.role_trust_guards_cross_account(trusting({"AWS": OTHER}), [org(deny)]).status is Status.PASS


def test_a_public_key_policy_is_cut_only_when_every_kms_action_is_denied() -> None:
    key = KmsKey(
        uid=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1",
        name="k1",
        account=ACCOUNT,
        region="us-east-1",
        key_id="k1",
        manager="CUSTOMER",
        policy=doc({"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}),
    )
    assert kms.key_policy_is_not_public(key, [org(PERIMETER)]).status is Status.PASS
    decrypt_only = OrgPolicy(
        id="p-decrypt01",
        name="DenyDecrypt",
        document=doc({"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
    )
    assert kms.key_policy_is_not_public(key, [org(decrypt_only)]).status is Status.FAIL


# -- the outcome itself ------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", [ANONYMOUS, *OUTSIDERS])
def test_each_outside_caller_is_denied_by_the_perimeter(caller: dict[str, Any]) -> None:
    outcome = rcp_outcome(org_guard([org(PERIMETER)]), [("s3:GetObject", f"{BUCKET}/x", (caller,))])
    assert outcome.cut


def test_a_caller_of_the_organization_is_not_denied() -> None:
    inside: dict[str, ContextValue] = {"aws:PrincipalOrgID": ORG, "aws:PrincipalIsAWSService": "false"}
    outcome = rcp_outcome(org_guard([org(PERIMETER)]), [("s3:GetObject", f"{BUCKET}/x", (inside,))])
    assert not outcome.cut and not outcome.may_block


def test_no_request_is_no_cut() -> None:
    assert not rcp_outcome(org_guard([org(PERIMETER)]), []).cut
