"""Benchmark: every output format for a 50,000-finding report; wall time, peak RSS, HTML render time.

    .venv/bin/python bench/formats.py [--findings 50000] [--out DIR] [--no-browser]

Targets: all formats written in under 10 s and 500 MB peak RSS (this process, report included);
the HTML report renders in headless Chromium in under 3 s (navigation start to the page's
"ready" mark, measured with playwright driving /usr/bin/chromium). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cspm.models import (
    Baseline,
    CollectionError,
    Finding,
    ResourceEntry,
    ScanInfo,
    ScanReport,
    Scope,
    Severity,
    Status,
    ToolInfo,
    finding_uid,
)
from cspm.scoring import summarize

CHECKS = [
    ("aws.s3.bucket_is_not_public", Severity.CRITICAL, Baseline.LEAST_PRIVILEGE, "aws.s3.bucket"),
    ("aws.s3.bucket_encrypted_with_kms", Severity.MEDIUM, Baseline.ENCRYPTION, "aws.s3.bucket"),
    ("aws.s3.bucket_versioning_enabled", Severity.MEDIUM, Baseline.INTEGRITY, "aws.s3.bucket"),
    ("aws.s3.bucket_access_logging_enabled", Severity.LOW, Baseline.LOGGING, "aws.s3.bucket"),
    (
        "aws.sagemaker.notebook_has_no_direct_internet",
        Severity.HIGH,
        Baseline.PRIVATE_ENDPOINT,
        "aws.sagemaker.notebook_instance",
    ),
]
ACCOUNTS = [f"{n:012d}" for n in range(100000000001, 100000000011)]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def synthetic_report(n_findings: int, seed: int = 7) -> ScanReport:
    rng = random.Random(seed)
    started = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    findings: list[Finding] = []
    resources: list[ResourceEntry] = []
    for i in range(n_findings // len(CHECKS)):
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        uid = f"arn:aws:s3:::ml-bucket-{i:06d}"
        tags = {"team": rng.choice(["ml", "data", "platform"]), "env": rng.choice(["prod", "dev"])}
        resources.append(
            ResourceEntry(
                uid=uid, type="aws.s3.bucket", name=f"ml-bucket-{i:06d}", account=account, region=region, tags=tags
            )
        )
        for check_id, severity, baseline, rtype in CHECKS:
            status = rng.choices([Status.PASS, Status.FAIL, Status.ERROR], weights=[6, 3, 1])[0]
            findings.append(
                Finding(
                    uid=finding_uid(check_id, uid),
                    check_id=check_id,
                    title=f"{check_id.rsplit('.', 1)[-1].replace('_', ' ').capitalize()}",
                    status=status,
                    muted=rng.random() < 0.03,
                    severity=severity,
                    baseline=baseline,
                    resource_uid=uid,
                    resource_type=rtype,
                    account=account,
                    region=region,
                    message=f"{status.value}: {check_id} evaluated on ml-bucket-{i:06d} in {region}.",
                    evidence={"principals": ["*"], "actions": ["s3:GetObject"]} if status is Status.FAIL else {},
                    remediation="Turn on all four Block Public Access settings on the bucket or the account.",
                    compliance={"aws-fsbp": ["S3.2", "S3.3"], "nist-800-53-r5": ["AC-3", "SC-7"]},
                    attack=["AML.T0010.002", "AML.T0035"],
                )
            )
    errors = [
        CollectionError(
            account=a,
            region="us-east-1",
            service="s3",
            operation="GetBucketPolicy",
            code="AccessDenied",
            message="denied",
        )
        for a in ACCOUNTS[:3]
    ]
    return ScanReport(
        tool=ToolInfo(version="0.1.0"),
        scan=ScanInfo(
            id="bench",
            provider="aws",
            started_at=started,
            finished_at=started + timedelta(minutes=3),
            complete=False,
            scopes=[Scope(account=a, regions=REGIONS) for a in ACCOUNTS],
            checks_run=len(CHECKS),
        ),
        summary=summarize(findings),
        resources=resources,
        findings=findings,
        errors=errors,
    )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_all(report: ScanReport, out: Path) -> dict[str, Any]:
    from cspm.reporting.formats import FORMATS, write_formats

    per_format = {}
    total_start = time.perf_counter()
    for name in FORMATS:
        start = time.perf_counter()
        (path,) = write_formats(report, [name], out)
        per_format[name] = {
            "seconds": round(time.perf_counter() - start, 3),
            "mb": round(path.stat().st_size / 2**20, 1),
        }
    return {"total_seconds": round(time.perf_counter() - total_start, 3), "formats": per_format}


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A fresh page of headless Chromium (Debian's, driven by playwright), closed on exit."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def html_render_seconds(html: Path) -> dict[str, Any]:
    with chromium_page() as page:
        start = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        wall = time.perf_counter() - start
        nav = page.evaluate("performance.now()")
        script_ms = page.get_attribute("body", "data-render-ms")
        start = time.perf_counter()
        page.click("#tab-findings")
        page.wait_for_selector("#findings-body tr.row")
        tab = time.perf_counter() - start
        start = time.perf_counter()
        page.fill("#q", "ml-bucket-000042")
        page.wait_for_selector('body[data-shown="5"]')
        search = time.perf_counter() - start
    return {
        "wall_seconds": round(wall, 3),
        "page_ready_ms": round(nav),
        "script_ms": int(script_ms or 0),
        "findings_tab_seconds": round(tab, 3),
        "search_seconds": round(search, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="cspm-bench-"))
    start = time.perf_counter()
    report = synthetic_report(args.findings)
    build = time.perf_counter() - start
    rss_report = rss_mb()
    result: dict[str, Any] = {
        "findings": len(report.findings),
        "build_report_seconds": round(build, 2),
        "rss_after_report_mb": round(rss_report),
    }
    result.update(write_all(report, out))
    result["peak_rss_mb"] = round(rss_mb())
    if not args.no_browser and shutil.which("chromium"):
        result["html_render"] = html_render_seconds(out / "report.html")
    result["targets"] = {
        "formats_under_10s": result["total_seconds"] < 10,
        "rss_under_500mb": result["peak_rss_mb"] < 500,
        "html_under_3s": result.get("html_render", {}).get("page_ready_ms", 10**6) < 3000,
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
