"""Role expansion: the IAM API's answer, else the bundled snapshot, else unresolved; and the
snapshot's refresh command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cspm.gcp_iam import refresh, role_snapshot
from cspm.gcp_iam.permissions import ACT_AS, KEPT, PROJECT_SET_POLICY
from cspm.gcp_iam.roles import api_path, from_api, is_custom, resolve


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("roles/owner", "v1/roles/owner"),
        ("projects/p1/roles/trainer", "v1/projects/p1/roles/trainer"),
        ("organizations/42/roles/auditor", "v1/organizations/42/roles/auditor"),
        ("roles/", None),
        ("owner", None),
        ("projects/p1/roles", None),
        ("folders/1/roles/x", None),
    ],
)
def test_the_api_path_of_a_role(name: str, path: str | None) -> None:
    assert api_path(name) == path


def test_an_api_answer_keeps_the_judged_permissions_and_counts_all() -> None:
    raw = {"name": "roles/x", "includedPermissions": [ACT_AS, "storage.objects.get", PROJECT_SET_POLICY]}
    role = from_api("roles/x", raw)
    assert role.origin == "api" and role.permission_count == 3
    assert role.permissions == tuple(sorted([ACT_AS, PROJECT_SET_POLICY]))


def test_a_deleted_custom_role_grants_nothing() -> None:
    role = from_api("projects/p/roles/old", {"includedPermissions": [ACT_AS], "deleted": True})
    assert role.permissions == () and role.error == "the role is deleted"


def test_a_predefined_role_falls_back_to_the_snapshot() -> None:
    role = resolve("roles/iam.serviceAccountUser", None, "roles.get failed")
    assert role.origin == "snapshot" and role.permissions == (ACT_AS,)


@pytest.mark.parametrize("name", ["roles/made.up", "projects/p/roles/custom"])
def test_an_unknown_role_is_unresolved_never_empty(name: str) -> None:
    role = resolve(name, None, "roles.get failed (iam.roles.get)")
    assert role.permissions is None and role.origin == "unresolved"
    assert role.error is not None and name in role.error and "iam.roles.get" in role.error


def test_custom_role_names() -> None:
    assert is_custom("projects/p/roles/x") and is_custom("organizations/1/roles/x") and not is_custom("roles/owner")


def test_the_snapshot_holds_only_judged_permissions_of_every_wanted_role() -> None:
    assert tuple(role_snapshot.ROLES) == refresh.SNAPSHOT_ROLES
    for name, permissions in role_snapshot.ROLES.items():
        assert set(permissions) <= KEPT, name
        assert list(permissions) == sorted(permissions), name
    assert PROJECT_SET_POLICY in role_snapshot.ROLES["roles/resourcemanager.projectIamAdmin"]
    assert ACT_AS in role_snapshot.ROLES["roles/editor"]


def _roles_list(tmp_path: Path) -> Path:
    """A roles.list page holding every wanted role (plus one that is not wanted)."""
    roles = [
        {"name": name, "includedPermissions": [*role_snapshot.ROLES[name], "storage.objects.get"], "stage": "GA"}
        for name in refresh.SNAPSHOT_ROLES
    ]
    roles.append({"name": "roles/unwanted", "includedPermissions": [ACT_AS]})
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"roles": roles}), encoding="utf-8")
    return path


def test_the_refresh_command_regenerates_the_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refresh.main([str(_roles_list(tmp_path))]) == 0
    generated = capsys.readouterr().out
    namespace: dict[str, object] = {}
    exec(compile(generated, "role_snapshot.py", "exec"), namespace)  # our own generated module
    assert namespace["ROLES"] == role_snapshot.ROLES
    # laid out exactly as the committed module (ruff format's layout): only the header differs
    committed = Path(role_snapshot.__file__).read_text(encoding="utf-8")
    assert generated.split("ROLES: dict")[1] == committed.split("ROLES: dict")[1]


def test_a_refresh_missing_a_wanted_role_fails_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"roles": [{"name": "roles/owner", "includedPermissions": []}]}), encoding="utf-8")
    assert refresh.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cspm: ") and "roles/editor" in err and err.count("\n") == 1


def test_a_refresh_without_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert refresh.main([]) == 2
    assert capsys.readouterr().err.startswith("cspm: usage:")


def test_single_role_documents_and_lists_are_read() -> None:
    one = {"name": "roles/owner", "includedPermissions": []}
    assert list(refresh.roles_of(one)) == [one]
    assert list(refresh.roles_of([one, "junk"])) == [one]
    assert list(refresh.roles_of({"unrelated": 1})) == []
