"""The per-scan IAM analysis of snapshots: views, the account graph, and the memo behind them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cspm.iam import inventory
from cspm.iam.categories import Category
from cspm.iam.inventory import account_analysis, clear_memo, memo, policy_library, principal_view
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyAttachment

ACCOUNT = "111122223333"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **kw}


def managed(name: str, document: dict[str, Any] | None) -> IamPolicy:
    return IamPolicy(uid=f"arn:aws:iam::{ACCOUNT}:policy/{name}", name=name, account=ACCOUNT, document=document)


def attach(policy: IamPolicy) -> PolicyAttachment:
    return PolicyAttachment(name=policy.name, arn=policy.uid)


def user(name: str, *documents: dict[str, Any], **fields: Any) -> IamUser:
    inline = tuple(InlinePolicy(name=f"p{i}", document=d) for i, d in enumerate(documents))
    return IamUser(
        uid=f"arn:aws:iam::{ACCOUNT}:user/{name}", name=name, account=ACCOUNT, inline_policies=inline, **fields
    )


def role(name: str, trust: dict[str, Any] | None, *documents: dict[str, Any], **fields: Any) -> IamRole:
    inline = tuple(InlinePolicy(name=f"p{i}", document=d) for i, d in enumerate(documents))
    return IamRole(
        uid=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        name=name,
        account=ACCOUNT,
        trust_policy=trust,
        inline_policies=inline,
        **fields,
    )


SAGEMAKER = doc({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"})
READ = managed("read", doc(allow("s3:GetObject", "arn:aws:s3:::ml-data/*")))


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    clear_memo()
    yield
    clear_memo()


# --- the memo -------------------------------------------------------------------------------


def test_memo_hits_on_the_same_snapshots_in_a_new_list() -> None:
    policies = [READ, managed("other", doc(allow("s3:ListBucket")))]
    calls: list[int] = []

    def factory() -> object:
        calls.append(1)
        return object()

    first = memo("k", [policies], factory)
    assert memo("k", [list(policies)], factory) is first  # the engine passes a new list each time
    assert memo("k", [tuple(policies)], factory) is first
    assert len(calls) == 1


def test_memo_misses_on_equal_but_different_snapshots() -> None:
    """Equal content is not enough: another scan (or test case) may reuse uids with other documents."""
    policies = [READ]
    first = memo("k", [policies], object)
    copy = READ.model_copy()
    assert copy == READ and copy is not READ
    assert memo("k", [[copy]], object) is not first
    assert memo("other-kind", [policies], object) is not first
    assert memo("k", [[*policies, copy]], object) is not first


def test_memo_is_bounded_and_keeps_the_most_recent() -> None:
    groups = [[managed(f"p{i}", None)] for i in range(inventory.MEMO_SIZE + 3)]
    values = [memo("k", [g], object) for g in groups]
    assert len(inventory._entries) == inventory.MEMO_SIZE
    assert memo("k", [groups[-1]], object) is values[-1]
    assert memo("k", [groups[0]], object) is not values[0]  # dropped, computed again


def test_account_analysis_is_built_once_per_scan() -> None:
    users, roles = [user("alice")], [role("exec", SAGEMAKER)]
    analysis = account_analysis(users, [], roles, [READ])
    assert account_analysis(list(users), [], list(roles), [READ]) is analysis
    # The views come from the same libraries the per-principal checks use.
    assert analysis.views[roles[0].uid] is principal_view(roles[0], [READ])
    assert analysis.views[users[0].uid] is principal_view(users[0], [READ], [])


# --- views ----------------------------------------------------------------------------------


def test_a_managed_policy_is_parsed_once_for_every_principal() -> None:
    library = policy_library([READ])
    a = library.view(user("a", attached_policies=(attach(READ),)))
    b = library.view(role("b", SAGEMAKER, attached_policies=(attach(READ),)))
    assert a.documents[0].name == f"managed:{READ.uid}" and b.documents[0].name == f"managed:{READ.uid}"
    assert a.documents[0].statements is b.documents[0].statements


def test_view_problems_and_principal_context() -> None:
    broken = user("broken", doc(allow("s3:*")), attached_policies=(attach(managed("gone", None)),))
    view = principal_view(broken, [READ])
    assert view.problems == (f"managed policy arn:aws:iam::{ACCOUNT}:policy/gone is not in the inventory",)
    invalid = principal_view(user("invalid", {"Statement": [{"Effect": "Maybe"}]}), [READ])
    assert "not a valid policy" in invalid.problems[0]
    own_keys = user("alice", doc(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")))
    perms = principal_view(own_keys, []).permissions
    assert perms.allows("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice").allowed
    assert not perms.allows("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/bob").possible


def test_view_trust_and_groups() -> None:
    team = IamGroup(uid=f"arn:aws:iam::{ACCOUNT}:group/team", name="team", account=ACCOUNT)
    member = principal_view(user("m", groups=("team", "ghosts")), [], [team])
    assert member.groups == (team.uid,) and member.problems == ("group ghosts is not in the inventory",)
    unreadable = principal_view(role("r", None, trust_policy_error="not JSON"), [])
    assert unreadable.trust is None and unreadable.trust_problem == "trust policy of r: not JSON"
    invalid = principal_view(role("i", {"Statement": [{"Effect": "Allow"}]}), [])
    assert invalid.trust is None and "not a valid policy" in (invalid.trust_problem or "")
    execution = principal_view(role("e", SAGEMAKER), [])
    assert execution.trust_analysis is not None
    assert execution.trust_analysis.trusted_services == ("sagemaker.amazonaws.com",)


def test_categories_are_computed_once_per_view() -> None:
    view = principal_view(user("reader", doc(allow("s3:GetObject"))), [])
    first = view.category(Category.DATA_EXFILTRATION)
    assert view.category(Category.DATA_EXFILTRATION) is first
    assert first.unrestricted == ("s3:GetObject",)


# --- the account ----------------------------------------------------------------------------


def test_reach_prefers_unconditional_and_readable_paths() -> None:
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    root = f"arn:aws:iam::{ACCOUNT}:root"
    assume_any = user("dev", doc(allow("sts:AssumeRole")))
    mfa_admin = role(
        "mfa-admin",
        doc({"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole", "Condition": mfa}),
        doc(allow("*")),
    )
    analysis = account_analysis([assume_any], [], [mfa_admin], [])
    conditional = analysis.reach(assume_any.uid)
    assert conditional.conditional and conditional.path is not None and len(conditional.path) == 1
    open_admin = role(
        "open-admin", doc({"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}), doc(allow("*"))
    )
    analysis = account_analysis([assume_any], [], [mfa_admin, open_admin], [])
    certain = analysis.reach(assume_any.uid)
    assert not certain.conditional and certain.path is not None and certain.path[0].target == open_admin.uid


def test_reach_names_the_unreadable_principals_that_could_change_it() -> None:
    root = f"arn:aws:iam::{ACCOUNT}:root"
    trust_root = doc({"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"})
    dev = user("dev", doc(allow("sts:AssumeRole")))
    hidden = role("hidden", trust_root, attached_policies=(attach(managed("gone", None)),))
    quiet = user("quiet")
    analysis = account_analysis([dev, quiet], [], [hidden], [])
    assert analysis.uncertain == {hidden.uid}
    found = analysis.reach(dev.uid)
    assert found.path is None and found.uncertain == (hidden.uid,)
    assert found.evidence()["uncertain"] == [hidden.uid]
    assert analysis.reach(quiet.uid).uncertain == ()  # quiet cannot reach it
    # A role that is admin and whose trust is unreadable might trust anyone.
    secret = role("secret", None, doc(allow("*")), trust_policy_error="not JSON")
    analysis = account_analysis([quiet], [], [secret], [])
    assert analysis.reach(quiet.uid).uncertain == (secret.uid,)
    # One that leads nowhere does not matter.
    harmless = role("harmless", None, doc(allow("s3:ListBucket")), trust_policy_error="not JSON")
    assert account_analysis([quiet], [], [harmless], []).reach(quiet.uid).uncertain == ()


def test_view_of_a_snapshot_not_in_the_analysis() -> None:
    alice = user("alice")
    analysis = account_analysis([alice], [], [], [])
    assert analysis.view_of(alice) is analysis.views[alice.uid]
    assert analysis.view_of(alice.model_copy()) is analysis.views[alice.uid]  # equal content
    assert analysis.view_of(user("alice", doc(allow("*")))) is None  # same uid, other content
    assert analysis.view_of(user("bob")) is None


def test_an_administrator_with_a_region_guardrail_stays_an_administrator() -> None:
    """Issue 12: with the principal's context, `StringNotEqualsIfExists aws:RequestedRegion` (a key the
    scanner does not know) used to pass, so the Deny looked certain and the admin looked harmless."""
    guardrail = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}},
    }
    view = principal_view(user("ops", doc(allow("*"), guardrail)), [])
    assert view.permissions.principal_context["aws:username"] == "ops"
    assert view.permissions.is_admin is True
    role_view = principal_view(role("ops-role", SAGEMAKER, doc(allow("*"), guardrail)), [])
    assert role_view.permissions.is_admin is True


def test_a_user_s_id_and_tags_fill_its_policy_variables_a_role_s_do_not() -> None:
    data = "arn:aws:s3:::data/${aws:PrincipalTag/team}/*"
    home = "arn:aws:s3:::data/home/${aws:userid}/*"
    scientist = user("scientist", doc(allow("s3:GetObject", [data, home])), user_id="AIDAEXAMPLE1", tags={"team": "ml"})
    view = principal_view(scientist, [])
    assert view.permissions.allows("s3:GetObject", "arn:aws:s3:::data/ml/train.csv").allowed
    assert view.permissions.allows("s3:GetObject", "arn:aws:s3:::data/home/AIDAEXAMPLE1/x").allowed
    assert not view.permissions.allows("s3:GetObject", "arn:aws:s3:::data/finance/ledger.csv").possible
    # a role session's tags may be overridden by session tags: the variable stays undecided
    trainer = role("trainer", None, doc(allow("s3:GetObject", data)), tags={"team": "ml"})
    decision = principal_view(trainer, []).permissions.allows("s3:GetObject", "arn:aws:s3:::data/ml/train.csv")
    assert not decision.allowed
