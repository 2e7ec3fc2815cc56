"""Bedrock and AgentCore in the lineage graph (cspm.lineage_bedrock): the edges from the API
fields, dangling references kept with their reason, the severity rule and the renderers."""

from __future__ import annotations

from typing import Any

from cspm import lineage as L
from cspm.models import Baseline, Finding, Severity, Status, finding_uid
from cspm.reporting.lineage import render_dot, render_mermaid, render_tree
from cspm.resources.aws.awslambda import LambdaFunction
from cspm.resources.aws.bedrock import AgentGuardrail, KmsEncryption
from cspm.resources.aws.iam import IamRole
from cspm.resources.aws.s3 import S3Bucket
from cspm.resources.base import Resource
from support import bedrock as B

A, R = B.ACCOUNT, B.REGION


def bucket(name: str) -> S3Bucket:
    return S3Bucket(uid=f"arn:aws:s3:::{name}", name=name, account=A, region=R)


def role(name: str) -> IamRole:
    return IamRole(uid=B.role_arn(name), name=name, account=A)


def world(*extra: Resource) -> list[Resource]:
    buckets = [bucket(n) for n in ("train", "tuning-out", "weights", "kb-docs")]
    roles = [role(n) for n in ("bedrock-tuning", "bedrock-import", "bedrock-agent", "bedrock-kb")]
    return [*B.estate(), *buckets, *roles, *extra]


def edges(graph: L.LineageGraph) -> set[tuple[str, str, str, bool]]:
    short = {n.id: n.name for n in graph.nodes}
    return {(short[e.source], e.relation, short[e.target], e.resolved) for e in graph.edges}


def unresolved(graph: L.LineageGraph) -> dict[tuple[str, str], str | None]:
    short = {n.id: n.name for n in graph.nodes}
    return {(short[e.source], e.relation): e.reason for e in graph.edges if not e.resolved}


def test_every_bedrock_edge_from_the_api_fields() -> None:
    graph = L.build_lineage(world(B.agent_runtime()))
    titan = "amazon.titan-text-express-v1"
    assert edges(graph) >= {
        ("fraud-llm-pt", L.HOSTS, "fraud-llm", True),
        ("fraud-llm", L.TRAINED_BY, "tune-1", True),
        ("tune-1", L.READS, B.TRAINING_DATA, True),
        (B.TRAINING_DATA, L.IN_BUCKET, "train", True),
        ("tune-1", L.WRITES, "s3://tuning-out/fraud/", True),
        ("tune-1", L.RUNS_AS, "bedrock-tuning", True),
        ("tune-1", L.BASED_ON, titan, True),
        ("llama-pt", L.HOSTS, "llama-ft", True),
        ("llama-ft", L.IMPORTED_BY, "import-1", True),
        ("import-1", L.READS, B.WEIGHTS, True),
        ("import-1", L.RUNS_AS, "bedrock-import", True),
        ("support-agent", L.RETRIEVES, "support-docs", True),
        ("support-agent", L.GUARDED_BY, "support-guardrail", True),
        ("support-agent", L.RUNS_AS, "bedrock-agent", True),
        ("support-docs", L.READS, "kb-docs", True),
        ("support-docs", L.RUNS_AS, "bedrock-kb", True),
        ("rt-1", L.RUNS_AS, "agentcore-runtime", False),
        ("rt-1", L.RUNS, "agent:v1", False),
    }
    # the model's own copy of the job's configuration is not repeated while the job resolves
    assert not graph.edges_from(B.arn("custom-model", "fraud-llm"), L.READS)
    assert graph.node(B.arn("agent", B.AGENT_ID)).type == L.AGENT  # type: ignore[union-attr]


def test_action_group_functions_and_schemas() -> None:
    tools = B.agent(
        action_groups=(
            B.action_group(api_schema_s3_uri="s3://kb-docs/schemas/refunds.json"),
            B.action_group("ask-user", None, custom_control="RETURN_CONTROL"),
        ),
        orchestration_lambda_arns=(f"arn:aws:lambda:{R}:{A}:function:orchestrator",),
    )
    coverage = L.Coverage(collected=frozenset({L.BUCKET, L.ROLE, tools.resource_type}))
    graph = L.build_lineage([tools, bucket("kb-docs")], coverage)
    reasons = unresolved(graph)
    assert reasons[("support-agent", L.INVOKES)] in {
        "function refund-tool cannot be resolved: Lambda functions were not collected in this scan",
        "function orchestrator cannot be resolved: Lambda functions were not collected in this scan",
    }
    invoked = {e.target: e.api_field for e in graph.edges_from(tools.uid, L.INVOKES)}
    orchestrator = f"arn:aws:lambda:{R}:{A}:function:orchestrator"
    assert invoked == {
        B.FUNCTION_ARN: "actionGroups[refunds].actionGroupExecutor.lambda",
        orchestrator: "customOrchestration / promptOverrideConfiguration.overrideLambda",
    }
    assert ("support-agent", L.READS, "s3://kb-docs/schemas/refunds.json", True) in edges(graph)


def test_a_collected_function_is_followed_to_its_role() -> None:
    tools = B.agent(action_groups=(B.action_group(lambda_arn=f"{B.FUNCTION_ARN}:prod"),))
    function = LambdaFunction(
        uid=B.FUNCTION_ARN, name="refund-tool", account=A, region=R, role_arn=B.role_arn("refund-tool-role")
    )
    graph = L.build_lineage([tools, function, role("refund-tool-role")])
    assert {
        ("support-agent", L.INVOKES, "refund-tool", True),
        ("refund-tool", L.RUNS_AS, "refund-tool-role", True),
    } <= edges(graph)


def test_a_deleted_guardrail_is_an_unresolved_edge_with_the_collectors_reason() -> None:
    why = "guardrail gr-gone version 2 was deleted: it is not in the region's guardrails"
    dangling = B.agent(
        guardrail=AgentGuardrail(configured=True, identifier="gr-gone", version="2", exists=False, reason=why)
    )
    graph = L.build_lineage([dangling])
    (edge,) = graph.edges_from(dangling.uid, L.GUARDED_BY)
    assert (edge.target, edge.resolved, edge.reason) == (B.arn("guardrail", "gr-gone"), False, why)
    assert graph.node(edge.target).type == L.GUARDRAIL  # type: ignore[union-attr]


def test_a_guardrail_by_id_or_arn_resolves_and_no_guardrail_is_no_edge() -> None:
    by_id = B.agent("A1", guardrail=B.guarded(guardrail_arn=None))
    by_arn = B.agent("A2", guardrail=B.guarded(B.arn("guardrail", B.GUARDRAIL_ID), guardrail_arn=None))
    bare = B.agent("A3", guardrail=AgentGuardrail(configured=False))
    unreadable = B.agent("A4", guardrail=None, knowledge_base_ids=None)
    graph = L.build_lineage([by_id, by_arn, bare, unreadable, B.guardrail()])
    targets = {e.source: (e.target, e.resolved) for e in graph.edges if e.relation == L.GUARDED_BY}
    assert targets == {
        by_id.uid: (B.arn("guardrail", B.GUARDRAIL_ID), True),
        by_arn.uid: (B.arn("guardrail", B.GUARDRAIL_ID), True),
    }


def test_dangling_jobs_knowledge_bases_and_buckets_keep_their_edges() -> None:
    coverage = L.Coverage(collected=frozenset({L.BUCKET, L.CUSTOM_MODEL, L.AGENT, L.KNOWLEDGE_BASE, L.IMPORTED_MODEL}))
    orphan = B.custom_model(job_arn=B.arn("model-customization-job", "expired"))
    imported = B.imported_model()
    lonely = B.agent(knowledge_base_ids=("KBGONE0001",))
    graph = L.build_lineage(
        [orphan, imported, lonely, B.knowledge_base(data_sources=(B.data_source("elsewhere"),))], coverage
    )
    reasons = unresolved(graph)
    assert reasons[("fraud-llm", L.TRAINED_BY)] == (
        "customization job expired cannot be resolved: Bedrock model customization jobs were not collected in this scan"
    )
    # the job is gone: the model's own record of its training data is followed instead
    assert (
        reasons[("fraud-llm", L.READS)] == "bucket train is not in the inventory: deleted, or owned by another account"
    )
    assert reasons[("llama-ft", L.IMPORTED_BY)].startswith("model import job import-1 cannot be resolved")  # type: ignore[union-attr]
    assert ("llama-ft", L.READS) in reasons
    assert (
        reasons[("support-agent", L.RETRIEVES)] == "knowledge base KBGONE0001 was not found (deleted, or not readable)"
    )
    assert (
        reasons[("support-docs", L.READS)]
        == "bucket elsewhere is not in the inventory: deleted, or owned by another account"
    )


def test_knowledge_base_prefixes_keys_and_throughput_of_a_base_model() -> None:
    key = f"arn:aws:kms:{R}:{A}:key/kb"
    kb = B.knowledge_base(
        data_sources=(B.data_source(prefixes=("faq/", "policies/"), encryption=KmsEncryption(kms_key_id=key)),)
    )
    base_pt = B.provisioned_throughput("base-pt", B.BASE_MODEL)
    graph = L.build_lineage([kb, base_pt, bucket("kb-docs")])
    assert {
        ("support-docs", L.READS, "s3://kb-docs/faq/", True),
        ("support-docs", L.READS, "s3://kb-docs/policies/", True),
    } <= edges(graph)
    assert ("support-docs", L.ENCRYPTED_BY, "kb") in {(s, r, t) for s, r, t, _ in edges(graph)}
    assert ("base-pt", L.HOSTS, "amazon.titan-text-express-v1", True) in edges(graph)


# ---------------------------------------------------------------------------------------------
# The severity rule and the renderers
# ---------------------------------------------------------------------------------------------


def finding(uid: str, severity: Severity = Severity.MEDIUM) -> Finding:
    check_id = "aws.s3.bucket_versioning_enabled"
    return Finding(
        uid=finding_uid(check_id, uid),
        check_id=check_id,
        title="t",
        status=Status.FAIL,
        severity=severity,
        baseline=Baseline.INTEGRITY,
        resource_uid=uid,
        resource_type=L.BUCKET,
        account=A,
        region=R,
        message="m",
        remediation="r.",
    )


def test_severity_rule_raises_buckets_that_feed_bedrock_models_and_knowledge_bases() -> None:
    graph = L.build_lineage(world(bucket("unrelated")))
    names = ("train", "kb-docs", "weights", "unrelated")
    out = L.raise_supply_chain_severity([finding(f"arn:aws:s3:::{n}") for n in names], graph)
    assert [f.severity for f in out] == [Severity.HIGH, Severity.HIGH, Severity.HIGH, Severity.MEDIUM]
    used: list[dict[str, Any]] = out[1].evidence["ai_supply_chain"]["used_by"]
    assert [(u["type"], u["name"], u["relation"]) for u in used] == [(L.KNOWLEDGE_BASE, "support-docs", L.READS)]
    assert {u["type"] for u in out[0].evidence["ai_supply_chain"]["used_by"]} == {L.CUSTOMIZATION_JOB}


def test_renderers_show_bedrock_nodes_with_readable_labels() -> None:
    lineage = L.build_lineage(world()).to_model()
    tree = render_tree(lineage)
    for text in (
        "provisioned throughput fraud-llm-pt",
        "custom model fraud-llm",
        "customization job tune-1",
        "agent support-agent",
        "knowledge base support-docs",
        "guardrail support-guardrail",
        "imported model llama-ft",
        "model import job import-1",
    ):
        assert text in tree, text
    assert tree.index("provisioned throughput") < tree.index("custom model")  # served models first
    for rendered in (render_dot(lineage), render_mermaid(lineage)):
        assert "custom model" in rendered and "knowledge base" in rendered
