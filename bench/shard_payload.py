"""What a task of a sharded organization scan weighs, with the SCPs in the plan: ``python -m bench.shard_payload``.

A synthetic organization (``--accounts`` accounts in ``--ous`` OUs under the root, ``--policies``
SCPs of about 2 KB each: one on the root, one on each OU, cycling) is read by the real
:class:`~cspm.providers.aws.org_policies.OrgPolicyReader` from an in-memory Organizations client,
exported into a :class:`~cspm.shards.ShardPlan` of ``--shard-size`` accounts per shard, and every
task is pickled as Dask pickles it (cloudpickle). Reported: the plan's JSON size, the largest
task, and what a task would weigh if it carried the whole plan (as before the plan was cut per
shard), and the time to read, export and cut. No network.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from typing import Any


class FakeOrganizations:
    """The Organizations reads the reader makes, answered from memory."""

    def __init__(self, accounts: int, ous: int, policies: int) -> None:
        self.root = "r-root"
        self.ous = [f"ou-root-{i:08d}" for i in range(ous)]
        self.parent = {f"{100000000000 + i}": self.ous[i % ous] for i in range(accounts)}
        self.parent.update({ou: self.root for ou in self.ous})
        statement = {"Effect": "Deny", "Action": [f"svc{i}:Action{i}" for i in range(60)], "Resource": "*"}
        self.documents = {f"p-{i:08d}": json.dumps({"Version": "2012-10-17", "Statement": [statement]})
                          for i in range(policies)}  # fmt: skip
        names = list(self.documents)
        self.attached = {
            self.root: [names[0]],
            **{ou: [names[1 + i % (policies - 1)]] for i, ou in enumerate(self.ous)},
        }

    def describe_organization(self) -> dict[str, Any]:
        return {"Organization": {"Id": "o-bench", "MasterAccountId": "999999999999"}}

    def describe_policy(self, PolicyId: str) -> dict[str, Any]:
        return {"Policy": {"Content": self.documents[PolicyId]}}

    def get_paginator(self, method: str) -> Any:
        outer = self

        class Pages:
            def paginate(self, **params: Any) -> list[dict[str, Any]]:
                if method == "list_roots":
                    types = [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
                    return [{"Roots": [{"Id": outer.root, "PolicyTypes": types}]}]
                if method == "list_parents":
                    parent = outer.parent[params["ChildId"]]
                    return [
                        {"Parents": [{"Id": parent, "Type": "ROOT" if parent == outer.root else "ORGANIZATIONAL_UNIT"}]}
                    ]
                if method == "list_policies_for_target":
                    ids = outer.attached.get(params["TargetId"], [])
                    return [{"Policies": [{"Id": p, "Name": p, "AwsManaged": False} for p in ids]}]
                raise AssertionError(method)

        return Pages()


def main(argv: list[str] | None = None) -> None:
    import cloudpickle

    from cspm.providers.aws.org_policies import OrgPolicyReader
    from cspm.shards import AwsShardOptions, ShardPlan, ShardTask, cut

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--ous", type=int, default=200)
    parser.add_argument("--policies", type=int, default=40)
    parser.add_argument("--shard-size", type=int, default=20)
    args = parser.parse_args(argv)

    client = FakeOrganizations(args.accounts, args.ous, args.policies)
    accounts = [a for a in client.parent if not a.startswith("ou-")]
    started = time.perf_counter()
    reader = OrgPolicyReader(lambda: client)
    for account in accounts:
        reader.snapshot(account)
    snapshot = reader.export()
    read = time.perf_counter() - started
    plan = ShardPlan(
        started_at=datetime.now(UTC),
        checks=[],
        options=AwsShardOptions(regions=["us-east-1"]),
        shards=cut(accounts, args.shard_size),
        org_policies=snapshot,
    )
    started = time.perf_counter()
    sizes = [len(cloudpickle.dumps(ShardTask(plan.for_shard(i), 0))) for i in range(len(plan.shards))]
    cutting = time.perf_counter() - started
    whole = len(cloudpickle.dumps(ShardTask(plan, 0)))
    print(
        json.dumps(
            {
                "accounts": args.accounts,
                "ous": args.ous,
                "policies": args.policies,
                "shards": len(plan.shards),
                "plan_json_bytes": len(plan.model_dump_json()),
                "task_bytes_max": max(sizes),
                "task_bytes_whole_plan": whole,
                "read_and_export_s": round(read, 2),
                "cut_and_pickle_all_tasks_s": round(cutting, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
