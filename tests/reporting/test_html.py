"""The single-file HTML report: self-contained, safe, and usable in headless Chromium up to 50,000 findings.

Browser tests drive Debian's /usr/bin/chromium through playwright (no browser download; the
``browser`` fixture of tests/reporting/conftest.py and support.browser). They are skipped, with
the reason, only when chromium or the playwright package is absent. The top risks and the lineage
graph are tested in test_html_graph.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cspm.models import Baseline, Severity, Status
from cspm.mutelist import evaluate_mutelist, parse_mutelist
from cspm.reporting.formats import render, write_formats
from support.browser import Page, embedded_data
from support.report_factory import TRICKY, bucket_arn, make_finding, make_report, varied_report

LINEAGE = {
    "nodes": [
        {"id": bucket_arn("bucket-026"), "label": "training data", "type": "aws.s3.bucket"},
        {"id": "arn:aws:sagemaker:us-east-1:111111111111:training-job/train", "label": "training job"},
        {"id": "arn:aws:sagemaker:us-east-1:111111111111:model/fraud", "label": "fraud model"},
    ],
    "edges": [
        {
            "source": bucket_arn("bucket-026"),
            "target": "arn:aws:sagemaker:us-east-1:111111111111:training-job/train",
            "label": "reads",
        },
        {
            "from": "arn:aws:sagemaker:us-east-1:111111111111:training-job/train",
            "to": "arn:aws:sagemaker:us-east-1:111111111111:model/fraud",
            "relation": "produces",
        },
    ],
}


def report_html(tmp_path: Path, *, lineage: dict[str, Any] | None = LINEAGE) -> tuple[Path, Any]:
    report = varied_report()
    mutelist = parse_mutelist(
        "mutes:\n  - {id: dev, reason: dev buckets are scratch, tags: {env: dev}}\n"
        "  - {reason: old exception, expires: 2020-01-01, checks: ['*']}\n",
        source="mutes.yaml",
    )
    outcome = evaluate_mutelist(report, mutelist, report.scan.started_at)
    (path,) = write_formats(outcome.report, ["html"], tmp_path, mutes=outcome, lineage=lineage)
    return path, outcome


# ---------------------------------------------------------------------------------------------
# Without a browser
# ---------------------------------------------------------------------------------------------


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    path, _ = report_html(tmp_path)
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<link" not in html and "@import" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # The only </script> closings are the two real ones: report data cannot break out.
    assert html.count("</script>") == 2
    assert "__DATA__" not in html and "__JS__" not in html and "__CSS__" not in html


def test_the_embedded_data_round_trips(tmp_path: Path) -> None:
    path, outcome = report_html(tmp_path)
    data = embedded_data(path.read_text(encoding="utf-8"))
    report = outcome.report
    assert len(data["findings"]) == len(report.findings)
    assert data["meta"]["summary"]["fail"] == report.summary.fail
    assert data["expired"] == [["mutes.yaml:3", "old exception", "2020-01-01"]]
    assert data["mutes"] == [["dev", "dev buckets are scratch", None, True]]  # True: a tag condition
    for row, f in zip(data["findings"], report.findings, strict=True):
        variant, resource = data["variants"][row[0]], data["resources"][row[1]]
        assert (variant[0], variant[2], resource[0]) == (f.check_id, f.severity.value, f.resource_uid)
        assert ["PASS", "FAIL", "ERROR"][row[2]] == f.status.value and bool(row[3]) == f.muted
    tricky = next(v for v in data["variants"] if v[0] == "aws.s3.tricky_check")
    assert tricky[1] == TRICKY
    assert data["lineage"] == LINEAGE


def test_findings_without_a_resource_entry_still_render() -> None:
    finding = make_finding(resource_uid="aws.s3.bucket/111111111111/us-east-1")
    report = make_report([finding], resources=[])
    data = embedded_data(render(report, "html"))
    assert data["resources"] == [
        ["aws.s3.bucket/111111111111/us-east-1", "us-east-1", "aws.s3.bucket", "111111111111", "us-east-1", {}, {}]
    ]


# ---------------------------------------------------------------------------------------------
# In headless Chromium
# ---------------------------------------------------------------------------------------------


def test_overview_scores_errors_and_expired_mutes(browser: Any, tmp_path: Path) -> None:
    path, outcome = report_html(tmp_path)
    page = Page(browser, path)
    scores = outcome.report.summary.scores
    for baseline in ["overall", *(b.value for b in Baseline)]:
        card = page.page.locator(f'#score-cards .card[data-baseline="{baseline}"] .value')
        expected = scores[baseline]
        assert card.inner_text() == ("n/a" if expected is None else f"{expected:.1f}")
    assert "mutes.yaml:3 expired 2020-01-01" in page.page.inner_text("#expired-mutes")
    page.page.click("#tab-errors")
    assert page.page.locator("#errors-table tbody tr").count() == len(outcome.report.errors)
    shot = tmp_path / "overview.png"
    page.page.click("#tab-overview")
    page.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()


def test_findings_filter_sort_search_and_details(browser: Any, tmp_path: Path) -> None:
    path, outcome = report_html(tmp_path)
    findings = outcome.report.findings
    page = Page(browser, path, "#findings")
    assert page.shown() == len(findings)
    page.select("#f-status", "FAIL")
    assert page.shown() == sum(f.status is Status.FAIL for f in findings)
    assert {r["status"] for r in page.rows()} == {"FAIL"}
    page.select("#f-severity", "critical")
    assert {r["severity"] for r in page.rows()} == {"critical"}
    page.select("#f-muted", "no")
    assert page.shown() == sum(
        f.status is Status.FAIL and f.severity is Severity.CRITICAL and not f.muted for f in findings
    )
    page.page.click("#f-reset")
    assert page.shown() == len(findings)
    # Sorting: severity (descending) by default, then by check id on a click.
    assert page.rows()[0]["severity"] == "critical"
    page.page.click('th[data-sort="check"]')
    checks = page.page.locator("#findings-body tr.row td:nth-child(3) small").all_inner_texts()
    assert checks == sorted(checks)
    # Search, including the text that tries to inject markup: it stays text.
    page.page.fill("#q", "ünïcødé")
    page.page.wait_for_selector('body[data-shown="1"]')
    page.page.click("#findings-body tr.row")
    detail = page.page.inner_text("#findings-body tr.detail")
    assert "Evidence" in detail and "Remediation" in detail
    assert "</script><script>alert(1)</script>" in page.page.inner_text("#findings-body tr.row td:nth-child(3)")
    assert page.page.locator("#findings-body script").count() == 0
    # The state lives in the URL: a reload keeps the search.
    assert "q=" in page.page.url
    page.page.reload()
    page.page.wait_for_selector("body[data-ready=true]")
    assert page.shown() == 1
    page.close()


def test_muted_by_and_resource_view(browser: Any, tmp_path: Path) -> None:
    path, outcome = report_html(tmp_path)
    page = Page(browser, path, "#resources")
    page.page.fill("#rq", "bucket-026")
    page.page.click("#resources-body a")
    page.page.wait_for_selector("#tab-findings[aria-selected=true]")
    on_resource = [f for f in outcome.report.findings if f.resource_uid == bucket_arn("bucket-026")]
    assert page.shown() == len(on_resource)
    assert "Resource: arn:aws:s3:::bucket-026" in page.page.inner_text("#resource-filter")
    page.page.click("#findings-body tr.row")
    assert "dev — dev buckets are scratch" in page.page.inner_text("#findings-body tr.detail")
    page.close()


def test_lineage_graph(browser: Any, tmp_path: Path) -> None:
    path, _ = report_html(tmp_path)
    page = Page(browser, path, "#lineage")
    page.page.wait_for_selector("body[data-links-ready=true]")
    assert page.page.locator("#lineage-graph g.node").count() == 3
    assert page.page.locator("#lineage-graph path.edge").count() == 2
    assert page.page.locator("#lineage-edges tbody tr").all_inner_texts() == [
        "training data\treads\ttraining job\t",  # the fourth column: why a link is unresolved
        "training job\tproduces\tfraud model\t",
    ]
    page.close()
    without, _ = report_html(tmp_path / "none", lineage=None)
    plain = Page(browser, without)
    assert plain.page.locator("#tab-lineage").count() == 0
    plain.close()


def test_fifty_thousand_findings_render_in_under_three_seconds(browser: Any, tmp_path: Path) -> None:
    findings = []
    statuses, severities = list(Status), list(Severity)
    for i in range(10_000):
        for j, check in enumerate(("a", "b", "c", "d", "e")):
            findings.append(
                make_finding(
                    f"aws.s3.check_{check}",
                    bucket_arn(f"bucket-{i:05d}"),
                    status=statuses[(i + j) % 3],
                    severity=severities[j],
                    region=("us-east-1", "eu-west-1")[i % 2],
                )
            )
    (path,) = write_formats(make_report(findings), ["html"], tmp_path)
    page = Page(browser, path)
    ready_ms = page.page.evaluate("performance.now()")
    assert ready_ms < 3000, f"first render took {ready_ms:.0f} ms"
    page.page.click("#tab-findings")
    assert page.shown() == 50_000
    assert page.page.locator("#findings-body tr.row").count() == 100  # one page in the DOM
    page.page.click("#pager-top .next")
    assert page.page.inner_text("#pager-top .range").startswith("101\u2013200 of 50000")
    page.page.fill("#q", "bucket-04242")
    page.page.wait_for_selector('body[data-shown="5"]')
    page.close()
