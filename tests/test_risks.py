"""Risks (cspm/risks.py): findings correlated along the lineage into ranked, stable attack paths."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cspm import risks as R
from cspm.models import Finding, Lineage, ScanReport, Severity, Status, risk_uid
from support.report_factory import (
    RISKY,
    UNRESOLVED_REASON,
    make_finding,
    make_report,
    risky_findings,
    risky_lineage,
    risky_report,
)


def by_kind(report: ScanReport) -> dict[str, list[R.Risk]]:
    out: dict[str, list[R.Risk]] = {}
    for risk in report.risks or []:
        out.setdefault(risk.kind, []).append(risk)
    return out


def test_every_kind_is_found_with_its_path_findings_and_fix() -> None:
    report = risky_report()
    kinds = by_kind(report)
    assert set(kinds) == {k.kind for k in R.KINDS}
    finding = {(f.check_id, f.resource_uid): f.uid for f in report.findings}

    (data,) = kinds["untrusted_training_data"]
    assert data.path.nodes == [RISKY[k] for k in ("bucket", "prefix", "job", "model", "config", "endpoint")]
    assert [(e.source, e.relation, e.target) for e in data.path.edges] == [
        (RISKY["prefix"], "in_bucket", RISKY["bucket"]),
        (RISKY["job"], "reads", RISKY["prefix"]),
        (RISKY["model"], "trained_by", RISKY["job"]),
        (RISKY["config"], "hosts", RISKY["model"]),
        (RISKY["endpoint"], "serves", RISKY["config"]),
    ]
    public = finding[("aws.s3.bucket_is_not_public", RISKY["bucket"])]
    assert data.findings == [public]  # versioning is on the bucket but opens no step of the path
    assert data.fix.finding_uid == public and data.fix.resource_uid == RISKY["bucket"]
    assert data.fix.action.startswith("bucket public-data: ")
    assert data.title == "Public training data in bucket public-data reaches endpoint fraud-prod"

    (notebook,) = kinds["admin_role_on_internet_notebook"]
    assert notebook.path.nodes == [RISKY["notebook"], RISKY["role"]]
    assert notebook.fix.check_id == "aws.sagemaker.notebook_has_no_direct_internet_access"
    assert set(notebook.findings) == {
        finding[("aws.sagemaker.notebook_has_no_direct_internet_access", RISKY["notebook"])],
        finding[("aws.iam.role_is_not_admin", RISKY["role"])],
    }

    (endpoint,) = kinds["admin_role_behind_endpoint"]
    assert endpoint.path.nodes == [RISKY[k] for k in ("endpoint", "config", "model", "role")]
    assert endpoint.fix.check_id == "aws.iam.role_is_not_admin"

    images = {r.path.nodes[-1]: r for r in kinds["mutable_image_in_production"]}
    assert set(images) == {RISKY["endpoint"], RISKY["hub_endpoint"]}
    assert images[RISKY["endpoint"]].fix.check_id == "aws.ecr.repository_tags_are_immutable"


def test_a_path_across_an_unresolved_edge_keeps_it_with_its_reason_and_scores_the_doubt() -> None:
    (hub,) = [r for r in risky_report().risks or [] if r.path.nodes[-1] == RISKY["hub_endpoint"]]
    assert hub.path.nodes[:2] == [RISKY["hub_repository"], RISKY["hub_image"]]
    unresolved = [e for e in hub.path.edges if not e.resolved]
    assert [(e.source, e.target, e.reason) for e in unresolved] == [
        (RISKY["hub_image"], RISKY["hub_repository"], UNRESOLVED_REASON)
    ]
    assert hub.factors["uncertainty"].value == 1 and hub.factors["uncertainty"].contribution == -5
    assert hub.factors["exposure"].value == "other_account"  # another registry's owner controls the image


def test_score_is_the_sum_of_its_factors_and_sets_the_severity() -> None:
    report = risky_report()
    assert report.risks
    for risk in report.risks:
        assert set(risk.factors) == {"severity", "exposure", "blast_radius", "uncertainty"}
        assert risk.score == max(0, min(100, sum(f.contribution for f in risk.factors.values())))
        assert risk.severity is R.severity_of(risk.score)
        assert risk.id == risk_uid(risk.kind, risk.path.nodes)
        assert risk.provider == "aws"
    top = report.risks[0]
    assert (top.kind, top.score, top.severity) == ("admin_role_on_internet_notebook", 100.0, Severity.CRITICAL)
    assert [r.score for r in report.risks] == sorted((r.score for r in report.risks), reverse=True)


@pytest.mark.parametrize(
    ("score", "severity"),
    [(100, Severity.CRITICAL), (80, Severity.CRITICAL), (79.9, Severity.HIGH), (60, Severity.HIGH),
     (40, Severity.MEDIUM), (39, Severity.LOW), (0, Severity.LOW)],
)  # fmt: skip
def test_severity_thresholds(score: float, severity: Severity) -> None:
    assert R.severity_of(score) is severity


def test_muted_and_error_findings_open_no_path() -> None:
    findings = [
        f.model_copy(update={"muted": True}) if f.check_id == "aws.s3.bucket_is_not_public" else f
        for f in risky_findings()
    ]
    findings = [
        f.model_copy(update={"status": Status.ERROR}) if f.check_id == "aws.iam.role_is_not_admin" else f
        for f in findings
    ]
    risks = R.find_risks(risky_lineage(), findings)
    assert {r.kind for r in risks} == {
        "mutable_image_in_production",
        "unsafe_artifact_in_production",
        "agent_knowledge_base_injection",
        "unguarded_agent_reaches_admin",  # opened by the agent's own finding and the tool role's
    }


def test_broadly_writable_data_named_by_the_lineage_check_is_a_risk_of_another_account() -> None:
    job_finding = make_finding(
        "aws.lineage.training_data_is_not_broadly_writable",
        RISKY["job"],
        resource_type="aws.sagemaker.training_job",
        evidence={
            "problems": [
                {
                    "message": "The data s3://public-data/train/ can be written by partner",
                    "data": "s3://public-data/train/",
                    "writers": [{"principal": "arn:aws:iam::999999999999:root", "kind": "account"}],
                },
                "not a problem record",
                {"data": "https://elsewhere.example/x"},
            ]
        },
    )
    (risk,) = R.find_risks(risky_lineage(), [job_finding])
    assert risk.kind == "untrusted_training_data"
    assert risk.factors["exposure"].value == "other_account"
    assert risk.title.startswith("Broadly writable training data in bucket public-data")
    assert risk.fix.finding_uid == job_finding.uid and risk.findings == [job_finding.uid]


def test_a_role_that_escalates_shows_its_escalation_steps_in_the_path() -> None:
    other = "arn:aws:iam::111111111111:role/other"
    findings = [
        make_finding(
            "aws.iam.role_cannot_reach_admin",
            RISKY["role"],
            severity=Severity.CRITICAL,
            resource_type="aws.iam.role",
            evidence={"path": [{"source": RISKY["role"], "target": other, "via": "iam:PassRole", "conditional": True}]},
        ),
        make_finding(
            "aws.sagemaker.notebook_has_no_direct_internet_access",
            RISKY["notebook"],
            resource_type="aws.sagemaker.notebook_instance",
        ),
    ]
    risks = {r.kind: r for r in R.find_risks(risky_lineage(), findings)}
    notebook = risks["admin_role_on_internet_notebook"]
    assert notebook.path.nodes == [RISKY["notebook"], RISKY["role"], other]
    step = notebook.path.edges[-1]
    assert (step.relation, step.api_field, step.reason) == (
        R.ESCALATES_TO,
        "iam:PassRole",
        "only when the conditions of its statements hold",
    )
    assert notebook.title.endswith("which can escalate to administrator")
    assert risks["admin_role_behind_endpoint"].path.nodes[-1] == other


def test_a_network_isolated_model_keeps_its_role_out_of_reach() -> None:
    isolated = make_finding(
        "aws.sagemaker.model_has_network_isolation",
        RISKY["model"],
        status=Status.PASS,
        resource_type="aws.sagemaker.model",
    )
    kinds = {r.kind for r in R.find_risks(risky_lineage(), [*risky_findings(), isolated])}
    assert "admin_role_behind_endpoint" not in kinds and "admin_role_on_internet_notebook" in kinds


def test_an_endpoint_that_is_not_in_service_is_a_smaller_blast_radius() -> None:
    lineage = risky_lineage()
    nodes = [n.model_copy(update={"status": "Failed"}) if n.id == RISKY["endpoint"] else n for n in lineage.nodes]
    risks = {r.kind: r for r in R.find_risks(lineage.model_copy(update={"nodes": nodes}), risky_findings())}
    data = risks["untrusted_training_data"]
    assert (data.factors["blast_radius"].value, data.factors["blast_radius"].contribution) == ("idle_endpoint", 15)
    assert data.title.endswith("reaches endpoint fraud-prod (not InService)")
    assert risks["admin_role_behind_endpoint"].factors["exposure"].value == "account"  # nobody calls it now
    served = {r.kind: r for r in R.find_risks(risky_lineage(), risky_findings())}  # status unknown: serving
    assert served["untrusted_training_data"].factors["blast_radius"].value == "endpoint"
    assert served["admin_role_behind_endpoint"].factors["exposure"].value == "invokers"


def test_nothing_to_correlate() -> None:
    assert R.find_risks(Lineage(), risky_findings()) == []
    assert R.find_risks(risky_lineage(), []) == []
    assert R.risks_of(make_report(risky_findings())) is None  # no lineage: not computed


def test_the_report_section_round_trips_and_is_additive() -> None:
    report = risky_report()
    data = json.loads(report.to_json())
    first = data["risks"][0]
    assert set(first) >= {"id", "kind", "title", "severity", "score", "factors", "path", "findings", "fix", "provider"}
    assert set(first["path"]["edges"][0]) >= {"source", "target", "relation", "resolved", "reason"}
    assert set(first["fix"]) >= {"finding_uid", "check_id", "resource_uid", "action"}
    assert ScanReport.model_validate(data) == report
    del data["risks"]  # a report of an older cspm
    assert ScanReport.model_validate(data).risks is None


def test_muting_recomputes_the_risks() -> None:
    from cspm.lineage import refresh

    report = risky_report()
    muted = [f.model_copy(update={"muted": True}) for f in report.findings]
    assert refresh(report.model_copy(update={"findings": muted})).risks == []


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_ids_order_and_content_do_not_depend_on_input_order(rnd: object) -> None:
    lineage = risky_lineage()
    findings = risky_findings()
    expected = R.find_risks(lineage, findings)
    nodes, edges = list(lineage.nodes), list(lineage.edges)
    for seq in (nodes, edges, findings):
        rnd.shuffle(seq)  # type: ignore[attr-defined]
    shuffled = R.find_risks(Lineage(nodes=nodes, edges=edges), findings)
    assert [r.model_dump() for r in shuffled] == [r.model_dump() for r in expected]


def test_ids_do_not_depend_on_scan_ids_or_times() -> None:
    from datetime import UTC, datetime

    one = risky_report(scan_id="00000000-0000-4000-8000-00000000000a")
    two = risky_report(scan_id="00000000-0000-4000-8000-00000000000b", started=datetime(2027, 1, 1, tzinfo=UTC))
    assert [r.id for r in one.risks or []] == [r.id for r in two.risks or []]


def test_the_kinds_are_a_table() -> None:
    names = [k.kind for k in R.KINDS]
    assert len(names) == len(set(names))
    assert all(k.kind.islower() and " " not in k.kind and k.summary and k.combines for k in R.KINDS)
    # One finder per row: a table of one kind finds only that kind.
    report = risky_report()
    assert report.lineage is not None
    for kind in R.KINDS:
        found = R.find_risks(report.lineage, report.findings, kinds=[kind])
        assert found and {r.kind for r in found} == {kind.kind}


# -- random lineages: the invariants hold for any graph, not only the hand-built one --------------

RANDOM_CHECKS = (
    ("aws.s3.bucket", "aws.s3.bucket_is_not_public"),
    ("aws.iam.role", "aws.iam.role_is_not_admin"),
    ("aws.ecr.repository", "aws.ecr.repository_tags_are_immutable"),
    ("aws.sagemaker.notebook_instance", "aws.sagemaker.notebook_has_no_direct_internet_access"),
)


@st.composite
def random_estates(draw: st.DrawFn) -> tuple[Lineage, list[Finding]]:
    """A random AI estate: buckets read by jobs, models trained by jobs, run as roles and from
    images, hosted by configs served by endpoints, notebooks running as roles; some edges
    unresolved; random failing findings (some muted) on random nodes."""
    from cspm.models import LineageEdge, LineageNode

    sizes = {
        t: draw(st.integers(1, 3)) for t in ("bucket", "job", "model", "config", "endpoint", "role", "image", "nb")
    }
    types = {
        "bucket": "aws.s3.bucket",
        "job": "aws.sagemaker.training_job",
        "model": "aws.sagemaker.model",
        "config": "aws.sagemaker.endpoint_config",
        "endpoint": "aws.sagemaker.endpoint",
        "role": "aws.iam.role",
        "image": "aws.ecr.image",
        "repo": "aws.ecr.repository",
        "nb": "aws.sagemaker.notebook_instance",
    }
    ids = {k: [f"arn:aws:{k}:::{k}-{i}" for i in range(sizes.get(k, sizes["image"]))] for k in types}
    nodes = [LineageNode(id=i, type=types[k], name=i.rsplit(":", 1)[-1]) for k, ids_ in ids.items() for i in ids_]
    links = (
        ("job", "bucket", "reads"),
        ("model", "job", "trained_by"),
        ("model", "role", "runs_as"),
        ("model", "image", "runs"),
        ("image", "repo", "in_repository"),
        ("config", "model", "hosts"),
        ("endpoint", "config", "serves"),
        ("nb", "role", "runs_as"),
    )
    edges = {}
    for source_kind, target_kind, relation in links:
        for source in ids[source_kind]:
            for target in draw(st.lists(st.sampled_from(ids[target_kind]), max_size=2, unique=True)):
                resolved = draw(st.booleans()) or relation != "in_repository"
                edges[(source, target, relation)] = LineageEdge(
                    source=source,
                    target=target,
                    relation=relation,
                    api_field="f",
                    resolved=resolved,
                    reason=None if resolved else "not in this scan",
                )
    findings = []
    for node_type, check in RANDOM_CHECKS:
        for node in (n for n in nodes if n.type == node_type):
            if draw(st.booleans()):
                findings.append(
                    make_finding(
                        check,
                        node.id,
                        resource_type=node_type,
                        severity=draw(st.sampled_from(list(Severity))),
                        muted=draw(st.booleans()) and draw(st.booleans()),
                    )
                )
    return Lineage(nodes=nodes, edges=list(edges.values())), findings


@settings(max_examples=60, deadline=None)
@given(random_estates(), st.randoms(use_true_random=False))
def test_random_estates_ids_scores_and_paths(estate: tuple[Lineage, list[Finding]], rnd: object) -> None:
    lineage, findings = estate
    risks = R.find_risks(lineage, findings)
    nodes = {n.id for n in lineage.nodes}
    failing = {f.uid for f in findings if not f.muted}
    for risk in risks:
        assert risk.id == risk_uid(risk.kind, risk.path.nodes)
        assert risk.score == max(0, min(100, sum(f.contribution for f in risk.factors.values())))
        assert set(risk.path.nodes) <= nodes and len(risk.path.edges) == len(risk.path.nodes) - 1
        for edge, (a, b) in zip(risk.path.edges, itertools.pairwise(risk.path.nodes), strict=True):
            assert {edge.source, edge.target} == {a, b}  # each edge joins its two path neighbours
        assert risk.findings and set(risk.findings) <= failing  # muted findings open nothing
        assert risk.factors["uncertainty"].value == sum(1 for e in risk.path.edges if not e.resolved)
    assert len({r.id for r in risks}) == len(risks)
    assert [(-r.score, r.id) for r in risks] == sorted((-r.score, r.id) for r in risks)
    shuffled_nodes, shuffled_edges, shuffled_findings = list(lineage.nodes), list(lineage.edges), list(findings)
    for seq in (shuffled_nodes, shuffled_edges, shuffled_findings):
        rnd.shuffle(seq)  # type: ignore[attr-defined]
    again = R.find_risks(Lineage(nodes=shuffled_nodes, edges=shuffled_edges), shuffled_findings)
    assert [r.model_dump() for r in again] == [r.model_dump() for r in risks]


def test_an_unsafe_artifact_served_by_an_endpoint_is_a_risk_fixed_by_the_models_artifact_finding() -> None:
    report = risky_report()
    (unsafe,) = by_kind(report)["unsafe_artifact_in_production"]
    assert unsafe.path.nodes == [RISKY[k] for k in ("artifact", "model", "config", "endpoint")]
    assert [(e.source, e.relation, e.target) for e in unsafe.path.edges] == [
        (RISKY["model"], "loads", RISKY["artifact"]),
        (RISKY["config"], "hosts", RISKY["model"]),
        (RISKY["endpoint"], "serves", RISKY["config"]),
    ]
    assert unsafe.fix.check_id == "aws.sagemaker.model_artifact_is_free_of_unsafe_code"
    assert unsafe.fix.resource_uid == RISKY["model"]
    assert "posix.system" in unsafe.title
    assert unsafe.factors["exposure"].value == "internet"  # the artifact is in the public bucket
    assert (unsafe.score, unsafe.severity) == (95.0, Severity.CRITICAL)


def test_an_unsafe_artifact_without_its_failing_finding_or_endpoint_opens_no_path() -> None:
    lineage = risky_lineage()
    no_finding = [f for f in risky_findings() if f.check_id != "aws.sagemaker.model_artifact_is_free_of_unsafe_code"]
    assert "unsafe_artifact_in_production" not in {r.kind for r in R.find_risks(lineage, no_finding)}
    errored = [
        f.model_copy(update={"status": Status.ERROR})
        if f.check_id == "aws.sagemaker.model_artifact_is_free_of_unsafe_code"
        else f
        for f in risky_findings()
    ]
    assert "unsafe_artifact_in_production" not in {r.kind for r in R.find_risks(lineage, errored)}
    unserved = lineage.model_copy(update={"edges": [e for e in lineage.edges if e.relation != "serves"]})
    assert "unsafe_artifact_in_production" not in {r.kind for r in R.find_risks(unserved, risky_findings())}


def test_an_unsafe_artifact_path_keeps_an_unresolved_edge_and_scores_the_doubt() -> None:
    lineage = risky_lineage()
    edges = [
        e.model_copy(update={"resolved": False, "reason": "endpoint config not collected"})
        if e.relation == "hosts" and e.target == RISKY["model"]
        else e
        for e in lineage.edges
    ]
    risks = R.find_risks(lineage.model_copy(update={"edges": edges}), risky_findings())
    (unsafe,) = [r for r in risks if r.kind == "unsafe_artifact_in_production"]
    assert [(e.relation, e.resolved, e.reason) for e in unsafe.path.edges if not e.resolved] == [
        ("hosts", False, "endpoint config not collected")
    ]
    assert unsafe.factors["uncertainty"].contribution == -5 and unsafe.score == 90.0


def test_public_data_behind_a_provisioned_bedrock_model_is_a_risk_fixed_at_the_bucket() -> None:
    report = risky_report()
    (poisoned,) = by_kind(report)["poisoned_bedrock_model_in_service"]
    assert poisoned.path.nodes == [RISKY[k] for k in ("bucket", "chat", "tuning", "custom_model", "throughput")]
    assert [e.relation for e in poisoned.path.edges] == ["in_bucket", "reads", "trained_by", "hosts"]
    assert poisoned.fix.check_id == "aws.s3.bucket_is_not_public" and poisoned.fix.resource_uid == RISKY["bucket"]
    assert poisoned.factors["exposure"].value == "internet"
    assert poisoned.factors["blast_radius"].value == "endpoint"  # a throughput serves inference
    assert poisoned.title == (
        "Public training data in bucket public-data trained Bedrock model support-llm, "
        "served by provisioned throughput support-pt"
    )


def test_broadly_writable_bedrock_data_named_by_the_graph_check_is_a_risk_with_an_unresolved_edge() -> None:
    graph_finding = make_finding(
        "aws.lineage.provisioned_model_training_data_is_not_broadly_writable",
        RISKY["throughput"],
        severity=Severity.HIGH,
        resource_type="aws.bedrock.provisioned_throughput",
        evidence={"problems": [{"data": "s3://public-data/chat/", "writers": [{"kind": "account"}]}]},
    )
    findings = [f for f in risky_findings() if f.check_id != "aws.s3.bucket_is_not_public"] + [graph_finding]
    lineage = risky_lineage()
    edges = [
        e.model_copy(update={"resolved": False, "reason": "custom model not collected"})
        if e.relation == "trained_by" and e.target == RISKY["tuning"]
        else e
        for e in lineage.edges
    ]
    risks = R.find_risks(lineage.model_copy(update={"edges": edges}), findings)
    (poisoned,) = [r for r in risks if r.kind == "poisoned_bedrock_model_in_service"]
    assert poisoned.fix.finding_uid == graph_finding.uid
    assert poisoned.factors["exposure"].value == "other_account"
    assert [(e.relation, e.reason) for e in poisoned.path.edges if not e.resolved] == [
        ("trained_by", "custom model not collected")
    ]
    assert poisoned.factors["uncertainty"].contribution == -5
    # without either finding, no path
    quiet = [f for f in risky_findings() if f.check_id != "aws.s3.bucket_is_not_public"]
    assert "poisoned_bedrock_model_in_service" not in {r.kind for r in R.find_risks(lineage, quiet)}


KB_CHECK = "aws.lineage.agent_knowledge_base_data_is_not_broadly_writable"


def test_broadly_writable_knowledge_base_data_is_an_injection_risk_fixed_by_the_graph_finding() -> None:
    report = risky_report()
    (finding,) = [f for f in report.findings if f.check_id == KB_CHECK]
    (risk,) = by_kind(report)["agent_knowledge_base_injection"]
    assert risk.path.nodes == [RISKY["kb_bucket"], RISKY["kb"], RISKY["agent"]]
    assert [e.relation for e in risk.path.edges] == ["reads", "retrieves"]
    assert risk.fix.finding_uid == finding.uid and risk.findings == [finding.uid]
    assert (risk.factors["exposure"].value, risk.factors["blast_radius"].value) == ("other_account", "agent")
    assert risk.score == 30 + 20 + 25


def test_a_knowledge_base_injection_path_keeps_its_unresolved_edge_and_needs_the_failure() -> None:
    lineage = risky_lineage()
    edges = [
        e.model_copy(update={"resolved": False, "reason": "knowledge base not collected"})
        if e.relation == "retrieves"
        else e
        for e in lineage.edges
    ]
    risks = R.find_risks(lineage.model_copy(update={"edges": edges}), risky_findings())
    (risk,) = [r for r in risks if r.kind == "agent_knowledge_base_injection"]
    assert [(e.relation, e.reason) for e in risk.path.edges if not e.resolved] == [
        ("retrieves", "knowledge base not collected")
    ]
    assert risk.factors["uncertainty"].contribution == -5
    errored = [f.model_copy(update={"status": Status.ERROR}) if f.check_id == KB_CHECK else f for f in risky_findings()]
    assert "agent_knowledge_base_injection" not in {r.kind for r in R.find_risks(lineage, errored)}


AGENT_CHECK = "aws.lineage.unguarded_agent_tools_cannot_reach_admin"


def test_an_unguarded_agents_tool_role_reaching_admin_is_a_risk_with_its_escalation() -> None:
    report = risky_report()
    finding = {(f.check_id, f.resource_uid): f.uid for f in report.findings}
    (risk,) = by_kind(report)["unguarded_agent_reaches_admin"]
    assert risk.path.nodes == [RISKY[k] for k in ("ops_agent", "tool", "tool_role", "role")]
    assert [e.relation for e in risk.path.edges] == ["invokes", "runs_as", "escalates_to"]
    assert risk.fix.finding_uid == finding[(AGENT_CHECK, RISKY["ops_agent"])]
    assert finding[("aws.iam.role_cannot_reach_admin", RISKY["tool_role"])] in risk.findings
    assert (risk.factors["exposure"].value, risk.factors["blast_radius"].value) == ("invokers", "admin")


def test_an_unguarded_agent_path_keeps_its_unresolved_edge_and_needs_the_failure() -> None:
    lineage = risky_lineage()
    edges = [
        e.model_copy(update={"resolved": False, "reason": "function not in the scan"}) if e.relation == "invokes" else e
        for e in lineage.edges
    ]
    risks = R.find_risks(lineage.model_copy(update={"edges": edges}), risky_findings())
    (risk,) = [r for r in risks if r.kind == "unguarded_agent_reaches_admin"]
    assert [(e.relation, e.reason) for e in risk.path.edges if not e.resolved] == [
        ("invokes", "function not in the scan")
    ]
    assert risk.factors["uncertainty"].contribution == -5
    muted = [f.model_copy(update={"muted": True}) if f.check_id == AGENT_CHECK else f for f in risky_findings()]
    assert "unguarded_agent_reaches_admin" not in {r.kind for r in R.find_risks(lineage, muted)}
