"""Side by side with the leading peer: ``python -m bench.peer`` (also run by ``make bench``).

The same single-account fixture (:func:`seed_fixture`: 37 resources in 7 services, S3, IAM,
VPC/EC2, SageMaker, ECR, KMS and CloudTrail, over 2 regions) on the same counting moto server
(``python -m bench.org serve``, a child process), scanned in turn by:

- ``cspm scan aws`` (every check, all 7 services);
- ``prowler aws --services s3 iam sagemaker vpc ec2 ecr kms cloudtrail`` (Prowler names VPC and
  EC2 as two services), installed with ``pip install prowler==5.46.0`` into its own virtual
  environment, ``bench/.peer-venv`` (git-ignored; created on the first run: minutes and ~2 GB,
  then reused). Its retries are capped at one attempt (``--aws-retries-max-attempts 1``), which
  favours it: otherwise it spends a minute in backoff on the APIs moto does not implement.

Both reach the server through ``--endpoint-url`` / ``AWS_ENDPOINT_URL``, with the same fake
credentials. Each run is measured from a small launcher process (:class:`bench.launcher.Launcher`):
wall time, CPU time, peak RSS, and the requests the server counted during that run. Each tool runs
``--repeat`` times (2), in turn, and the fastest run of each is compared: on a shared machine a
busy moment then cannot fall on one tool only.

Then both tools scan the same account again with the SageMaker listings moto lacks answering HTTP
500 every time (:data:`FAILING_LISTINGS`, in both regions; ``bench.org.FailingListings``): the
account of issue 11, on which cspm used to spend a minute in retries.

Goals (issue 7): cspm at least 10x faster than the peer, with at most half its requests. Issue 11:
with the listings failing, cspm within 1 s of its wall time on the answered account, every failing
call in its ``errors``, and still at least 10x faster than the peer. Writes
``bench/results/peer.json``. If the peer cannot be installed, the reason is printed and recorded,
and cspm's own figures are still measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.launcher import Launcher, Measured
from bench.org import Account, log, post, server_child, set_failing, set_latency

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "peer.json"
PEER_VENV = HERE / ".peer-venv"
PEER_VERSION = "5.46.0"
PEER_SERVICES = ("s3", "iam", "sagemaker", "vpc", "ec2", "ecr", "kms", "cloudtrail")
REGIONS = ("us-east-1", "eu-west-1")
ACCOUNT = "123456789012"
INSTALL_TIMEOUT = 1800.0
SCAN_TIMEOUT = 900.0
GOALS = {"speedup": 10.0, "request_ratio": 0.5, "failing_extra_seconds": 1.0}
# What moto lacks (see cspm.demo.server.EmptyListings) and the scan calls: with ``--failing`` they
# answer moto's HTTP 500 page every time, in both regions (issue 11).
FAILING_LISTINGS = (
    "ListFeatureGroups",
    "ListInferenceExperiments",
    "ListMonitoringSchedules",
    "ListNotebookInstanceLifecycleConfigs",
)


# ---------------------------------------------------------------------------------------------
# The fixture
# ---------------------------------------------------------------------------------------------


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(principal: dict[str, Any]) -> str:
    return _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


ADMIN = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
BLOCK_ALL = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}


def seed_fixture(url: str) -> dict[str, int]:
    """A small ML account, good and bad settings mixed; what was created, by kind. Besides these,
    each region has moto's default VPC and its default security group (4 more resources)."""
    account = Account(url)
    made: Counter[str] = Counter()
    roles = _seed_iam(account, made)
    keys = {region: account.client("kms", region).create_key(Description="ml data")["KeyMetadata"]["Arn"]
            for region in REGIONS}  # fmt: skip
    made["kms key"] += len(keys)
    _seed_s3(account, keys, made)
    for region in REGIONS:
        ec2 = account.client("ec2", region)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        group = ec2.create_security_group(GroupName="notebooks", Description="jupyter", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 8888, "ToPort": 8888, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
        ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Gateway", ServiceName=f"com.amazonaws.{region}.s3")
        account.client("ecr", region).create_repository(repositoryName="ml/trainer")
        made["security group"] += 1
        made["vpc endpoint"] += 1
        made["ecr repository"] += 1
    _seed_sagemaker(account, roles["ml-exec-admin"], keys[REGIONS[0]], made)
    trail = account.client("cloudtrail")
    trail.create_trail(Name="org-trail", S3BucketName="ml-audit-logs", IsMultiRegionTrail=True)
    trail.start_logging(Name="org-trail")
    made["cloudtrail trail"] += 1
    return dict(made)


def _seed_iam(account: Account, made: Counter[str]) -> dict[str, str]:
    iam = account.client("iam")
    admin = iam.create_policy(PolicyName="break-glass", PolicyDocument=ADMIN)["Policy"]["Arn"]
    read = iam.create_policy(
        PolicyName="data-read",
        PolicyDocument=_doc({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::ml-data/*"}),
    )["Policy"]["Arn"]
    made["iam policy"] += 2
    iam.create_group(GroupName="data-scientists")
    iam.attach_group_policy(GroupName="data-scientists", PolicyArn=read)
    made["iam group"] += 1
    for name in ("alice", "bob", "ci-bot"):
        iam.create_user(UserName=name)
        made["iam user"] += 1
    iam.add_user_to_group(GroupName="data-scientists", UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-horse-1")
    iam.attach_user_policy(UserName="bob", PolicyArn=admin)
    iam.create_access_key(UserName="ci-bot")
    roles = {}
    for name, principal in (
        ("ml-exec-admin", {"Service": "sagemaker.amazonaws.com"}),
        ("ml-exec-scoped", {"Service": "sagemaker.amazonaws.com"}),
        ("vendor-audit", {"AWS": "arn:aws:iam::210987654321:root"}),
        ("batch-ec2", {"Service": "ec2.amazonaws.com"}),
    ):
        roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(principal))["Role"]["Arn"]
        made["iam role"] += 1
    iam.put_role_policy(RoleName="ml-exec-admin", PolicyName="inline-admin", PolicyDocument=ADMIN)
    iam.attach_role_policy(RoleName="ml-exec-scoped", PolicyArn=read)
    return roles


def _seed_s3(account: Account, keys: dict[str, str], made: Counter[str]) -> None:
    buckets = [
        ("ml-data", REGIONS[0], "kms"),
        ("ml-artifacts", REGIONS[0], "sse-s3"),
        ("ml-public-datasets", REGIONS[0], "public"),
        ("ml-audit-logs", REGIONS[0], "sse-s3"),
        ("ml-features-eu", REGIONS[1], "kms"),
        ("ml-scratch-eu", REGIONS[1], "none"),
    ]
    for name, region, kind in buckets:
        s3 = account.client("s3", region)
        params: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**params)
        made["s3 bucket"] += 1
        if kind in ("kms", "sse-s3"):
            rule: dict[str, Any] = {"SSEAlgorithm": "AES256"}
            if kind == "kms":
                rule = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": keys[region]}
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": rule}]},
            )
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
        if kind == "public":
            public = {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
            s3.put_bucket_policy(Bucket=name, Policy=_doc(public))


def _seed_sagemaker(account: Account, role: str, key: str, made: Counter[str]) -> None:
    region = REGIONS[0]
    sagemaker = account.client("sagemaker", region)
    image = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/ml/trainer:1.0"
    sagemaker.create_notebook_instance(
        NotebookInstanceName="research", InstanceType="ml.t3.medium", RoleArn=role, DirectInternetAccess="Enabled",
        RootAccess="Enabled",
    )  # fmt: skip
    sagemaker.create_training_job(
        TrainingJobName="churn-train",
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        RoleArn=role,
        OutputDataConfig={"S3OutputPath": "s3://ml-artifacts/churn", "KmsKeyId": key},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    for model_region in REGIONS:
        account.client("sagemaker", model_region).create_model(
            ModelName="churn", ExecutionRoleArn=role,
            PrimaryContainer={"Image": image, "ModelDataUrl": "s3://ml-artifacts/churn/model.tar.gz"},
        )  # fmt: skip
    sagemaker.create_endpoint_config(
        EndpointConfigName="churn",
        ProductionVariants=[{"VariantName": "main", "ModelName": "churn", "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large"}],
    )  # fmt: skip
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn")
    made.update({"sagemaker notebook": 1, "sagemaker training job": 1, "sagemaker model": 2,
                 "sagemaker endpoint config": 1, "sagemaker endpoint": 1})  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The peer's installation
# ---------------------------------------------------------------------------------------------


@dataclass
class Install:
    ok: bool
    version: str = ""
    seconds: float = 0.0  # this run's installation time (0 when reused)
    reused: bool = False
    size_mb: float = 0.0
    problem: str = ""


def ensure_peer() -> Install:
    """``bench/.peer-venv`` with prowler, created on the first run and reused afterwards."""
    prowler = PEER_VENV / "bin" / "prowler"
    started = time.monotonic()
    reused = prowler.exists()
    if not reused:
        log(f"installing prowler=={PEER_VERSION} into {PEER_VENV} (once; minutes and ~2 GB) ...")
        try:
            _install()
        except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
            return Install(ok=False, problem=f"{type(exc).__name__}: {exc}")
    try:
        done = subprocess.run([str(prowler), "--version"], capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return Install(ok=False, problem=f"prowler --version failed: {exc}")
    version = done.stdout.strip().removeprefix("Prowler ").strip()
    if done.returncode != 0 or not version:
        return Install(ok=False, problem=f"prowler --version exited {done.returncode}: {done.stderr[-500:]}")
    return Install(
        ok=True,
        version=version,
        seconds=0.0 if reused else round(time.monotonic() - started, 1),
        reused=reused,
        size_mb=round(_size(PEER_VENV) / 2**20, 1),
    )


def _install() -> None:
    log_path = Path(tempfile.gettempdir()) / "cspm-bench-peer-install.log"
    with log_path.open("w", encoding="utf-8") as out:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(PEER_VENV)],
            [str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
            [str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", f"prowler=={PEER_VERSION}"],
        ]
        for step in steps:
            done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT, check=False)
            if step[1:3] == ["-m", "venv"]:
                # git-ignored without touching the repository's .gitignore
                (PEER_VENV / ".gitignore").write_text("*\n", encoding="utf-8")
            if done.returncode != 0:
                tail = [line for line in log_path.read_text(encoding="utf-8").splitlines()
                        if not line.startswith("WARNING: Location")][-5:]  # fmt: skip
                raise RuntimeError(f"{' '.join(step[-3:])} exited {done.returncode}: {' | '.join(tail)}")


def _size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


# ---------------------------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    tool: str
    exit_code: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    requests: int
    by_service: dict[str, int] = field(default_factory=dict)
    findings: int = 0
    resources: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # "service:Operation code" -> count (cspm)


def _counted(url: str) -> Counter[str]:
    from bench.run import request_counts

    by_service: Counter[str] = Counter()
    for request, n in request_counts(url).items():
        by_service[request.service] += n
    return by_service


def run_cspm(url: str, launcher: Launcher, out_dir: Path) -> Run:
    from bench.run import cspm_command, scanner_env
    from bench.wire import RESET_PATH

    post(url + RESET_PATH)
    regions = [arg for region in REGIONS for arg in ("--region", region)]
    argv = [*cspm_command(), "scan", "aws", "--endpoint-url", url, *regions, "--quiet", "--output-dir", str(out_dir)]
    measured = launcher.run(argv, scanner_env(), SCAN_TIMEOUT)
    _check(measured, "cspm", ok=(0, 3))
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    counted = _counted(url)
    errors = Counter(f"{e['service']}:{e['operation']} {e['code']}" for e in report["errors"])
    return Run("cspm", measured.exit_code, round(measured.wall_seconds, 2), round(measured.cpu_seconds, 2),
               round(measured.peak_rss_mb, 1), sum(counted.values()), dict(counted.most_common()),
               findings=len(report["findings"]), resources=len(report["resources"]),
               errors=dict(sorted(errors.items())))  # fmt: skip


def run_prowler(url: str, launcher: Launcher, out_dir: Path) -> Run:
    from bench.run import scanner_env
    from bench.wire import RESET_PATH

    post(url + RESET_PATH)
    argv = [str(PEER_VENV / "bin" / "prowler"), "aws", "--services", *PEER_SERVICES, "--region", *REGIONS,
            "--output-formats", "json-ocsf", "--output-directory", str(out_dir), "--no-banner", "--no-color",
            "--ignore-exit-code-3", "--aws-retries-max-attempts", "1"]  # fmt: skip
    env = dict(scanner_env(), AWS_ENDPOINT_URL=url, HOME=str(out_dir))
    measured = launcher.run(argv, env, SCAN_TIMEOUT, cwd=str(out_dir))
    _check(measured, "prowler", ok=(0, 3))
    findings = 0
    resources: set[str] = set()
    for path in out_dir.rglob("*.ocsf.json"):
        for item in json.loads(path.read_text(encoding="utf-8") or "[]"):
            findings += 1
            resources.update(r.get("uid", "") for r in item.get("resources", []))
    counted = _counted(url)
    return Run("prowler", measured.exit_code, round(measured.wall_seconds, 2), round(measured.cpu_seconds, 2),
               round(measured.peak_rss_mb, 1), sum(counted.values()), dict(counted.most_common()),
               findings=findings, resources=len(resources))  # fmt: skip


def _check(measured: Measured, tool: str, ok: tuple[int, ...]) -> None:
    if measured.exit_code not in ok:
        raise RuntimeError(f"{tool} exited {measured.exit_code}: {measured.stderr_tail[-1500:]}")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def run_peer(*, latency: float = 0.0, repeat: int = 2, launcher: Launcher | None = None) -> dict[str, Any]:
    """Each tool ``repeat`` times, in turn (so a busy moment of a shared machine hits both); the
    fastest run of each is compared (every run is kept in the results). Then the same again with
    the SageMaker listings moto lacks failing (HTTP 500, every time): the fixture of issue 11."""
    own = launcher is None
    launcher = launcher or Launcher()
    runs: dict[str, list[Run]] = {"cspm": [], "prowler": [], "cspm-failing": [], "prowler-failing": []}
    try:
        install = ensure_peer()
        if not install.ok:
            log(f"the peer could not be installed: {install.problem}")
        with server_child() as url, tempfile.TemporaryDirectory(prefix="cspm-bench-peer-") as tmp:
            log(f"moto server (child process) on {url}; seeding the single-account fixture ...")
            made = seed_fixture(url)
            set_latency(url, latency)
            for failing in (False, True):
                set_failing(url, failing)
                suffix = "-failing" if failing else ""
                for i in range(repeat):
                    log(f"scanning with cspm{suffix} ({i + 1}/{repeat}) ...")
                    runs[f"cspm{suffix}"].append(run_cspm(url, launcher, _mkdir(Path(tmp) / f"cspm{suffix}-{i}")))
                    if install.ok:
                        log(f"scanning with prowler {install.version}{suffix} ({i + 1}/{repeat}) ...")
                        out = _mkdir(Path(tmp) / f"prowler{suffix}-{i}")
                        runs[f"prowler{suffix}"].append(run_prowler(url, launcher, out))
    finally:
        if own:
            launcher.close()
    fastest = {tool: _fastest(found) if found else None for tool, found in runs.items()}
    results = _results(made, latency, install, fastest["cspm"], fastest["prowler"])  # type: ignore[arg-type]
    results["failing"] = _failing(fastest)
    results["goals"] += results["failing"].pop("goals")
    results["runs"] = {tool: [asdict(r) for r in found] for tool, found in runs.items()}
    return results


def _failing(fastest: dict[str, Run | None]) -> dict[str, Any]:
    """The fixture whose listings keep failing, against the same account answered."""
    cspm, answered, prowler = fastest["cspm-failing"], fastest["cspm"], fastest["prowler-failing"]
    assert cspm is not None and answered is not None
    expected = {f"sagemaker:{op} 500" for op in FAILING_LISTINGS}
    recorded = {key for key in cspm.errors if key in expected}
    extra = cspm.wall_seconds - answered.wall_seconds
    failing: dict[str, Any] = {
        "listings": list(FAILING_LISTINGS),
        "regions": list(REGIONS),
        "cspm": asdict(cspm),
        "prowler": asdict(prowler) if prowler else None,
        "extra_seconds": round(extra, 2),
    }
    goals = [
        _goal("listings that keep failing cost (vs answered)", f"<= {GOALS['failing_extra_seconds']:g} s",
              round(extra, 2), extra <= GOALS["failing_extra_seconds"]),
        _goal("every failing listing in errors, in both regions", f"{len(expected) * len(REGIONS)} errors",
              sum(cspm.errors.get(k, 0) for k in expected), recorded == expected
              and all(cspm.errors[k] == len(REGIONS) for k in expected)),
    ]  # fmt: skip
    if prowler is not None:
        speedup = prowler.wall_seconds / max(cspm.wall_seconds, 1e-9)
        failing["speedup"] = round(speedup, 1)
        goals.append(_goal("faster than the peer, listings failing", f">= {GOALS['speedup']:g}x",
                           round(speedup, 1), speedup >= GOALS["speedup"]))  # fmt: skip
    else:
        goals.append(_goal("peer measured side by side, listings failing", "prowler installed", "not measured", False))
    failing["goals"] = goals
    return failing


def _fastest(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall_seconds)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _results(made: dict[str, int], latency: float, install: Install, cspm: Run, prowler: Run | None) -> dict[str, Any]:
    results: dict[str, Any] = {
        "fixture": {"created": made, "resources_created": sum(made.values()), "regions": list(REGIONS),
                    "latency_ms": latency * 1000},
        "peer_install": asdict(install),
        "cspm": asdict(cspm),
        "prowler": asdict(prowler) if prowler else None,
        "goals": [],
    }  # fmt: skip
    if prowler is None:
        results["goals"] = [_goal("peer measured side by side", "prowler installed", install.problem, False)]
        return results
    speedup = prowler.wall_seconds / max(cspm.wall_seconds, 1e-9)
    ratio = cspm.requests / max(prowler.requests, 1)
    results["comparison"] = {
        "speedup": round(speedup, 1),
        "request_ratio": round(ratio, 3),
        "rss_ratio": round(cspm.peak_rss_mb / max(prowler.peak_rss_mb, 1e-9), 3),
    }
    results["goals"] = [
        _goal("faster than the peer on the same fixture", f">= {GOALS['speedup']:g}x", round(speedup, 1),
              speedup >= GOALS["speedup"]),
        _goal("requests relative to the peer", f"<= {GOALS['request_ratio']:g}", round(ratio, 3),
              ratio <= GOALS["request_ratio"]),
    ]  # fmt: skip
    return results


def _goal(name: str, target: str, value: Any, met: bool) -> dict[str, Any]:
    return {"goal": name, "target": target, "value": value, "met": met}


def print_results(results: dict[str, Any]) -> None:
    fixture, install = results["fixture"], results["peer_install"]
    print(f"\nfixture: {fixture['resources_created']} resources created (plus AWS defaults) in "
          f"{', '.join(fixture['regions'])}; latency {fixture['latency_ms']:g} ms per request")  # fmt: skip
    if install["ok"]:
        how = "reused" if install["reused"] else f"installed in {install['seconds']:.0f} s"
        print(f"peer: prowler {install['version']} ({how}, {install['size_mb']:.0f} MB on disk)")
    else:
        print(f"peer: NOT MEASURED: {install['problem']}")
    runs = results.get("runs", {})
    for tool in ("cspm", "prowler"):
        if len(runs.get(tool, [])) > 1:
            print(
                f"{tool} runs (wall s): "
                + ", ".join(f"{r['wall_seconds']:.2f}" for r in runs[tool])
                + "; the fastest counts"
            )
    header = f"{'':<10}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'requests':>10}{'resources':>11}{'findings':>10}"
    print("\n" + header)
    for tool in ("cspm", "prowler"):
        run = results[tool]
        if run:
            print(f"{tool:<10}{run['wall_seconds']:>9.2f}{run['cpu_seconds']:>9.2f}{run['peak_rss_mb']:>9.1f}"
                  f"{run['requests']:>10}{run['resources']:>11}{run['findings']:>10}")  # fmt: skip
    for tool in ("cspm", "prowler"):
        if results[tool]:
            print(
                f"  {tool} requests by service: "
                + ", ".join(f"{s} {n}" for s, n in results[tool]["by_service"].items())
            )
    failing = results.get("failing")
    if failing:
        print(f"\nlistings failing (HTTP 500 every time): {', '.join(failing['listings'])}")
        for tool in ("cspm", "prowler"):
            run = failing[tool]
            if run:
                print(f"{tool:<10}{run['wall_seconds']:>9.2f}{run['cpu_seconds']:>9.2f}{run['peak_rss_mb']:>9.1f}"
                      f"{run['requests']:>10}{run['resources']:>11}{run['findings']:>10}")  # fmt: skip
        print("  cspm errors: " + ", ".join(f"{k} x{n}" for k, n in failing["cspm"]["errors"].items()))
    print("\ngoals")
    for g in results["goals"]:
        print(f"  [{'ok' if g['met'] else 'MISSED'}] {g['goal']}: {g['value']} (target {g['target']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request (default 0)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each tool; the fastest counts (default 2)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    results = run_peer(latency=args.latency, repeat=max(1, args.repeat))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_results(results)
    print(f"\nwrote {args.output}")
    return 1 if args.strict and not all(g["met"] for g in results["goals"]) else 0


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
