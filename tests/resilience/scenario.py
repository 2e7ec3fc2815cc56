"""The scans of one seeded account that the AWS resilience tests read (see conftest.scenario).

Everything is taken atomically in :func:`build`: moto keeps its state in this process, and
``mock_aws`` in any other test (pytest-xdist runs tests of many modules in one worker) resets it,
so the account is seeded and every scan of it is taken inside one fixture, and the tests only read
the results. The throttled scan, which mostly sleeps in botocore's backoff, runs in the background
while the others run one after the other; every scan signs with its own access key, so the
middleware gives each its own faults and keeps its own records.

moto's IAM authorization mode is a process-wide moto setting: it is on only during the scans that
need it, and off again when :func:`build` returns or fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from resilience.account import (
    CANARY_ERROR_OPERATION,
    Canaries,
    policy_of,
    scanner_user,
    seed,
    split_in_half,
)
from resilience.scans import RunningScan, Scan, run_scan

from cspm.permissions import aws_action, aws_policy
from support.faults import MOTO_GAPS, Faults, FaultServer

THROTTLE_RATE = 0.3
THROTTLE_SEED = 20261125
FORMATS = "json,ocsf,asff,sarif,csv,html"
# One permission per collector, dropped from the negative-control identity.
DROPPED = {
    "iam": "iam:GetAccountSummary",
    "s3": "s3:GetBucketVersioning",
    "ec2": "ec2:DescribeSecurityGroups",
    "sagemaker": "sagemaker:ListModels",
    "ecr": "ecr:DescribeRepositories",
    "kms": "kms:ListKeys",
    "cloudtrail": "cloudtrail:DescribeTrails",
}


@dataclass
class Scenario:
    canaries: Canaries
    policy_actions: set[str]  # everything `cspm permissions aws` grants
    half_allowed: set[str]
    half_denied: set[str]
    baseline: Scan  # full permissions, no faults
    throttled: Scan  # 30 % of requests throttled
    least_privilege: Scan  # IAM enforcement on, exactly `cspm permissions aws`
    half: Scan  # IAM enforcement on, half of the policy, --strict
    minus: Scan  # IAM enforcement on, the policy minus DROPPED
    canary: Scan  # every format, --debug, the history store, canaries in the environment
    store: Path  # the canary scan's SQLite history store


def _canary_faults(canaries: Canaries) -> Faults:
    message = f"User is not authorized to perform {CANARY_ERROR_OPERATION} (request token {canaries.error_message})"
    return Faults(denied=frozenset({CANARY_ERROR_OPERATION}), denied_message={CANARY_ERROR_OPERATION: message})


def _half_faults(denied: set[str]) -> Faults:
    """The operations moto lacks are answered by the middleware, which moto's IAM mode never sees:
    the middleware denies those the half policy denies."""
    gaps = {name for name in MOTO_GAPS if aws_action(*name.split(":", 1)) in denied}
    return Faults(denied=frozenset(gaps))


def build(server: FaultServer, out: Path) -> Scenario:
    url = server.url
    canaries = Canaries.fresh()
    actions = set(aws_policy()["Statement"][0]["Action"])
    allowed, denied = split_in_half(actions)
    server.reset()
    seed(url, canaries)
    keys = {
        "least_privilege": scanner_user(url, "rs-scanner", policy_of(actions)),
        "throttled": scanner_user(url, "rs-throttled", policy_of(actions)),
        "half": scanner_user(url, "rs-half", policy_of(allowed)),
        "minus": scanner_user(url, "rs-minus", policy_of(actions - set(DROPPED.values()))),
    }
    baseline_env = {"AWS_ACCESS_KEY_ID": "AKIARSBASELINE000001", "AWS_SECRET_ACCESS_KEY": "baseline"}
    canary_env = {"AWS_ACCESS_KEY_ID": "AKIARSCANARYSCAN0001", **canaries.environment}
    plain = Faults()
    server.faults.configure(
        plain,
        seed=THROTTLE_SEED,
        per_key={
            keys["throttled"]["AWS_ACCESS_KEY_ID"]: Faults(throttle_rate=THROTTLE_RATE),
            canary_env["AWS_ACCESS_KEY_ID"]: _canary_faults(canaries),
            keys["half"]["AWS_ACCESS_KEY_ID"]: _half_faults(denied),
        },
    )
    common = {"middleware": server.faults}
    store = out / "history.db"
    throttled = RunningScan("throttled", url, out / "throttled", "--quiet", env=keys["throttled"], **common)
    try:
        baseline = run_scan("baseline", url, out / "baseline", "--quiet", env=baseline_env, **common)
        canary = run_scan(
            "canary",
            url,
            out / "canary",
            "--output-formats",
            FORMATS,
            "--store",
            f"sqlite:///{store}",
            env=canary_env,
            root_args=("--debug",),
            **common,
        )
        server.set_iam_enforcement(True)
        least = run_scan("least-privilege", url, out / "least", "--quiet", env=keys["least_privilege"], **common)
        half = run_scan("half", url, out / "half", "--quiet", "--strict", env=keys["half"], **common)
        minus = run_scan("minus", url, out / "minus", "--quiet", env=keys["minus"], **common)
        server.set_iam_enforcement(False)
        throttled_scan = throttled.wait()
    finally:
        server.set_iam_enforcement(False)
        throttled.stop()
    return Scenario(
        canaries=canaries,
        policy_actions=actions,
        half_allowed=allowed,
        half_denied=denied,
        baseline=baseline,
        throttled=throttled_scan,
        least_privilege=least,
        half=half,
        minus=minus,
        canary=canary,
        store=store,
    )
