"""The escalation model: edges between principals and service accounts, reach, admin reach,
escalation kinds, unresolved roles; and the property that adding a binding never removes reach."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from cspm.gcp_iam import role_snapshot
from cspm.gcp_iam.analysis import MAX_DEPTH, Grant, IamModel, gaps, grants_of, model_of
from cspm.gcp_iam.permissions import ACT_AS, DELEGATION, KEY_CREATE, ORG_SET_POLICY, TOKEN
from cspm.resources.gcp.iam import GcpIamHierarchy, NodePolicy, PolicyBinding, RoleDefinition

P = "projects/p"
ROLES: dict[str, frozenset[str] | None] = {k: frozenset(v) for k, v in role_snapshot.ROLES.items()}
ROLES |= {
    "roles/test.actAsOnly": frozenset({ACT_AS}),
    "roles/test.delegate": frozenset({DELEGATION}),
    "roles/test.signer": frozenset({TOKEN[1]}),
    "projects/p/roles/custom": frozenset(),
    "projects/p/roles/unknown": None,
}
USER = "user:u@example.com"


def sa(name: str) -> str:
    return f"{name}@p.iam.gserviceaccount.com"


def member(name: str) -> str:
    return f"serviceAccount:{sa(name)}"


def model(*grants: Grant, accounts: tuple[str, ...] = ("a", "b", "c", "d")) -> IamModel:
    return IamModel(grants, ROLES, [sa(a) for a in accounts])


def g(who: str, role: str, on: str | None = None, source: str = P, condition: str | None = None) -> Grant:
    return Grant(
        who, role, source if on is None else f"{P}/serviceAccounts/{sa(on)}", condition, sa(on) if on else None
    )


def test_each_edge_method() -> None:
    m = model(
        g(USER, "roles/iam.serviceAccountTokenCreator", on="a"),
        g(USER, "roles/iam.serviceAccountKeyAdmin", on="b"),
        g(USER, "roles/iam.serviceAccountAdmin", on="c"),
        g(USER, "roles/iam.serviceAccountUser", on="d"),
        g(USER, "roles/aiplatform.user"),
    )
    methods = {s.target: s.method for s in m.edges(USER)}
    assert methods == {member("a"): "token", member("b"): "key", member("c"): "set-policy", member("d"): "act-as"}


def test_act_as_without_a_create_permission_is_no_edge() -> None:
    assert model(g(USER, "roles/iam.serviceAccountUser")).edges(USER) == []


def test_project_level_grants_reach_every_account() -> None:
    m = model(g(USER, "roles/iam.serviceAccountTokenCreator"))
    assert {s.target for s in m.edges(USER)} == {member(a) for a in "abcd"}


def test_reach_is_transitive_and_shortest() -> None:
    m = model(
        g(USER, "roles/iam.serviceAccountKeyAdmin", on="a"),
        g(member("a"), "roles/iam.serviceAccountTokenCreator", on="b"),
        g(member("b"), "roles/owner"),
    )
    reach = m.reach(USER)
    path, full = reach[member("b")]
    assert full and [s.method for s in path] == ["key", "token"]
    admin = m.reaches_admin(USER)
    assert admin is not None and admin.holder == member("b") and "roles/owner" in admin.holds
    (escalation,) = [e for e in m.escalations(USER) if e.path[-1].target == member("b")]
    assert escalation.reaches_admin and escalation.gained[0] == "roles/owner"


def test_implicit_delegation_relays_tokens_but_not_permissions() -> None:
    m = model(
        g(USER, "roles/test.delegate", on="a"),
        g(member("a"), "roles/owner"),
        g(member("a"), "roles/test.signer", on="b"),
        g(member("b"), "roles/resourcemanager.projectIamAdmin"),
    )
    reach = m.reach(USER)
    assert reach[member("a")][1] is False  # a's owner role is not gained
    assert reach[member("b")][1] is True  # but a's token right on b is
    admin = m.reaches_admin(USER)
    assert admin is not None and admin.holder == member("b")
    assert admin.holds == ("roles/resourcemanager.projectIamAdmin", "resourcemanager.projects.setIamPolicy")


def test_reach_is_bounded() -> None:
    accounts = tuple(f"s{i}" for i in range(MAX_DEPTH + 3))
    chain = [g(USER, "roles/iam.serviceAccountTokenCreator", on=accounts[0])]
    chain += [g(member(a), "roles/iam.serviceAccountTokenCreator", on=b) for a, b in itertools.pairwise(accounts)]
    reach = model(*chain, accounts=accounts).reach(USER)
    assert len(reach) == MAX_DEPTH and max(len(p) for p, _ in reach.values()) == MAX_DEPTH


def test_policy_editing_kinds() -> None:
    m = model(
        g(USER, "roles/resourcemanager.projectIamAdmin"),
        g(USER, "roles/iam.roleAdmin"),
        g(USER, "projects/p/roles/custom"),
        g(USER, "roles/iam.securityAdmin", source="organizations/1"),
    )
    kinds = {e.kind for e in m.escalations(USER)}
    assert kinds == {"set-iam-policy", "update-custom-role", "bucket-policy"}
    org = [e for e in m.escalations(USER) if e.description.startswith(ORG_SET_POLICY)]
    assert org and org[0].grants[0].source == "organizations/1"


def test_an_owner_only_escalates_beyond_the_project() -> None:
    m = model(g(USER, "roles/owner"), g(member("a"), "roles/resourcemanager.organizationAdmin"))
    escalations = m.escalations(USER)
    assert [e.gained for e in escalations] == [
        ("resourcemanager.folders.setIamPolicy", "resourcemanager.organizations.setIamPolicy")
    ]
    assert model(g(USER, "roles/owner"), g(member("a"), "roles/editor")).escalations(USER) == []


def test_storage_roles_do_not_escalate_by_editing_bucket_policies() -> None:
    assert model(g(USER, "roles/storage.admin")).escalations(USER) == []


def test_conditional_grants_are_followed_and_flagged() -> None:
    m = model(g(USER, "roles/iam.serviceAccountTokenCreator", on="a", condition="request.time < x"))
    m = IamModel([*m.grants, g(member("a"), "roles/owner")], ROLES, [sa("a")])
    (escalation,) = m.escalations(USER)
    assert escalation.conditional and escalation.evidence()["conditional"] is True


def test_unresolved_roles_in_reach_are_reported() -> None:
    m = model(g(USER, "roles/iam.serviceAccountTokenCreator", on="a"), g(member("a"), "projects/p/roles/unknown"))
    assert m.unresolved(USER) == set()
    assert m.unresolved_in_reach(USER) == {"projects/p/roles/unknown"}
    assert model(g(USER, "roles/not.in.catalogue")).unresolved(USER) == {"roles/not.in.catalogue"}


def _hierarchy(**kw: object) -> GcpIamHierarchy:
    return GcpIamHierarchy(uid="u", name=P, account="p", **kw)


def test_the_snapshot_becomes_a_model_once() -> None:
    h = _hierarchy(
        ancestry=(P, "folders/1"),
        policies=(
            NodePolicy(resource=P, bindings=(PolicyBinding(role="roles/owner", members=(USER,)),)),
            NodePolicy(resource="folders/1", bindings=(PolicyBinding(role="roles/editor", members=(USER,)),)),
        ),
        service_accounts=(sa("a"),),
        service_account_policies=(
            NodePolicy(
                resource=f"{P}/serviceAccounts/{sa('a')}",
                bindings=(PolicyBinding(role="roles/iam.serviceAccountUser", members=(USER,), condition="c"),),
            ),
        ),
        roles=(RoleDefinition(name="roles/owner", permissions=(KEY_CREATE,), origin="api"),),
    )
    assert model_of(h) is model_of(h)
    grants = grants_of(h)
    assert {(x.role, x.source, x.target, x.condition) for x in grants} == {
        ("roles/owner", P, None, None),
        ("roles/editor", "folders/1", None, None),
        ("roles/iam.serviceAccountUser", f"{P}/serviceAccounts/{sa('a')}", sa("a"), "c"),
    }
    assert model_of(h).unresolved(USER) == {"roles/editor", "roles/iam.serviceAccountUser"}  # not in h.roles
    assert gaps(h) == []


def test_gaps_name_what_is_missing() -> None:
    h = _hierarchy(
        ancestry=None,
        policies=(NodePolicy(resource="folders/1", error="folders.getIamPolicy of folders/1 failed (x)"),),
        service_accounts=None,
        service_account_policies=(NodePolicy(resource=f"{P}/serviceAccounts/e"),),
    )
    found = gaps(h)
    assert len(found) == 4
    assert "resourcemanager.projects.get" in found[0] and found[1].startswith("folders.getIamPolicy")
    assert "iam.serviceAccounts.list" in found[2] and "serviceAccounts/e" in found[3]


# ---------------------------------------------------------------------------------------------
# Property: adding a binding never removes reach
# ---------------------------------------------------------------------------------------------

MEMBERS = [USER, *(member(a) for a in "abcd")]
GRANT_ROLES = [
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/aiplatform.user",
    "roles/editor",
    "roles/owner",
    "roles/resourcemanager.projectIamAdmin",
    "roles/test.delegate",
    "roles/test.signer",
    "roles/viewer",
]
grants_strategy = st.builds(
    lambda who, role, on: g(who, role, on=on),
    st.sampled_from(MEMBERS),
    st.sampled_from(GRANT_ROLES),
    st.one_of(st.none(), st.sampled_from("abcd")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(grants_strategy, max_size=12), grants_strategy)
def test_adding_a_binding_never_removes_reach(grants: list[Grant], extra: Grant) -> None:
    before, after = model(*grants), model(*grants, extra)
    for who in MEMBERS:
        reach_before, reach_after = before.reach(who), after.reach(who)
        assert set(reach_before) <= set(reach_after)
        assert all(reach_after[t][1] for t, (_, full) in reach_before.items() if full)
        if before.reaches_admin(who) is not None:
            assert after.reaches_admin(who) is not None
