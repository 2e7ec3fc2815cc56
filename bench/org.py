"""The organization benchmark: ``python -m bench.org`` (also run by ``make bench``).

1. Starts one moto server in a **child process** (``python -m bench.org serve``) behind two WSGI
   layers: :class:`bench.wire.CountingMiddleware` (requests by service and operation) and
   :class:`Latency`, which delays every request by a settable time, 50 ms here, as real AWS
   answers in tens of milliseconds; the benchmark then measures the scanner's concurrency rather
   than moto's CPU. SageMaker listings moto lacks answer an empty page
   (:class:`cspm.demo.server.EmptyListings`, as in ``bench/run.py``).
2. Builds an organization with ``organizations:CreateOrganization`` and ``CreateAccount`` (50
   member accounts by default) and seeds each member lightly through ``sts:AssumeRole`` into its
   ``OrganizationAccountAccessRole`` (moto keeps every account's resources apart by the account
   of the credentials): a bucket, a role, a key, a repository, a security group and a SageMaker
   model, plus the default VPC of each region. Seeding also touches every (account, region,
   service) the scan reads, because moto builds each backend on first use (seconds for EC2), a
   cost real AWS does not have. Seeding runs without the latency.
3. Runs ``cspm scan aws --org`` over 4 regions as a subprocess and measures its wall time, CPU
   time and peak RSS (``os.wait4`` on that process alone), and counts its requests.

Goals (issue 7): under 60 s wall and under 300 MB peak RSS. Writes ``bench/results/org.json``.
Exit status: 0 when the benchmark ran (1 with ``--strict`` when a goal is missed), 1 when it
could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from bench import child
from bench.child import announce_and_serve
from bench.launcher import Launcher

RESULTS = Path(__file__).resolve().parent / "results" / "org.json"
LATENCY_PATH = "/_bench/latency"
FAILING_PATH = "/_bench/failing"
LATENCY = 0.050  # seconds per request while the scan runs
REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1")
MEMBERS = 50
ROLE_NAME = "OrganizationAccountAccessRole"
MANAGEMENT = "123456789012"  # moto's default account: the caller's
SCAN_TIMEOUT = 600.0
GOALS = {"wall_seconds": 60.0, "peak_rss_mb": 300.0}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


# ---------------------------------------------------------------------------------------------
# The server child
# ---------------------------------------------------------------------------------------------


class Latency:
    """WSGI middleware: every request waits ``seconds`` before it is handled (the server is
    threaded, so waits overlap as real network latency does). ``POST /_bench/latency`` with the
    number of seconds as the body changes it."""

    def __init__(self, app: WsgiApp, seconds: float = 0.0) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == LATENCY_PATH:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.seconds = float(environ["wsgi.input"].read(length) or 0)
            start_response("204 No Content", [])
            return [b""]
        if self.seconds and not environ.get("PATH_INFO", "").startswith("/moto-api/"):
            time.sleep(self.seconds)
        return self.app(environ, start_response)


class FailingListings:
    """WSGI middleware in front of :class:`~cspm.demo.server.EmptyListings`: after
    ``POST /_bench/failing`` with ``1``, the SageMaker listings moto lacks answer HTTP 500 with an
    HTML error page, every time, as ``moto_server`` itself does (the account of issue 11 whose
    listings keep failing); ``0`` goes back to empty pages."""

    PAGE = b"<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>"

    def __init__(self, app: Any) -> None:  # a cspm.demo.server.EmptyListings
        self.app = app
        self.failing = False

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAILING_PATH:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.failing = environ["wsgi.input"].read(length).strip() == b"1"
            start_response("204 No Content", [])
            return [b""]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if self.failing and target.startswith("SageMaker.") and target.split(".", 1)[1] in self.app.listings:
            headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(self.PAGE)))]
            start_response("500 Internal Server Error", headers)
            return [self.PAGE]
        return self.app(environ, start_response)


class KeepAliveHandler(BaseHTTPRequestHandler):
    """Serves a WSGI app over HTTP/1.1 with persistent connections, as AWS endpoints do.

    werkzeug's development server, which ``moto_server`` uses, closes every connection after one
    response: each request then costs a new TCP connection on the client and a new thread in the
    server, overhead that neither real AWS nor its SDK clients have and that would be measured
    as the scanner's (or the peer's) time.
    """

    protocol_version = "HTTP/1.1"
    # An answer is written as headers, then body: with Nagle's algorithm the body waits for the
    # client's delayed ACK, ~40 ms more per request than the latency the benchmark sets (measured:
    # ListRoots took 47 ms without added latency, 13 ms with TCP_NODELAY).
    disable_nagle_algorithm = True
    app: WsgiApp  # set on the subclass made by keep_alive_server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        port = self.server.server_address[1]  # type: ignore[index]  # (host, port) for AF_INET
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        answer: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            answer.update(status=status, headers=headers)
            return chunks.append

        result = self.app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        payload = b"".join(chunks)
        code, _, reason = str(answer["status"]).partition(" ")
        self.send_response(int(code), reason)
        for name, value in answer["headers"]:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


def keep_alive_server(app: WsgiApp) -> ThreadingHTTPServer:
    handler = type("Handler", (KeepAliveHandler,), {"app": staticmethod(app)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    return server


def serve() -> int:
    """The child: moto behind counting, latency and the SageMaker listings moto lacks; prints
    ``{"port": N}`` once listening and exits when its parent goes away."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from bench.wire import CountingMiddleware
    from cspm.demo.bedrock_gaps import BedrockGaps
    from cspm.demo.server import EmptyListings

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    # The Bedrock and AgentCore listings moto lacks are answered (empty) by the demo's gap layer,
    # as bench.server does: without it each of them drops the connection and every account and
    # region retries six operations until the retry budget runs out, so a scan measured mostly
    # botocore's back-off.
    moto = DomainDispatcherApplication(create_backend_app)
    app = CountingMiddleware(Latency(FailingListings(EmptyListings(BedrockGaps(moto)))))
    return announce_and_serve(keep_alive_server(app))


# moto's default AMIs (hundreds of public images, some listed as the account's own) are not part
# of any fixture here: a real account owns none of them.
SERVER_ENV = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


@contextmanager
def server_child() -> Iterator[str]:
    """Start :func:`serve` in a child process; yield its URL; always stop it."""
    with child.server_child(["-m", "bench.org", "serve"], SERVER_ENV) as url:
        yield url


# ---------------------------------------------------------------------------------------------
# Measuring a process: the launcher
# ---------------------------------------------------------------------------------------------


def post(url: str, body: bytes = b"") -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=30) as response:  # 127.0.0.1 only
        response.read()


def set_latency(url: str, seconds: float) -> None:
    post(url + LATENCY_PATH, str(seconds).encode())


def set_failing(url: str, failing: bool) -> None:
    """The SageMaker listings moto lacks: moto's HTTP 500 every time (True) or empty pages."""
    post(url + FAILING_PATH, b"1" if failing else b"0")


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SAGEMAKER_TRUST = _doc(
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


class Account:
    """boto3 clients of one account (its own credentials), created on first use, one thread."""

    def __init__(self, url: str, credentials: dict[str, str] | None = None) -> None:
        import boto3
        from botocore.config import Config

        keys = credentials or {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
        self.session = boto3.Session(region_name=REGIONS[0], **keys)
        self.url = url
        self.config = Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=120)
        self._cache: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str = REGIONS[0]) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self.session.client(
                service, region_name=region, endpoint_url=self.url, config=self.config
            )
        return self._cache[key]


def assume(url: str, account_id: str) -> Account:
    sts = Account(url).client("sts")
    arn = f"arn:aws:iam::{account_id}:role/{ROLE_NAME}"
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="bench-seed")["Credentials"]
    return Account(
        url,
        {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        },
    )


def create_organization(url: str, members: int) -> list[str]:
    """An organization with ``members`` member accounts; their ids."""
    organizations = Account(url).client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    ids = []
    for i in range(members):
        status = organizations.create_account(Email=f"member-{i:03d}@example.com", AccountName=f"member-{i:03d}")
        ids.append(status["CreateAccountStatus"]["AccountId"])
    return ids


@dataclass
class Light:
    """What each member account holds (a light account)."""

    buckets: int = 1
    roles: int = 1
    keys: int = 1
    repositories: int = 1
    security_groups: int = 1
    models: int = 1


def seed_light(account: Account, account_id: str, size: Light, regions: Iterable[str] = REGIONS) -> int:
    """Seed one account; returns how many resources were created (defaults of AWS not counted).
    Every region in ``regions`` is touched for every service the scan reads."""
    first = REGIONS[0]
    created = 0
    iam = account.client("iam")
    role_arn = ""
    for i in range(size.roles):
        role_arn = iam.create_role(RoleName=f"ml-exec-{i}", AssumeRolePolicyDocument=SAGEMAKER_TRUST)["Role"]["Arn"]
        created += 1
    s3 = account.client("s3")
    for i in range(size.buckets):
        s3.create_bucket(Bucket=f"ml-data-{account_id}-{i}")
        created += 1
    for i in range(size.keys):
        account.client("kms", first).create_key(Description=f"bench key {i}")
        created += 1
    for i in range(size.repositories):
        account.client("ecr", first).create_repository(repositoryName=f"trainer-{i}")
        created += 1
    ec2 = account.client("ec2", first)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    for i in range(size.security_groups):
        ec2.create_security_group(GroupName=f"ml-sg-{i}", Description="bench", VpcId=vpc)
        created += 1
    sagemaker = account.client("sagemaker", first)
    image = f"{account_id}.dkr.ecr.{first}.amazonaws.com/trainer-0:1.0"
    for i in range(size.models):
        sagemaker.create_model(ModelName=f"model-{i}", ExecutionRoleArn=role_arn, PrimaryContainer={"Image": image})
        created += 1
    warm(account, regions)
    return created


def warm(account: Account, regions: Iterable[str]) -> None:
    """One cheap read per (region, service): moto creates its backends on first use."""
    iam = account.client("iam")
    iam.get_account_summary()
    account.client("s3").list_buckets()
    for region in regions:
        account.client("ec2", region).describe_security_groups()
        account.client("sagemaker", region).list_models()
        account.client("kms", region).list_keys()
        account.client("ecr", region).describe_repositories()
        account.client("cloudtrail", region).describe_trails()


def seed_organization(url: str, members: int, size: Light, threads: int = 4) -> list[str]:
    ids = create_organization(url, members)
    warm(Account(url), REGIONS)  # the management account is scanned too

    def one(account_id: str) -> int:
        return seed_light(assume(url, account_id), account_id, size)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-org-seed") as pool:
        list(pool.map(one, ids))
    return ids


# ---------------------------------------------------------------------------------------------
# Running the scan
# ---------------------------------------------------------------------------------------------


@dataclass
class OrgResult:
    accounts: int
    regions: list[str]
    latency_ms: float
    seed_seconds: float
    scan: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, Any] = field(default_factory=dict)
    goals: list[dict[str, Any]] = field(default_factory=list)


def run_org(
    members: int = MEMBERS, *, latency: float = LATENCY, workers: int | None = None, launcher: Launcher | None = None
) -> OrgResult:
    with contextlib.ExitStack() as stack:
        if launcher is None:
            launcher = stack.enter_context(Launcher())
        return _run_org(members, latency, workers, launcher)


def _run_org(members: int, latency: float, workers: int | None, launcher: Launcher) -> OrgResult:
    from bench.run import cspm_command, request_counts, scanner_env
    from bench.wire import RESET_PATH

    with server_child() as url, tempfile.TemporaryDirectory(prefix="cspm-bench-org-") as out_dir:
        log(f"moto server (child process) on {url}; creating an organization of {members} member accounts ...")
        started = time.monotonic()
        seed_organization(url, members, Light())
        seed_seconds = time.monotonic() - started
        log(f"  seeded in {seed_seconds:.1f} s")
        post(url + RESET_PATH)
        set_latency(url, latency)
        regions = [arg for region in REGIONS for arg in ("--region", region)]
        argv = [*cspm_command(), "scan", "aws", "--org", "--endpoint-url", url, *regions, "--quiet",
                "--output-dir", out_dir]  # fmt: skip
        if workers:
            argv += ["--workers", str(workers)]
        log(f"scanning: {' '.join(argv[1:])}")
        scan = launcher.run(argv, scanner_env(), SCAN_TIMEOUT)
        set_latency(url, 0)
        if scan.exit_code not in (0, 3):
            raise RuntimeError(f"the scan exited {scan.exit_code}: {scan.stderr_tail}")
        report = json.loads((Path(out_dir) / "report.json").read_text(encoding="utf-8"))
        counts = request_counts(url)
    total = sum(counts.values())
    by_service: Counter[str] = Counter()
    for request, n in counts.items():
        by_service[request.service] += n
    scopes = report["scan"]["scopes"]
    result = OrgResult(
        accounts=len(scopes),
        regions=list(REGIONS),
        latency_ms=latency * 1000,
        seed_seconds=round(seed_seconds, 1),
        scan={
            "exit_code": scan.exit_code,
            "wall_seconds": round(scan.wall_seconds, 2),
            "cpu_seconds": round(scan.cpu_seconds, 2),
            "peak_rss_mb": round(scan.peak_rss_mb, 1),
            "complete": report["scan"]["complete"],
            "accounts_scanned": len(scopes),
            "accounts_with_scores": sum(1 for s in scopes if s.get("scores")),
            "resources": len(report["resources"]),
            "findings": len(report["findings"]),
            "errors": len(report["errors"]),
            "error_codes": dict(Counter(f"{e['service']}:{e['operation']}:{e['code']}" for e in report["errors"])),
        },
        requests={
            "total": total,
            "per_account": round(total / max(1, len(scopes)), 1),
            "per_second": round(total / max(scan.wall_seconds, 1e-9), 1),
            "by_service": dict(by_service.most_common()),
        },
    )
    result.goals = [
        _goal("50 accounts x 4 regions, 50 ms latency: wall", f"< {GOALS['wall_seconds']:g} s",
              result.scan["wall_seconds"], result.scan["wall_seconds"] < GOALS["wall_seconds"]),
        _goal("50 accounts x 4 regions, 50 ms latency: scanner peak RSS", f"< {GOALS['peak_rss_mb']:g} MB",
              result.scan["peak_rss_mb"], result.scan["peak_rss_mb"] < GOALS["peak_rss_mb"]),
        _goal("every account scanned", f"{members + 1} scopes", len(scopes), len(scopes) == members + 1),
    ]  # fmt: skip
    return result


def _goal(name: str, target: str, value: Any, met: bool) -> dict[str, Any]:
    return {"goal": name, "target": target, "value": value, "met": met}


def print_result(result: OrgResult) -> None:
    scan, req = result.scan, result.requests
    rows = [
        ("organization", f"{result.accounts} accounts x {len(result.regions)} regions ({', '.join(result.regions)})"),
        ("latency per request", f"{result.latency_ms:g} ms"),
        ("seeding", f"{result.seed_seconds:.1f} s"),
        ("scan (cspm scan aws --org)", ""),
        ("  exit code / complete", f"{scan['exit_code']} / {scan['complete']}"),
        ("  wall time", f"{scan['wall_seconds']:.2f} s"),
        ("  scanner CPU", f"{scan['cpu_seconds']:.2f} s"),
        ("  scanner peak RSS", f"{scan['peak_rss_mb']:.1f} MB"),
        ("  resources / findings / errors", f"{scan['resources']} / {scan['findings']} / {scan['errors']}"),
        ("  accounts with scores", str(scan["accounts_with_scores"])),
        ("requests", f"{req['total']} ({req['per_account']} per account, {req['per_second']} per second)"),
        ("  by service", ", ".join(f"{s} {n}" for s, n in req["by_service"].items())),
    ]
    width = max(len(k) for k, _ in rows) + 2
    print()
    for key, value in rows:
        print(f"{key:<{width}}{value}")
    print("\ngoals")
    for g in result.goals:
        print(f"  [{'ok' if g['met'] else 'MISSED'}] {g['goal']}: {g['value']} (target {g['target']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.org", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["run", "serve"], default="run")
    parser.add_argument("--members", type=int, default=MEMBERS, help="member accounts (the management one is extra)")
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds added to every request")
    parser.add_argument("--workers", type=int, default=None, help="cspm --workers (default: the CLI's --org default)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve()
    result = run_org(args.members, latency=args.latency, workers=args.workers)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result.__dict__, indent=2) + "\n", encoding="utf-8")
    print_result(result)
    print(f"\nwrote {args.output}")
    return 1 if args.strict and not all(g["met"] for g in result.goals) else 0


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _entry() -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return main()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except (RuntimeError, OSError, subprocess.SubprocessError, BotoCoreError, ClientError) as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(_entry())
