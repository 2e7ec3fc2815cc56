"""The HTML report leads with the top risks and draws the AI lineage as a laid-out, zoomable graph
(issue 18): checked on the embedded data, then in headless Chromium at demo size (~80 nodes) and at
1,000 nodes, with screenshots under each test's tmp dir.

Reports are synthetic (support.lineage_factory): chains of endpoint → config → model → artifact →
bucket, training job → data → bucket, image → repository, role, key; every seventh artifact is in
a bucket the scan could not resolve. Risks follow report.json's ``risks`` schema.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from cspm.models import Baseline, Risk, Severity, Status
from cspm.reporting import html as html_report
from cspm.reporting.formats import render, write_formats
from support.browser import Page, embedded_data, png_pixels
from support.lineage_factory import chain_findings, chain_ids, chain_lineage, chain_risks
from support.report_factory import TRICKY, bucket_arn, make_finding, make_report

VENDOR = Path(html_report.__file__).parent / "templates" / "vendor"
VIEWPORT = {"width": 1280, "height": 720}
DEMO_CHAINS = 9  # 84 nodes, 99 edges: the demo's size (79 nodes, 123 edges)
LARGE_CHAINS = 111  # 1,035 nodes in 12 components, or 1,002 in one


def graph_html(tmp_path: Path, chains: int, *, with_risks: bool = True, findings: Any = None, share: int = 10) -> Path:
    report = make_report(chain_findings(chains, share) if findings is None else findings)
    risks = chain_risks(chains, share=share) if with_risks else None
    (path,) = write_formats(report, ["html"], tmp_path, lineage=chain_lineage(chains, share), risks=risks)
    return path


def node_boxes(page: Any) -> list[tuple[str, float, float, float, float]]:
    """Each node's box in layout coordinates, as the page exposes them on its ``g.node`` elements."""
    rows = page.evaluate(
        """Array.from(document.querySelectorAll('#lineage-graph g.node')).map(function (g) {
             return [g.dataset.id, +g.dataset.x, +g.dataset.y, +g.dataset.w, +g.dataset.h]; })"""
    )
    return [tuple(r) for r in rows]


def overlaps(boxes: list[tuple[str, float, float, float, float]]) -> list[tuple[str, str]]:
    """Pairs of boxes that intersect (a sweep along x)."""
    ordered, found = sorted(boxes, key=lambda b: b[1]), []
    for i, (a, ax, ay, aw, ah) in enumerate(ordered):
        for b, bx, by, _, bh in ordered[i + 1 :]:
            if bx >= ax + aw:
                break
            if by < ay + ah and ay < by + bh:
                found.append((a, b))
    return found


def highlighted(page: Any) -> tuple[set[str], set[tuple[str, str, str]]]:
    nodes = page.evaluate("Array.from(document.querySelectorAll('#lineage-graph g.node.hl')).map(g => g.dataset.id)")
    edges = page.evaluate(
        """Array.from(document.querySelectorAll('#lineage-graph path.edge.hl'))
             .map(p => [p.dataset.source, p.dataset.target, p.dataset.relation])"""
    )
    return set(nodes), {tuple(e) for e in edges}


def path_of(risk: dict[str, Any]) -> tuple[set[str], set[tuple[str, str, str]]]:
    return set(risk["path"]["nodes"]), {(e["source"], e["target"], e["relation"]) for e in risk["path"]["edges"]}


ACCENT = (0x24, 0x57, 0xC5)  # --accent: a highlighted path


def assert_meaningful(shot: Path, *, min_ink: float = 0.02, accent: float = 0.0) -> None:
    """Not blank: several colours, a share of pixels far from the white/grey background, and (when
    ``accent`` is given) at least that share in the highlight colour."""
    width, _, rows = png_pixels(shot)
    channels = len(rows[0]) // width
    colours, ink, lit, seen = set(), 0, 0, 0
    for row in rows[::2]:
        for x in range(0, len(row), channels * 2):
            pixel = row[x : x + 3]
            colours.add(pixel)
            seen += 1
            ink += min(pixel) < 200
            lit += sum(abs(a - b) for a, b in zip(pixel, ACCENT, strict=True)) < 60
    assert len(colours) >= 6, f"{shot} looks blank: {len(colours)} colours"
    assert ink / seen >= min_ink, f"{shot} has almost nothing drawn ({ink / seen:.4f})"
    assert lit / seen >= accent, f"{shot} shows no highlighted path ({lit / seen:.4f})"


# ---------------------------------------------------------------------------------------------
# Without a browser
# ---------------------------------------------------------------------------------------------


def test_the_vendored_layout_library_is_the_pinned_one() -> None:
    sums = {
        name: digest for digest, name in (line.split() for line in (VENDOR / "SHA256SUMS").read_text().splitlines())
    }
    library = (VENDOR / "dagre.min.js").read_bytes()
    assert hashlib.sha256(library).hexdigest() == sums["dagre.min.js"]
    for name in ("dagre.LICENSE", "graphlib.LICENSE"):
        assert "Permission is hereby granted, free of charge" in (VENDOR / name).read_text()
    page = render(make_report([make_finding()]), "html")
    assert library.decode()[-200:] in page  # inlined: the page needs no network
    assert page.count("<script") == 2 and page.count("</script>") == 2


def test_risks_reach_the_page_as_data_with_report_strings_intact(tmp_path: Path) -> None:
    lineage = chain_lineage(3)
    lineage["nodes"][0]["name"] = TRICKY
    risks = chain_risks(3)
    (path,) = write_formats(make_report(chain_findings(3)), ["html"], tmp_path, lineage=lineage, risks=risks)
    page = path.read_text(encoding="utf-8")
    assert page.count("</script>") == 2  # TRICKY's </script> stays inside the JSON, escaped
    data = embedded_data(page)
    assert data["risks"] == [{k: r[k] for k in html_report.RISK_FIELDS} for r in risks]
    assert data["risks"][0]["title"].startswith(TRICKY)
    assert data["lineage"]["nodes"][0]["name"] == TRICKY
    assert data["priorities"] == []  # the risks lead; no fallback ranking


def test_the_report_models_risks_reach_the_page() -> None:
    """A report whose ``risks`` section is the model's (cspm.models.Risk), as a scan writes it."""
    risks = chain_risks(6)
    report = make_report(chain_findings(6)).model_copy(update={"risks": [Risk.model_validate(r) for r in risks]})
    data = embedded_data(render(report, "html", lineage=chain_lineage(6)))
    assert [r["id"] for r in data["risks"]] == [r["id"] for r in risks]
    assert data["risks"][1]["path"]["nodes"] == risks[1]["path"]["nodes"]
    assert data["risks"][1]["factors"]["exposure"] == {
        "value": "internet",
        "contribution": 30.0,
        "why": "the bucket is public",
    }


def fallback_findings() -> list[Any]:
    """Without risks: the check that fails most (MFA delete, low) must not lead."""
    ids = chain_ids(0)
    return [
        *(
            make_finding("aws.s3.bucket_mfa_delete_enabled", bucket_arn(f"logs-{i}"), severity=Severity.LOW)
            for i in range(10)
        ),
        make_finding("aws.s3.bucket_is_not_public", ids["data_bucket"], severity=Severity.CRITICAL),
        make_finding("aws.iam.role_is_not_admin", ids["role"], resource_type="aws.iam.role"),
        make_finding(
            "aws.s3.bucket_versioning_enabled",
            bucket_arn("feature-store"),
            severity=Severity.MEDIUM,
            baseline=Baseline.INTEGRITY,
            evidence={"ai_supply_chain": {"raised_from": "low", "raised_to": "medium"}},
        ),
        make_finding("aws.ec2.vpc_flow_logs_enabled", "arn:aws:ec2:us-east-1:1:vpc/vpc-1", resource_type="aws.ec2.vpc"),
        make_finding(
            "aws.sagemaker.notebook_has_no_direct_internet",
            "arn:aws:sagemaker:us-east-1:1:notebook-instance/nb",
            resource_type="aws.sagemaker.notebook_instance",
            severity=Severity.MEDIUM,
        ),
        make_finding("aws.s3.bucket_is_not_public", bucket_arn("muted"), severity=Severity.CRITICAL, muted=True),
        make_finding("aws.kms.key_rotation_enabled", "arn:aws:kms:us-east-1:1:key/k", status=Status.PASS),
    ]


@pytest.mark.parametrize("risks", [None, []], ids=["no-risks-section", "no-risk-found"])
def test_without_risks_the_overview_ranks_by_severity_and_ai_relevance(risks: list[Any] | None) -> None:
    report = make_report(fallback_findings())
    data = embedded_data(render(report, "html", lineage=chain_lineage(1), risks=risks))
    assert data["risks"] == risks
    ranked = [(report.findings[i].check_id, relevance, why, more) for i, relevance, why, more in data["priorities"]]
    assert ranked == [
        ("aws.s3.bucket_is_not_public", 3, "in the AI lineage", 0),  # 8 x 3 (the muted one is left out)
        ("aws.iam.role_is_not_admin", 3, "in the AI lineage", 0),  # 4 x 3
        ("aws.s3.bucket_versioning_enabled", 3, "part of an AI supply chain", 0),  # 2 x 3
        ("aws.ec2.vpc_flow_logs_enabled", 1, "", 0),  # 4 x 1; ties by check id
        ("aws.sagemaker.notebook_has_no_direct_internet", 2, "an AI workload", 0),  # 2 x 2
        ("aws.s3.bucket_mfa_delete_enabled", 1, "", 9),  # fails most, shown once, last
    ]


# ---------------------------------------------------------------------------------------------
# In headless Chromium
# ---------------------------------------------------------------------------------------------


def test_the_first_screen_shows_the_top_risks(browser: Any, tmp_path: Path) -> None:
    risks = chain_risks(18)  # six
    page = Page(browser, graph_html(tmp_path, 18), viewport=VIEWPORT)
    items = page.page.locator("#risk-list li.risk")
    assert items.count() == len(risks) == 6
    for i, risk in enumerate(risks[:5]):
        item = items.nth(i)
        box = item.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], (i, box)
        assert item.get_attribute("data-risk-id") == risk["id"]
        assert item.locator(".risk-title").inner_text() == risk["title"].replace("\n", " ")
        assert item.locator(".score").inner_text() == str(risk["score"])
        assert item.locator(".sev").inner_text() == risk["severity"]
        assert risk["fix"]["action"] in item.locator(".risk-fix").inner_text()
        assert "fraud-detection-endpoint-" in item.locator(".risk-path").inner_text()
    assert not items.nth(5).is_visible()
    assert page.page.locator("#risk-list script").count() == 0  # the markup in a title stays text
    shot = tmp_path / "first-screen.png"
    page.page.screenshot(path=str(shot))
    assert_meaningful(shot)
    page.page.click("#more-risks")
    assert items.nth(5).is_visible()
    page.close()


def test_without_risks_the_first_screen_shows_what_to_fix_first(browser: Any, tmp_path: Path) -> None:
    path = graph_html(tmp_path, 1, with_risks=False, findings=fallback_findings())
    page = Page(browser, path, viewport=VIEWPORT)
    first = page.page.locator("#risk-list li.priority").first
    assert first.get_attribute("data-check") == "aws.s3.bucket_is_not_public"
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= VIEWPORT["height"]
    assert "acme-ml-training-data-0000" in first.inner_text()
    noisy = page.page.locator('#risk-list li[data-check="aws.s3.bucket_mfa_delete_enabled"]')
    assert noisy.get_attribute("data-finding") is not None and noisy.locator("a.more").inner_text() == "and 9 more"
    first.locator("a.in-graph").click()
    page.page.wait_for_selector("body[data-graph-ready=true]")
    nodes, _ = highlighted(page.page)
    assert chain_ids(0)["data_bucket"] in nodes
    page.close()


def test_the_demo_size_graph_is_laid_out_legibly(browser: Any, tmp_path: Path) -> None:
    lineage = chain_lineage(DEMO_CHAINS)
    page = Page(browser, graph_html(tmp_path, DEMO_CHAINS), "#lineage", viewport=VIEWPORT)
    page.page.wait_for_selector("body[data-graph-ready=true]")
    p = page.page
    boxes = node_boxes(p)
    assert sorted(b[0] for b in boxes) == sorted(n["id"] for n in lineage["nodes"])
    assert p.locator("#lineage-graph path.edge").count() == len(lineage["edges"])
    assert overlaps(boxes) == []
    # Legible at first sight: labels drawn at 9.5 px or more, and a good part of the graph in view.
    zoom = float(p.get_attribute("#lineage-graph", "data-zoom"))
    assert zoom * 12 >= 9.5, zoom
    view = p.locator("#graph-box").bounding_box()
    in_view = p.evaluate(
        """(v) => Array.from(document.querySelectorAll('#lineage-graph g.node')).filter(function (g) {
             var r = g.getBoundingClientRect();
             return r.left >= v.x && r.right <= v.x + v.width
               && r.top >= v.y && r.bottom <= v.y + v.height; }).length""",
        view,
    )
    assert in_view >= 12, in_view
    # No label runs out of its box (10 px padding each side).
    overflowing = p.evaluate(
        """Array.from(document.querySelectorAll('#lineage-graph g.node')).filter(function (g) {
             return g.querySelector('text.name').getComputedTextLength() > +g.dataset.w - 19; }).length"""
    )
    assert overflowing == 0
    # Full names: every box's tooltip has the node's id; a shortened label is read in full on selection.
    tips = p.evaluate(
        """Array.from(document.querySelectorAll('#lineage-graph g.node')).map(function (g) {
             var text = function (s) { return g.querySelector(s).textContent; };
             return [g.dataset.id, text('title'), text('text.name')]; })"""
    )
    assert all(node_id in tip for node_id, tip, _ in tips)
    shortened = [(node_id, label) for node_id, _, label in tips if label.endswith("…")]
    assert shortened, "the long model names are expected to be shortened in their boxes"
    names = {n["id"]: n["name"] for n in lineage["nodes"]}
    node_id, label = shortened[0]
    p.focus(f'#lineage-graph g.node[data-id="{node_id}"]')  # the keyboard selects as a click does
    p.keyboard.press("Enter")
    assert p.inner_text("#lineage-detail h3") == names[node_id] != label
    assert node_id in p.inner_text("#lineage-detail")
    # Colours: the worst failing finding of each node; out-of-inventory nodes are marked.
    ids = chain_ids(0)
    classes = {b[0]: p.get_attribute(f'#lineage-graph g.node[data-id="{b[0]}"]', "class") for b in boxes}
    assert "sev-critical" in classes[ids["data_bucket"]]  # public (critical) beats MFA delete (low)
    assert "sev-high" in classes[ids["role"]]
    assert "sev-low" in classes[chain_ids(1)["data_bucket"]]
    assert "outside" in classes[chain_ids(6)["bucket"]]
    # Unresolved links: dashed, with their reason on hover and in the links table.
    unresolved = [e for e in lineage["edges"] if not e["resolved"]]
    dashed = p.evaluate(
        """Array.from(document.querySelectorAll('#lineage-graph path.edge.unresolved')).map(function (e) {
             return [getComputedStyle(e).strokeDasharray, e.querySelector('title').textContent]; })"""
    )
    assert len(dashed) == len(unresolved) == 2
    assert all(dash not in ("", "none") for dash, _ in dashed)
    assert {e["reason"] for e in unresolved} == {tip.split("unresolved: ", 1)[1] for _, tip in dashed}
    p.wait_for_selector("body[data-links-ready=true]")
    assert p.locator("#lineage-edges tr.unresolved").count() == 2
    p.click("#lineage-graph", position={"x": 5, "y": 5})  # the background clears the selection
    assert highlighted(p) == (set(), set())
    shot = tmp_path / "lineage-demo-size.png"
    p.locator("#graph-box").screenshot(path=str(shot))
    assert_meaningful(shot)
    page.close()


def test_selecting_a_risk_highlights_exactly_its_path(browser: Any, tmp_path: Path) -> None:
    risks = chain_risks(18)
    page = Page(browser, graph_html(tmp_path, 18), viewport=VIEWPORT)
    p = page.page
    p.click('#risk-list li[data-risk-id="risk-0003"] a.risk-title')
    p.wait_for_selector("body[data-graph-ready=true]")
    assert p.get_attribute("#tab-lineage", "aria-selected") == "true"
    assert highlighted(p) == path_of(risks[1])
    assert "risk=risk-0003" in p.url
    assert risks[1]["title"] in p.inner_text("#lineage-detail h3")
    assert "exposure: internet (+30)" in p.inner_text("#lineage-detail ul.factors")
    p.select_option("#risk-select", "risk-0000")
    assert highlighted(p) == path_of(risks[0])
    # Every node of the path is in view after the selection.
    view = p.locator("#graph-box").bounding_box()
    for node_id in risks[0]["path"]["nodes"]:
        box = p.locator(f'#lineage-graph g.node[data-id="{node_id}"]').bounding_box()
        assert view["x"] <= box["x"] and box["x"] + box["width"] <= view["x"] + view["width"] + 1, node_id
    shot = tmp_path / "risk-selected.png"
    p.locator("#graph-box").screenshot(path=str(shot))
    assert_meaningful(shot, min_ink=0.001, accent=0.001)  # the rest of the graph is dimmed
    p.reload()
    p.wait_for_selector("body[data-graph-ready=true]")
    assert highlighted(p) == path_of(risks[0])  # the selection is in the URL
    page.close()


@pytest.mark.parametrize("share", [10, LARGE_CHAINS], ids=["12-components", "one-component"])
def test_a_thousand_node_graph_is_interactive(browser: Any, tmp_path: Path, share: int) -> None:
    """One component of 1,000 nodes takes the faster ordering (graph.js FAST_ORDER_ABOVE)."""
    chains = LARGE_CHAINS
    lineage = chain_lineage(chains, share)
    assert len(lineage["nodes"]) >= 1000
    page = Page(browser, graph_html(tmp_path, chains, share=share), "#lineage", viewport=VIEWPORT)
    p = page.page
    p.wait_for_selector("body[data-graph-ready=true]", timeout=30_000)
    ready_ms, cpu_ms = p.evaluate("performance.now()"), page.main_thread_cpu_ms()
    # The goal: interactive within 3 s (bench/html.py measures it). The page's own CPU time is held
    # to it; the wall time only to a bound that a loaded, shared test machine still meets.
    assert cpu_ms < 3000, f"the 1,000-node graph took {cpu_ms:.0f} ms of CPU to be ready"
    assert ready_ms < 20_000, f"the 1,000-node graph took {ready_ms:.0f} ms to be ready"
    boxes = node_boxes(p)
    assert len(boxes) == len(lineage["nodes"]) and overlaps(boxes) == []
    before = float(p.get_attribute("#lineage-graph", "data-zoom"))
    p.click("#zoom-out")
    assert float(p.get_attribute("#lineage-graph", "data-zoom")) < before
    p.click("#zoom-fit")
    # Finding one resource among 1,000: selected (it and its links lit) and brought into view.
    wanted = chain_ids(77, share)["model"]
    p.fill("#node-find", "model-with-a-long-name-v0077")
    p.press("#node-find", "Enter")
    nodes, edges = highlighted(p)
    assert (
        wanted in nodes and all(wanted in (s, t) for s, t, _ in edges) and len(edges) == 3
    )  # hosts, loads, trained_by
    box, view = (
        p.locator(f'#lineage-graph g.node[data-id="{wanted}"]').bounding_box(),
        p.locator("#graph-box").bounding_box(),
    )
    assert view["x"] <= box["x"] <= view["x"] + view["width"] and view["y"] <= box["y"] <= view["y"] + view["height"]
    assert wanted in p.inner_text("#lineage-detail")
    p.select_option("#risk-select", "risk-0099")
    risk = next(r for r in chain_risks(chains, share=share) if r["id"] == "risk-0099")
    assert highlighted(p) == path_of(risk)
    shot = tmp_path / "lineage-1000.png"
    p.locator("#graph-box").screenshot(path=str(shot))
    assert_meaningful(shot, min_ink=0.001, accent=0.0005)
    assert re.fullmatch(r"\d+", p.get_attribute("body", "data-layout-ms") or "")
    page.close()
