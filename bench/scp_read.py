"""The coordinator's SCP/RCP read: ``python -m bench.scp_read`` (issue 17; docs/distributed.md).

One moto server in a child process behind :class:`bench.org.Latency` (50 ms per request, as AWS
answers in tens of milliseconds) and :class:`bench.wire.CountingMiddleware` (requests by
operation), plus :class:`Paginated`: moto answers ``ListTargetsForPolicy`` in one page, AWS in
pages of at most 20 targets (its MaxResults), so the server pages it as AWS does.

The organization: ``--accounts`` members (1,000 by default) spread over ``--ous`` OUs (20, two
levels: a tenth under the root, the rest below them), ``--policies`` SCPs and RCPs (10) attached
to the root, OUs and accounts; ``FullAWSAccess`` (and ``RCPFullAWSAccess``) on every OU and
account, as AWS attaches them. Seeded without latency, half the accounts first.

With the latency on, the reader of :mod:`cspm.providers.aws.org_policies`, in this process:

1. on ``--sample`` accounts (200): one account at a time (before: the coordinator's loop),
   the read-ahead per account with 4 calls in flight (the fallback when the walk is denied), and
   the walk; the three exports must be equal byte for byte;
2. the walk for every account, at half and at the whole organization: requests and wall time.

Extrapolated to ``--target`` (20,000) accounts: one account at a time is sequential, so its wall
time is the sample's per account times the accounts; the walk's, a straight line through its two
sizes, and its critical path (the pages of FullAWSAccess's targets, one after the other) at the
time a request took in the sequential run. Requests: the formulas of
:mod:`cspm.providers.aws.org_tree` with AWS's page size. Writes ``bench/results/scp_read.json``.
Runs in about two minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import child
from bench.child import announce_and_serve
from bench.org import Account, Latency, StartResponse, WsgiApp, keep_alive_server, log, post, set_latency

RESULTS = Path(__file__).resolve().parent / "results" / "scp_read.json"
LATENCY = 0.050
ACCOUNTS = 1_000
OUS = 20
POLICIES = 10
SAMPLE = 200
TARGET = 20_000
PAGE = 20  # Organizations' MaxResults for every List* call used here
LIST_TARGETS = "AWSOrganizationsV20161128.ListTargetsForPolicy"
SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"


# ---------------------------------------------------------------------------------------------
# The server child
# ---------------------------------------------------------------------------------------------


class Paginated:
    """WSGI middleware: ``ListTargetsForPolicy`` in pages of ``MaxResults`` (at most 20), with
    an offset as the NextToken, as AWS pages it (moto returns every target at once). The first
    page asks moto and keeps its answer for the next pages: a page then costs what one page
    costs, not moto's whole listing again (which made 1,000 accounts' pages 4x slower)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._listed: dict[str, list[Any]] = {}  # policy id -> its targets (as of its first page)
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") != LIST_TARGETS:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        params = json.loads(body or b"{}")
        start, size = int(params.get("NextToken") or 0), min(PAGE, int(params.get("MaxResults") or PAGE))
        with self._lock:
            listed = self._listed.get(str(params.get("PolicyId"))) if start else None
        if listed is not None:
            return self._page(listed, start, size, "200 OK", [("Content-Type", "application/x-amz-json-1.1")],
                              start_response)  # fmt: skip
        environ["wsgi.input"] = io.BytesIO(body)
        answer: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            answer.update(status=status, headers=headers)
            return lambda _: None

        payload = b"".join(self.app(environ, keep))
        if not str(answer["status"]).startswith("200"):
            start_response(answer["status"], answer["headers"])
            return [payload]
        targets = json.loads(payload).get("Targets", [])
        with self._lock:
            self._listed[str(params.get("PolicyId"))] = targets
        headers = [(k, v) for k, v in answer["headers"] if k.lower() not in ("content-length", "x-amzn-requestid")]
        return self._page(targets, start, size, answer["status"], headers, start_response)

    @staticmethod
    def _page(
        targets: list[Any], start: int, size: int, status: str, headers: list[tuple[str, str]], respond: StartResponse
    ) -> Iterable[bytes]:
        page: dict[str, Any] = {"Targets": targets[start : start + size]}
        if start + size < len(targets):
            page["NextToken"] = str(start + size)
        out = json.dumps(page).encode()
        respond(status, [*headers, ("Content-Length", str(len(out)))])
        return [out]


def serve() -> int:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from bench.wire import CountingMiddleware

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = keep_alive_server(CountingMiddleware(Latency(Paginated(DomainDispatcherApplication(create_backend_app)))))
    return announce_and_serve(server)


@contextmanager
def server_child() -> Iterator[str]:
    with child.server_child(["-m", "bench.scp_read", "serve"]) as url:
        yield url


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


@dataclass
class Org:
    root: str
    ous: list[str]
    accounts: list[str]
    policies: list[str]


def _doc(i: int, rcp: bool) -> str:
    statement: dict[str, Any] = {"Sid": f"S{i}", "Effect": "Deny", "Action": f"s3:Delete{i}", "Resource": "*"}
    if rcp:
        statement["Principal"] = "*"
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def create_organization(orgs: Any, ous: int, policies: int) -> Org:
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    for kind in (SCP, RCP):
        orgs.enable_policy_type(RootId=root, PolicyType=kind)
    top = max(1, ous // 10)
    ou_ids: list[str] = []
    for i in range(ous):
        parent = root if i < top else ou_ids[i % top]
        ou_ids.append(orgs.create_organizational_unit(ParentId=parent, Name=f"ou-{i}")["OrganizationalUnit"]["Id"])
        orgs.attach_policy(PolicyId="p-FullAWSAccess", TargetId=ou_ids[-1])
    policy_ids = []
    for i in range(policies):
        kind = RCP if i % 3 == 2 else SCP
        created = orgs.create_policy(Name=f"p{i}", Description="", Type=kind, Content=_doc(i, kind == RCP))
        policy_ids.append(created["Policy"]["PolicySummary"]["Id"])
        orgs.attach_policy(PolicyId=policy_ids[-1], TargetId=root if i == 0 else ou_ids[i % len(ou_ids)])
    return Org(root, ou_ids, [], policy_ids)


def add_accounts(orgs: Any, org: Org, count: int, threads: int = 4) -> None:
    """``count`` more members, round robin over the OUs; every 50th gets an SCP of its own."""
    first = len(org.accounts)

    def one(i: int) -> str:
        name = f"m{i:05d}"
        account = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
        orgs.move_account(AccountId=account, SourceParentId=org.root, DestinationParentId=org.ous[i % len(org.ous)])
        orgs.attach_policy(PolicyId="p-FullAWSAccess", TargetId=account)
        if i % 50 == 0:
            orgs.attach_policy(PolicyId=org.policies[1], TargetId=account)
        return str(account)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-scp-seed") as pool:
        org.accounts.extend(pool.map(one, range(first, first + count)))


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def organizations_client(url: str) -> Any:
    """The scanner's client settings (adaptive retries, its connection pool)."""
    from cspm.providers.aws.context import client_config

    account = Account(url)
    return account.session.client("organizations", region_name="us-east-1", endpoint_url=url, config=client_config(8))


def counts(url: str) -> Counter[str]:
    from bench.run import request_counts

    return Counter({r.operation: n for r, n in request_counts(url).items() if r.service == "organizations"})


def measure(url: str, accounts: Sequence[str], mode: str) -> dict[str, Any]:
    """One read of ``accounts``' snapshots: ``sequential`` (one account at a time, no read-ahead),
    ``parallel`` (read-ahead per account) or ``walk``."""
    from bench.wire import RESET_PATH
    from cspm.providers.aws.org_policies import OrgPolicyReader

    client = organizations_client(url)
    ahead: dict[str, Any] = {} if mode == "sequential" else {"accounts": accounts, "walk": mode == "walk"}
    post(url + RESET_PATH)
    started = time.monotonic()
    reader = OrgPolicyReader(lambda: client, **ahead)
    for account in accounts:
        reader.snapshot(account)
    wall = time.monotonic() - started
    by_operation = counts(url)
    exported = reader.export().model_dump_json().encode()
    log(f"  {mode:<10} {len(accounts):>6} accounts: {wall:7.2f} s, {sum(by_operation.values()):>6} requests")
    return {
        "mode": mode,
        "accounts": len(accounts),
        "wall_seconds": round(wall, 2),
        "requests": sum(by_operation.values()),
        "by_operation": dict(sorted(by_operation.items())),
        "export_sha256": hashlib.sha256(exported).hexdigest(),
    }


def formulas(accounts: int, ous: int, policies: int, types: int = 2) -> dict[str, int]:
    """Requests at AWS's page size for an organization like the benchmark's: one account at a
    time, and the walk (org_tree's module docstring). Policies: the benchmark's plus
    FullAWSAccess and RCPFullAWSAccess, each attached to every OU and account."""
    levels = accounts + ous + 1
    per_account = 2 + accounts + ous + types * levels + policies + types
    per_parent = (ous + 1) * 2 + math.ceil(accounts / PAGE)  # OUs and accounts of each parent
    targets = types * math.ceil(levels / PAGE) + policies  # the two full-access policies, then ~1 page each
    walk = 2 + per_parent + types + targets + policies + types
    return {"per_account": per_account, "walk": walk}


def run(args: argparse.Namespace) -> dict[str, Any]:
    with server_child() as url:
        orgs = organizations_client(url)
        started = time.monotonic()
        org = create_organization(orgs, args.ous, args.policies)
        half = args.accounts // 2
        add_accounts(orgs, org, half)
        log(f"seeded {half} accounts in {time.monotonic() - started:.1f} s; latency {args.latency * 1000:g} ms")
        members = ["123456789012", *org.accounts]  # the management account first, as ListAccounts lists it
        set_latency(url, args.latency)
        walk_half = measure(url, members, "walk")
        set_latency(url, 0)
        add_accounts(orgs, org, args.accounts - half)
        log(f"seeded {len(org.accounts)} accounts in {time.monotonic() - started:.1f} s")
        members = ["123456789012", *org.accounts]
        set_latency(url, args.latency)
        sample = members[: args.sample + 1]
        runs = [measure(url, sample, mode) for mode in ("sequential", "parallel", "walk")]
        walk_all = measure(url, members, "walk")
        set_latency(url, 0)
    same = len({r["export_sha256"] for r in runs}) == 1
    sequential, parallel = runs[0], runs[1]
    per_account = sequential["wall_seconds"] / len(sample)
    slope = (walk_all["wall_seconds"] - walk_half["wall_seconds"]) / max(
        1, walk_all["accounts"] - walk_half["accounts"]
    )
    walk_target = walk_all["wall_seconds"] + slope * (args.target - walk_all["accounts"])
    aws = formulas(args.target, args.ous, args.policies)
    # The walk's critical path: the pages of FullAWSAccess's targets, one after the other, after
    # DescribeOrganization, ListRoots and ListPolicies and before one round of DescribePolicy;
    # each page at the time one request took in the sequential run.
    per_request = sequential["wall_seconds"] / max(1, sequential["requests"])
    critical = 4 + math.ceil((args.target + args.ous + 1) / PAGE)
    return {
        "organization": {"accounts": len(members), "ous": len(org.ous), "policies": len(org.policies) + 2},
        "latency_ms": args.latency * 1000,
        "sample": {"runs": runs, "exports_equal": same},
        "walk": [walk_half, walk_all],
        "extrapolated": {
            "accounts": args.target,
            "one_account_at_a_time": {
                "wall_seconds": round(per_account * args.target),
                "requests_at_aws_page_size": aws["per_account"],
            },
            "per_account_4_in_flight": {  # the fallback when the walk is denied
                "wall_seconds": round(parallel["wall_seconds"] / len(sample) * args.target),
                "requests_at_aws_page_size": aws["per_account"],
            },
            "walk": {
                "wall_seconds": round(walk_target, 1),  # a line through the two sizes measured
                "critical_path_seconds": round(critical * per_request, 1),
                "critical_path_requests": critical,
                "seconds_per_request": round(per_request, 4),
                "requests_at_aws_page_size": aws["walk"],
            },
        },
        "at_this_size": formulas(len(org.accounts), len(org.ous), len(org.policies)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scp_read", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["run", "serve"], default="run")
    parser.add_argument("--accounts", type=int, default=ACCOUNTS, help="member accounts")
    parser.add_argument("--ous", type=int, default=OUS)
    parser.add_argument("--policies", type=int, default=POLICIES, help="SCPs and RCPs besides the full-access ones")
    parser.add_argument("--sample", type=int, default=SAMPLE, help="accounts read one at a time")
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds added to every request")
    parser.add_argument("--target", type=int, default=TARGET, help="accounts to extrapolate to")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve()
    result = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("organization", "extrapolated")}, indent=2))
    print(f"exports equal: {result['sample']['exports_equal']}\nwrote {args.output}")
    return 0 if result["sample"]["exports_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
