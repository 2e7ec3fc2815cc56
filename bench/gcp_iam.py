"""GCP IAM escalation analysis at scale: a synthetic project, every principal's escalations and
every service account's admin reach, as the gcp.iam checks compute them.

    .venv/bin/python -m bench.gcp_iam [--principals 500 2000] [--accounts 200] [--seed 7]

Builds a :class:`GcpIamHierarchy` snapshot (no cloud, no fake): N principals (users, groups and
service accounts) bound to a mix of predefined roles on the project, a folder and the
organization; ``--accounts`` service accounts, a fifth of them with their own IAM policy naming a
few principals (Service Account User, Token Creator, Key Admin); a few admin accounts. Measures
CPU (``time.process_time()``) of building the model and of answering
``principal_cannot_escalate_privileges`` for every principal and
``custom_job_service_account_cannot_reach_project_admin`` for every service account.
"""

from __future__ import annotations

import argparse
import random
import time

from cspm.checks.gcp import iam as checks
from cspm.gcp_iam.analysis import model_of
from cspm.gcp_iam.role_snapshot import ROLES
from cspm.models import Status
from cspm.resources.gcp.iam import GcpIamHierarchy, GcpPrincipal, NodePolicy, PolicyBinding, RoleDefinition
from cspm.resources.gcp.vertex import VertexCustomJob

PROJECT = "bench-project"
COMMON = ["roles/viewer", "roles/aiplatform.user", "roles/aiplatform.viewer", "roles/storage.objectViewer"]
RARE = ["roles/editor", "roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator", "roles/owner"]
SA_ROLES = ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountKeyAdmin"]


def project(principals: int, accounts: int, seed: int) -> tuple[GcpIamHierarchy, list[str], list[str]]:
    rng = random.Random(seed)
    emails = [f"sa{i}@{PROJECT}.iam.gserviceaccount.com" for i in range(accounts)]
    members = [f"user:u{i}@example.com" if i % 3 else f"group:g{i}@example.com" for i in range(principals - accounts)]
    members += [f"serviceAccount:{e}" for e in emails]
    nodes: dict[str, dict[str, list[str]]] = {f"projects/{PROJECT}": {}, "folders/1": {}, "organizations/2": {}}
    for member in members:
        node = rng.choice(list(nodes)) if rng.random() < 0.2 else f"projects/{PROJECT}"
        role = rng.choice(RARE) if rng.random() < 0.03 else rng.choice(COMMON)
        nodes[node].setdefault(role, []).append(member)
    policies = tuple(
        NodePolicy(resource=n, bindings=tuple(PolicyBinding(role=r, members=tuple(m)) for r, m in b.items()))
        for n, b in nodes.items()
    )
    sa_policies = tuple(
        NodePolicy(
            resource=f"projects/{PROJECT}/serviceAccounts/{e}",
            bindings=(PolicyBinding(role=rng.choice(SA_ROLES), members=tuple(rng.sample(members, 3))),)
            if rng.random() < 0.2
            else (),
        )
        for e in emails
    )
    hierarchy = GcpIamHierarchy(
        uid=f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}#iam",
        name=f"projects/{PROJECT}",
        account=PROJECT,
        ancestry=tuple(nodes),
        policies=policies,
        service_accounts=tuple(emails),
        service_account_policies=sa_policies,
        roles=tuple(RoleDefinition(name=n, permissions=p, origin="snapshot") for n, p in ROLES.items()),
    )
    return hierarchy, members, emails


def run(principals: int, accounts: int, seed: int) -> dict[str, float | int]:
    hierarchy, members, emails = project(principals, accounts, seed)
    start = time.process_time()
    model_of(hierarchy)
    built = time.process_time()
    failing = 0
    for member in members:
        principal = GcpPrincipal(uid=member, name=member, account=PROJECT, member=member, kind=member.split(":")[0])
        failing += checks.principal_cannot_escalate_privileges(principal, hierarchy).status is Status.FAIL
    judged = time.process_time()
    for email in emails:
        job = VertexCustomJob(uid=email, name=email, account=PROJECT, region="us-central1", service_account=email)
        checks.custom_job_service_account_cannot_reach_project_admin(job, hierarchy)
    jobs = time.process_time()
    return {
        "principals": principals,
        "accounts": accounts,
        "model_s": round(built - start, 3),
        "principals_s": round(judged - built, 3),
        "jobs_s": round(jobs - judged, 3),
        "failing": failing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for n in args.principals:
        print(run(n, min(args.accounts, n // 2), args.seed))


if __name__ == "__main__":
    main()
