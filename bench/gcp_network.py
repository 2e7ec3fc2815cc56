"""Requests and time of the GCP private-path collectors (VPC Service Controls, subnets, forwarding
rules) against the fake on 127.0.0.1, for P projects of one organization with S subnets each.
Not a test: it prints figures.

    .venv/bin/python -m bench.gcp_network --projects 20 --subnets 2000

Every project reads its organization's policies and perimeters again (no cache across projects):
the ACM requests grow with P; Compute's grow with S / 500 (aggregated pages).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter

from cspm.demo import gcp_network as net
from cspm.demo.gcp import FakeGcs, serve_http
from cspm.engine import collect
from cspm.providers.gcp import GcpOptions, GcpProvider, accesscontextmanager, network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--subnets", type=int, default=2000, help="subnets per project")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    fake = FakeGcs()
    projects = [f"ml-{i:03d}" for i in range(args.projects)]
    fake.network.add_folder("folders/2", net.DEFAULT_ORG)
    fake.network.add_policy(
        net.access_policy("70"),
        net.service_perimeter("70", "ml", resources=tuple(f"projects/{net.default_number(p)}" for p in projects)),
    )
    for project in projects:
        fake.network.add_project(project, net.default_number(project), parent="folders/2")
        fake.network.subnetworks[project] = [
            net.subnetwork(f"s{i}", project=project, region=net.REGIONS[i % 3]) for i in range(args.subnets)
        ]
    from google.oauth2.credentials import Credentials

    with serve_http(fake) as base:
        for variable in ("CSPM_GCP_CRM_ENDPOINT", "CSPM_GCP_ACM_ENDPOINT", "CSPM_GCP_COMPUTE_ENDPOINT"):
            os.environ[variable] = base
        provider = GcpProvider(GcpOptions(projects=tuple(projects), credentials=Credentials(token="bench")))
        provider.connect()
        started = time.perf_counter()
        inventory = collect(provider.plan({*network.PRODUCES, *accesscontextmanager.PRODUCES}), workers=args.workers)
        elapsed = time.perf_counter() - started
    kinds = Counter(
        "compute" if "/compute/" in p else "accesscontextmanager" if "accessPolicies" in p else "resourcemanager"
        for _, p in fake.requests
    )
    resources = sum(len(inventory.of_type(t)) for t in (*network.PRODUCES, *accesscontextmanager.PRODUCES))
    print(f"{args.projects} projects x {args.subnets} subnets: {resources} resources, {len(inventory.errors)} errors")
    print(f"requests: {dict(sorted(kinds.items()))} (total {sum(kinds.values())}); {elapsed:.2f} s")


if __name__ == "__main__":
    main()
