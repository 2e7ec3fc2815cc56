"""The benchmark: ``make bench`` (``python -m bench.run``).

1. Starts a moto server in a **child process** (:mod:`bench.server`), so the scanner's figures
   exclude moto, behind a middleware that counts requests by service, operation and bucket.
2. Seeds a large synthetic account over the wire (:mod:`bench.seed`; threaded, a minute or two).
3. Runs ``cspm scan aws --endpoint-url ... --quiet`` as a subprocess and measures its wall time,
   CPU time (user + sys) and peak RSS from a small launcher process (:mod:`bench.launcher`), so
   that the scanner's figures are its own, not this process's.
4. Reads the request counts: total, per resource, per S3 bucket (max, mean), IAM requests against
   the number of principals, SageMaker requests per resource.
5. Times ``cspm --version`` and ``cspm --help`` (median of 5) and checks that neither imports a
   cloud SDK.
6. With ``--profile-checks``, times each check's evaluation in-process (:mod:`bench.profile`).

Prints a table, writes the figures to ``bench/results/latest.json`` and compares them with the
goals. Exit status: 0 when the benchmark ran (1 with ``--strict`` when a goal is missed), 1 when
it could not run. The server child is always stopped, and stops itself if this process dies.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bench.child import server_child
from bench.launcher import Launcher, Measured
from bench.seed import BEDROCK_KINDS, Size, seed
from bench.wire import COUNTS_PATH, RESET_PATH, Request

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
SCAN_TIMEOUT = 900.0
CLI_RUNS = 5
GAAD_PAGE_SIZE = 1000  # providers/aws/iam.py asks for MaxItems=1000
SDK_PACKAGES = ("boto3", "botocore", "s3transfer", "moto", "azure", "google")

GOALS = {
    "version_seconds": 0.3,
    "help_seconds": 0.3,
    "requests_per_bucket_max": 8,
    "scanner_peak_rss_mb": 200,
}


# ---------------------------------------------------------------------------------------------
# The server child
# ---------------------------------------------------------------------------------------------


@contextmanager
def moto_child(bedrock_gaps: int = 0) -> Iterator[str]:
    """Start :mod:`bench.server` in a child process (holding ``bedrock_gaps`` of each Bedrock kind
    moto lacks per region); yield its URL; always stop it."""
    with server_child(["-m", "bench.server"], {"CSPM_BENCH_BEDROCK_GAPS": str(bedrock_gaps)}) as url:
        yield url


def _http(url: str, method: str = "GET") -> bytes:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as response:  # 127.0.0.1 only
        body: bytes = response.read()
        return body


def request_counts(url: str) -> Counter[Request]:
    raw = json.loads(_http(url + COUNTS_PATH))
    return Counter({Request.from_key(key): count for key, count in raw.items()})


# ---------------------------------------------------------------------------------------------
# Running the scanner
# ---------------------------------------------------------------------------------------------


def cspm_command() -> list[str]:
    script = Path(sys.executable).with_name("cspm")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "cspm.cli"]


def scanner_env() -> dict[str, str]:
    """Fake credentials; the user's AWS configuration is never read. Bytecode is cached, as in
    any installation (pip compiles it; ``PYTHONDONTWRITEBYTECODE``, set in some sandboxes, would
    make every run compile ~500 modules again: about 1 s of CPU, as much as the scan itself)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def cli_startup(command: list[str]) -> dict[str, Any]:
    """Median wall time of ``--version`` and ``--help``, and the SDK modules each imports."""
    out: dict[str, Any] = {}
    env = scanner_env()
    for flag in ("--version", "--help"):
        times = []
        for _ in range(CLI_RUNS):
            started = time.monotonic()
            subprocess.run([*command, flag], capture_output=True, check=True, env=env, timeout=60)
            times.append(time.monotonic() - started)
        out[flag] = {"median_seconds": statistics.median(times), "runs": times, "sdk_modules": _sdk_modules(flag, env)}
    return out


_PROBE = """
import sys, json
from cspm.cli import main
code = main([{flag!r}])
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({packages!r}))
sys.stderr.write("\\nBENCH-MODULES " + json.dumps({{"code": code, "loaded": loaded}}) + "\\n")
"""


def _sdk_modules(flag: str, env: dict[str, str]) -> list[str]:
    probe = _PROBE.format(flag=flag, packages=SDK_PACKAGES)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    for line in done.stderr.splitlines():
        if line.startswith("BENCH-MODULES "):
            result = json.loads(line.removeprefix("BENCH-MODULES "))
            if result["code"] != 0:
                raise RuntimeError(f"cspm {flag} exited {result['code']}")
            loaded: list[str] = result["loaded"]
            return loaded
    raise RuntimeError(f"the import probe for {flag} failed: {done.stderr[-500:]}")


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def request_figures(counts: Counter[Request], report: dict[str, Any]) -> dict[str, Any]:
    resources = report["resources"]
    by_type = Counter(r["type"] for r in resources)
    total = sum(counts.values())
    by_service: Counter[str] = Counter()
    by_operation: Counter[str] = Counter()
    per_bucket: Counter[str] = Counter()
    located: Counter[str] = Counter()  # GetBucketLocation, needed only because moto lacks BucketRegion
    for request, n in counts.items():
        by_service[request.service] += n
        by_operation[f"{request.service}:{request.operation}"] += n
        if request.service == "s3" and request.bucket:
            per_bucket[request.bucket] += n
            if request.operation == "GetBucketLocation":
                located[request.bucket] += n
    bucket_names = {r["name"] for r in resources if r["type"] == "aws.s3.bucket"}
    bucket_counts = [per_bucket.get(name, 0) for name in bucket_names]
    on_aws = [per_bucket.get(name, 0) - located.get(name, 0) for name in bucket_names]
    iam_ops = {op: n for op, n in by_operation.items() if op.startswith("iam:")}
    principals = sum(by_type[t] for t in ("aws.iam.user", "aws.iam.role", "aws.iam.group"))
    iam_items = principals + by_type["aws.iam.policy"]
    sagemaker_resources = sum(n for t, n in by_type.items() if t.startswith("aws.sagemaker."))
    bedrock_resources = sum(n for t, n in by_type.items() if t.startswith(("aws.bedrock.", "aws.bedrock_agentcore.")))
    bedrock_requests = by_service["bedrock"] + by_service["bedrock-agentcore"]
    return {
        "total": total,
        "resources": len(resources),
        "per_resource": total / max(1, len(resources)),
        "by_service": dict(by_service.most_common()),
        "by_operation": dict(by_operation.most_common()),
        "s3": {
            "buckets": len(bucket_names),
            "per_bucket_max": max(bucket_counts, default=0),
            "per_bucket_mean": statistics.fmean(bucket_counts) if bucket_counts else 0.0,
            # Real AWS returns BucketRegion in ListBuckets, so the scanner skips GetBucketLocation.
            "per_bucket_max_on_aws": max(on_aws, default=0),
            "per_bucket_mean_on_aws": statistics.fmean(on_aws) if on_aws else 0.0,
            "not_per_bucket": sum(n for r, n in counts.items() if r.service in ("s3", "s3control") and not r.bucket),
        },
        "iam": {
            "requests": sum(iam_ops.values()),
            "principals": principals,
            "items": iam_items,
            "authorization_details_pages": iam_ops.get("iam:GetAccountAuthorizationDetails", 0),
            "pages_on_aws": math.ceil(iam_items / GAAD_PAGE_SIZE),
            "by_operation": iam_ops,
        },
        "sagemaker": {
            "requests": by_service["sagemaker"],
            "resources": sagemaker_resources,
            "per_resource": by_service["sagemaker"] / max(1, sagemaker_resources),
        },
        "bedrock": {
            "requests": bedrock_requests,
            "resources": bedrock_resources,
            "per_resource": bedrock_requests / max(1, bedrock_resources),
        },
        "ec2": {
            "requests": by_service["ec2"],
            "resources": sum(n for t, n in by_type.items() if t.startswith("aws.ec2.")),
        },
    }


def goals(scan: Measured, requests: dict[str, Any], cli: dict[str, Any]) -> list[dict[str, Any]]:
    version, help_ = cli["--version"], cli["--help"]
    s3, iam = requests["s3"], requests["iam"]
    # IAM grows with pages, not principals: one call per GetAccountAuthorizationDetails page and a
    # handful of account-level calls (summary, password policy, credential report and its polls).
    iam_fixed = iam["requests"] - iam["authorization_details_pages"]
    iam_ok = iam["authorization_details_pages"] <= max(1, iam["pages_on_aws"]) and iam_fixed <= 10
    sdks = sorted(set(version["sdk_modules"]) | set(help_["sdk_modules"]))
    return [
        _goal("cspm --version (median)", f"< {GOALS['version_seconds']} s", round(version["median_seconds"], 3),
              version["median_seconds"] < GOALS["version_seconds"]),
        _goal("cspm --help (median)", f"< {GOALS['help_seconds']} s", round(help_["median_seconds"], 3),
              help_["median_seconds"] < GOALS["help_seconds"]),
        _goal("--version / --help import no cloud SDK", "none", sdks, not sdks),
        _goal("requests per S3 bucket on AWS (max; moto adds GetBucketLocation)",
              f"<= {GOALS['requests_per_bucket_max']}", s3["per_bucket_max_on_aws"],
              s3["per_bucket_max_on_aws"] <= GOALS["requests_per_bucket_max"]),
        _goal("IAM requests grow with pages, not principals",
              f"pages + <= 10 for {iam['principals']} principals", iam["requests"], iam_ok),
        _goal("scanner peak RSS", f"< {GOALS['scanner_peak_rss_mb']} MB", round(scan.peak_rss_mb, 1),
              scan.peak_rss_mb < GOALS["scanner_peak_rss_mb"]),
    ]  # fmt: skip


def _goal(name: str, target: str, value: Any, met: bool) -> dict[str, Any]:
    return {"goal": name, "target": target, "value": value, "met": met}


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def table_rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    acct, scan, req, cli = results["account"], results["scan"], results["requests"], results["cli"]
    s3, iam, sm = req["s3"], req["iam"], req["sagemaker"]
    cpu = f"{scan['cpu_seconds']:.2f} s ({scan['user_seconds']:.2f} user + {scan['sys_seconds']:.2f} sys)"
    per_bucket = (
        f"{s3['per_bucket_max']} / {s3['per_bucket_mean']:.2f} on moto, "
        f"{s3['per_bucket_max_on_aws']} / {s3['per_bucket_mean_on_aws']:.2f} without GetBucketLocation "
        f"({s3['buckets']} buckets)"
    )
    iam_text = (
        f"{iam['requests']} requests for {iam['principals']} principals; "
        f"{iam['authorization_details_pages']} GetAccountAuthorizationDetails page(s), {iam['pages_on_aws']} on AWS"
    )
    return [
        ("account", ""),
        ("  buckets / roles / users", f"{acct['buckets']} / {acct['roles']} / {acct['users']}"),
        ("  SageMaker resources", f"{sum(acct['sagemaker'].values())} in {', '.join(acct['regions'])}"),
        ("  seeding", f"{acct['seed_seconds']:.1f} s"),
        ("scan (cspm scan aws --quiet)", ""),
        ("  exit code / complete", f"{scan['exit_code']} / {scan['complete']}"),
        ("  wall time", f"{scan['wall_seconds']:.2f} s"),
        ("  scanner CPU", cpu),
        ("  scanner peak RSS", f"{scan['peak_rss_mb']:.1f} MB"),
        ("  resources / findings / errors", f"{scan['resources']} / {scan['findings']} / {scan['errors']}"),
        ("requests", ""),
        ("  total", f"{req['total']} ({req['per_resource']:.2f} per resource)"),
        ("  by service", ", ".join(f"{s} {n}" for s, n in req["by_service"].items())),
        ("  S3 per bucket: max / mean", per_bucket),
        ("  S3 not per bucket", str(s3["not_per_bucket"])),
        ("  IAM", iam_text),
        ("  SageMaker", f"{sm['requests']} for {sm['resources']} resources ({sm['per_resource']:.2f} per resource)"),
        ("  EC2", f"{req['ec2']['requests']} for {req['ec2']['resources']} resources"),
        (f"CLI start-up (median of {CLI_RUNS})", ""),
        ("  cspm --version", f"{cli['--version']['median_seconds']:.3f} s"),
        ("  cspm --help", f"{cli['--help']['median_seconds']:.3f} s"),
    ]


def print_table(results: dict[str, Any]) -> None:
    rows = table_rows(results)
    width = max(len(key) for key, _ in rows) + 2
    print()
    for key, value in rows:
        print(f"{key:<{width}}{value}")
    profile = results.get("check_profile")
    if profile:
        print(
            f"\nchecks, evaluated one at a time in-process: {profile['evaluate_seconds']:.1f} s for "
            f"{profile['checks']} checks (collection {profile['collect_seconds']:.1f} s); slowest:"
        )
        for row in profile["slowest"][:10]:
            print(
                f"  {row['seconds']:7.2f} s  +{row['peak_rss_growth_mb']:4.0f} MB peak  "
                f"{row['findings']:5d} findings  {row['check']}"
            )
    print("\ngoals")
    for g in results["goals"]:
        print(f"  [{'ok' if g['met'] else 'MISSED'}] {g['goal']}: {g['value']} (target {g['target']})")
    print(f"\nwrote {results['output']}")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    default = Size()
    parser.add_argument("--buckets", type=int, default=default.buckets)
    parser.add_argument("--roles", type=int, default=default.roles)
    parser.add_argument("--users", type=int, default=default.users)
    parser.add_argument("--sagemaker", type=int, default=default.sagemaker, help="SageMaker resources, all regions")
    parser.add_argument(
        "--bedrock", type=int, default=default.bedrock, help="Bedrock/AgentCore resources moto holds, all regions"
    )
    parser.add_argument("--seed-threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=8, help="cspm --workers")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--profile-checks",
        action="store_true",
        help="also collect in-process and time every check's evaluation (about a minute more)",
    )
    parser.add_argument("--skip-org", action="store_true", help="skip the organization benchmark (bench/org.py)")
    parser.add_argument("--skip-peer", action="store_true", help="skip the side by side with the peer (bench/peer.py)")
    parser.add_argument(
        "--skip-distributed", action="store_true", help="skip the sharded-scan benchmark (bench/distributed.py)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    size = Size(
        buckets=args.buckets, roles=args.roles, users=args.users, sagemaker=args.sagemaker, bedrock=args.bedrock
    )
    command = cspm_command()
    gaps = max(1, size.bedrock // len(size.regions) // len(BEDROCK_KINDS))
    # The launcher first, while this process is small: see bench.launcher.
    with Launcher() as launcher, moto_child(gaps) as url, tempfile.TemporaryDirectory(prefix="cspm-bench-") as out_dir:
        log(f"moto server (child process) on {url}; seeding {size} ...")
        started = time.monotonic()
        seeded = seed(url, size, threads=args.seed_threads, progress=lambda what: log(f"  seeded {what}"))
        seed_seconds = time.monotonic() - started
        _http(url + RESET_PATH, "POST")  # count the scan's requests only
        regions = [arg for region in size.regions for arg in ("--region", region)]
        argv_scan = [*command, "scan", "aws", "--endpoint-url", url, *regions, "--quiet",
                     "--workers", str(args.workers), "--output-dir", out_dir]  # fmt: skip
        log(f"scanning: {' '.join(argv_scan[1:])}")
        scan = launcher.run(argv_scan, scanner_env(), SCAN_TIMEOUT)
        if scan.exit_code not in (0, 3):
            raise RuntimeError(f"the scan exited {scan.exit_code}: {scan.stderr_tail}")
        report = json.loads((Path(out_dir) / "report.json").read_text(encoding="utf-8"))
        counts = request_counts(url)
        profile = None
        if args.profile_checks:
            from bench.profile import profile_checks

            log("profiling the checks in-process ...")
            profile = profile_checks(url, size.regions, scanner_env(), workers=args.workers)
    log("timing cspm --version and --help ...")
    cli = cli_startup(command)
    requests = request_figures(counts, report)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": _versions(),
        "account": {
            **asdict(size),
            "groups": seeded.groups,
            "policies": seeded.policies,
            "sagemaker": seeded.sagemaker,
            "bedrock": seeded.bedrock,
            "security_groups": seeded.security_groups,
            "seed_seconds": seed_seconds,
        },
        "scan": {
            **asdict(scan),
            "cpu_seconds": scan.cpu_seconds,
            "complete": report["scan"]["complete"],
            "resources": len(report["resources"]),
            "findings": len(report["findings"]),
            "errors": len(report["errors"]),
        },
        "requests": requests,
        "cli": cli,
        "goals": goals(scan, requests, cli),
        "check_profile": profile,
        "output": str(args.output),
    }
    results["scan"].pop("stderr_tail")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    missed = [g for g in results["goals"] if not g["met"]]
    return max(1 if missed and args.strict else 0, _more_benchmarks(args))


def _more_benchmarks(args: argparse.Namespace) -> int:
    """The organization benchmark and the side by side with the leading peer (issue 7), the
    sharded organization scan (issue 17)."""
    from bench import distributed, org, peer

    flags = ["--strict"] if args.strict else []
    status = 0 if args.skip_org else org.main(flags)
    status = max(status, 0 if args.skip_peer else peer.main(flags))
    return max(status, 0 if args.skip_distributed else distributed.main([]))


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("cspm", "boto3", "moto"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _entry() -> int:
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
