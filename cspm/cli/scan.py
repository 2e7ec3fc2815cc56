"""``cspm scan aws``, ``cspm scan azure`` and ``cspm scan gcp``.

Importing this module imports only typer and cspm core; each command imports its own cloud SDK
when it runs, so ``cspm --help`` and ``cspm scan aws`` load no Azure or Google module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from cspm.choices import REQUIRE_SIGNED, one_of
from cspm.cli.app import scan_app
from cspm.cli.options import (
    AwsServices,
    AzureServices,
    Checks,
    Compliance,
    Exclude,
    FailOn,
    Formats,
    FormatsDeprecated,
    GcpServices,
    JsonPath,
    MaxResponseMb,
    MutelistOpt,
    OutputDir,
    Quiet,
    SeverityOpt,
    Store,
    Strict,
    Timeout,
    Workers,
    output_options,
    renamed,
    selection_from,
)

# --inspect-artifacts and its options: one definition for every cloud that reads model artifacts.
InspectArtifacts = Annotated[
    bool,
    typer.Option(
        "--inspect-artifacts",
        help="Read the model artifacts the models load (S3 GetObject, Cloud Storage and Blob Storage reads) and judge "
        "their contents: unsafe pickle code, safe formats. Off by default.",
    ),
]
ArtifactMaxMb = Annotated[
    int,
    typer.Option(
        "--artifact-max-mb", min=1, metavar="MIB", help="With --inspect-artifacts: most MiB read per artifact [512]."
    ),
]
ArtifactScanMaxMb = Annotated[
    int,
    typer.Option(
        "--artifact-scan-max-mb", min=1, metavar="MIB", help="With --inspect-artifacts: most MiB read per scan [10240]."
    ),
]


def _time_limit(value: float) -> float:
    from cspm.artifacts.options import time_limit

    return time_limit(value)


ArtifactTimeLimit = Annotated[
    float,
    typer.Option(
        "--artifact-time-limit",
        metavar="SECONDS",
        callback=_time_limit,
        help="With --inspect-artifacts: most seconds one artifact read may take, however slowly the store "
        "sends it; past it the artifact is an ERROR [600].",
    ),
]
SigningKey = Annotated[
    Path | None,
    typer.Option(
        "--signing-key",
        metavar="FILE",
        help="Verify model signatures (the .sig object next to each artifact) with this EC public key (PEM).",
    ),
]
SigningCertificate = Annotated[
    list[Path] | None,
    typer.Option(
        "--signing-certificate",
        metavar="FILE",
        help="Verify model signatures against this certificate chain (PEM; repeatable).",
    ),
]
SigningIdentity = Annotated[
    str | None,
    typer.Option(
        "--signing-identity", metavar="IDENTITY", help="Verify Sigstore keyless model signatures of this signer."
    ),
]
SigstoreTrustConfig = Annotated[
    Path | None,
    typer.Option(
        "--sigstore-trust-config",
        metavar="FILE",
        help="With --signing-identity: verify keyless signatures offline against this Sigstore "
        "ClientTrustConfig (JSON) instead of fetching Sigstore's trust root.",
    ),
]
SigningIssuer = Annotated[
    str | None, typer.Option("--signing-issuer", metavar="URL", help="The OIDC issuer of --signing-identity.")
]
RequireSignedModels = Annotated[
    str,
    typer.Option(
        "--require-signed-models",
        metavar=one_of(REQUIRE_SIGNED),
        help="Signing policy: none, all (every model), served (models behind an InService endpoint); "
        "a missing signature then fails [none].",
    ),
]

AWS_WORKERS = 8
AWS_ORG_WORKERS = 24  # an organization has many more independent (account, region, service) units

# The distributed-scan options of `scan azure` and `scan gcp` (docs/distributed.md); `scan aws`
# has its own, which say --org.
DistExecutor = Annotated[
    str | None,
    typer.Option(
        "--executor",
        metavar="ADDRESS",
        help="Run shards of subscriptions (Azure) or projects (GCP) on Dask, local:N (N processes) or "
        "tls://HOST:PORT (a scheduler); needs cspm[distributed].",
    ),
]
DistShardSize = Annotated[
    int | None,
    typer.Option(
        "--shard-size", min=1, metavar="N", help="With --executor or --plan: subscriptions or projects per shard [10]."
    ),
]
DistPartsDir = Annotated[
    Path | None,
    typer.Option("--parts-dir", metavar="DIR", help="With --executor: where parts are kept [OUTPUT_DIR/parts]."),
]
DistResume = Annotated[
    bool, typer.Option("--resume", help="With --executor: finish the scan in --parts-dir, skipping done scopes.")
]
DistPlan = Annotated[
    Path | None,
    typer.Option("--plan", metavar="FILE", help="Write the shard plan to FILE for 'cspm shard run', scan nothing."),
]
DistInsecure = Annotated[bool, typer.Option("--insecure", help="With --executor: allow plain tcp:// to another host.")]


@scan_app.command("aws")
def scan_aws(
    profile: Annotated[str | None, typer.Option("--profile", metavar="NAME", help="AWS named profile.")] = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", metavar="REGION", help="Region to scan (repeatable); default: all enabled."),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", metavar="URL", help="Custom AWS endpoint (AWS_ENDPOINT_URL is honoured too)."),
    ] = None,
    org: Annotated[
        bool,
        typer.Option(
            "--org",
            help="Scan every ACTIVE account of the organization (run from the management or a delegated "
            "administrator account), assuming --role-name in each; the caller's own account with its own credentials.",
        ),
    ] = False,
    role_name: Annotated[
        str | None,
        typer.Option(
            "--role-name",
            metavar="NAME",
            help="With --org: the role to assume in each account [OrganizationAccountAccessRole].",
        ),
    ] = None,
    role_arn: Annotated[
        str | None,
        typer.Option(
            "--role-arn", metavar="ARN", help="Scan the one account of this role, assumed with sts:AssumeRole."
        ),
    ] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", metavar="ID", help="The sts:ExternalId to pass to every AssumeRole.")
    ] = None,
    accounts: Annotated[
        list[str] | None,
        typer.Option("--accounts", metavar="ID,...", help="With --org: only these account ids (comma-separated)."),
    ] = None,
    exclude_accounts: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-accounts", metavar="ID,...", help="With --org: skip these account ids (comma-separated)."
        ),
    ] = None,
    scp: Annotated[
        bool | None,
        typer.Option(
            "--scp/--no-scp",
            help="Read the organization's SCPs and RCPs (with the caller's credentials) and apply them to IAM "
            "verdicts [on with --org, off otherwise].",
        ),
    ] = None,
    services: AwsServices = None,
    checks: Checks = None,
    exclude_checks: Exclude = None,
    severity: SeverityOpt = None,
    output_dir: OutputDir = Path("cspm-output"),
    json_path: JsonPath = None,
    fail_on: FailOn = "none",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            metavar="N",
            help=f"Concurrent API workers [{AWS_WORKERS}; {AWS_ORG_WORKERS} with --org].",
        ),
    ] = None,
    quiet: Quiet = False,
    strict: Strict = False,
    timeout: Timeout = None,
    formats: Formats = None,
    formats_deprecated: FormatsDeprecated = None,
    mutelist: MutelistOpt = None,
    compliance: Compliance = None,
    store: Store = None,
    max_response_mb: MaxResponseMb = 64,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            metavar="ADDRESS",
            help="With --org: run shards of accounts on Dask, local:N (N processes) or tls://HOST:PORT "
            "(a scheduler); needs cspm[distributed].",
        ),
    ] = None,
    shard_size: Annotated[
        int | None,
        typer.Option("--shard-size", min=1, metavar="N", help="With --executor or --plan: accounts per shard [10]."),
    ] = None,
    parts_dir: Annotated[
        Path | None,
        typer.Option("--parts-dir", metavar="DIR", help="With --executor: where parts are kept [OUTPUT_DIR/parts]."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="With --executor: finish the scan in --parts-dir, skipping done accounts.")
    ] = False,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            metavar="FILE",
            help="With --org: write the shard plan to FILE for 'cspm shard run', scan nothing.",
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="With --executor: allow plain tcp:// to another host.")
    ] = False,
    inspect_artifacts: InspectArtifacts = False,
    artifact_max_mb: ArtifactMaxMb = 512,
    artifact_scan_max_mb: ArtifactScanMaxMb = 10240,
    artifact_time_limit: ArtifactTimeLimit = 600.0,
    signing_key: SigningKey = None,
    signing_certificate: SigningCertificate = None,
    signing_identity: SigningIdentity = None,
    signing_issuer: SigningIssuer = None,
    sigstore_trust_config: SigstoreTrustConfig = None,
    require_signed_models: RequireSignedModels = "none",
) -> None:
    """Scan an AWS account, or every account of an organization (--org): IAM, S3, VPC, SageMaker,
    Bedrock, AgentCore, Lambda, ECR, KMS and CloudTrail."""
    from cspm.artifacts.options import artifact_settings, select_checks, signing_policy
    from cspm.cli.distributed import Distribution
    from cspm.selection import split_csv

    dist = Distribution(executor, shard_size, parts_dir, resume, plan, insecure)
    dist.validate(org=org, timeout=timeout, inspect_artifacts=inspect_artifacts)

    out = output_options(
        output_dir,
        json_path,
        fail_on,
        strict,
        quiet,
        timeout,
        formats=renamed("--format", "--output-formats", formats_deprecated, formats),
        mutelist=mutelist,
        compliance=compliance,
        store=store,
        cloud="aws",
    )
    selection = selection_from(services, checks, exclude_checks, severity)
    from cspm.providers.aws import SERVICE_MODULES, AwsOptions, AwsProvider
    from cspm.runner import run

    selected = select_checks(selection.apply("aws", available_services=list(SERVICE_MODULES)), inspect_artifacts)
    workers = workers or (AWS_ORG_WORKERS if org else AWS_WORKERS)
    options = AwsOptions(
        profile=profile,
        regions=tuple(split_csv(region)),
        endpoint_url=endpoint_url,
        workers=workers,
        org=org,
        role_name=role_name,
        role_arn=role_arn,
        external_id=external_id,
        accounts=tuple(split_csv(accounts)),
        exclude_accounts=tuple(split_csv(exclude_accounts)),
        max_response_bytes=max_response_mb * 2**20,
        scp=scp,
        artifacts=artifact_settings(
            inspect_artifacts,
            artifact_max_mb,
            artifact_scan_max_mb,
            store,
            signing_policy(
                signing_key,
                signing_certificate,
                signing_identity,
                signing_issuer,
                require_signed_models,
                sigstore_trust_config,
            ),
            time_limit=artifact_time_limit,
        ),
    )
    options.validate()
    provider = AwsProvider(options)
    if dist.requested:
        from cspm.cli.distributed import scan_org_distributed

        raise typer.Exit(scan_org_distributed(provider, selected, out, dist))
    provider.connect()
    raise typer.Exit(run(provider, selected, out, workers=workers))


@scan_app.command("azure")
def scan_azure(
    subscription: Annotated[
        list[str] | None,
        typer.Option(
            "--subscription",
            metavar="ID",
            help="Subscription id to scan (repeatable); default: every subscription the credential can list.",
        ),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", metavar="TENANT", help="Microsoft Entra tenant to sign in to.")
    ] = None,
    managed_identity: Annotated[
        bool,
        typer.Option(
            "--managed-identity",
            help="Also try the instance's managed identity (automatic when IDENTITY_ENDPOINT or MSI_ENDPOINT is set).",
        ),
    ] = False,
    services: AzureServices = None,
    checks: Checks = None,
    exclude_checks: Exclude = None,
    severity: SeverityOpt = None,
    output_dir: OutputDir = Path("cspm-output"),
    json_path: JsonPath = None,
    fail_on: FailOn = "none",
    workers: Workers = 8,
    quiet: Quiet = False,
    strict: Strict = False,
    timeout: Timeout = None,
    formats: Formats = None,
    formats_deprecated: FormatsDeprecated = None,
    mutelist: MutelistOpt = None,
    compliance: Compliance = None,
    store: Store = None,
    max_response_mb: MaxResponseMb = 64,
    executor: DistExecutor = None,
    shard_size: DistShardSize = None,
    parts_dir: DistPartsDir = None,
    resume: DistResume = False,
    plan: DistPlan = None,
    insecure: DistInsecure = False,
    inspect_artifacts: InspectArtifacts = False,
    artifact_max_mb: ArtifactMaxMb = 512,
    artifact_scan_max_mb: ArtifactScanMaxMb = 10240,
    artifact_time_limit: ArtifactTimeLimit = 600.0,
    signing_key: SigningKey = None,
    signing_certificate: SigningCertificate = None,
    signing_identity: SigningIdentity = None,
    signing_issuer: SigningIssuer = None,
    sigstore_trust_config: SigstoreTrustConfig = None,
    require_signed_models: RequireSignedModels = "none",
) -> None:
    """Scan Azure subscriptions: storage accounts and containers, Azure ML and AI Foundry workspaces
    and online endpoints, AI Services / Azure OpenAI accounts, Key Vaults and RBAC role assignments.

    Credentials: DefaultAzureCredential (az login, AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID,
    workload or managed identity). CSPM_AZURE_ARM_ENDPOINT sets the Resource Manager endpoint;
    CSPM_AZURE_BLOB_ENDPOINT the Blob Storage endpoint --inspect-artifacts reads (then the account
    is the first path segment).
    """
    from cspm.artifacts.options import artifact_settings, select_checks, signing_policy
    from cspm.cli.distributed import Distribution
    from cspm.selection import split_csv

    dist = Distribution(executor, shard_size, parts_dir, resume, plan, insecure)
    dist.validate(timeout=timeout, inspect_artifacts=inspect_artifacts)
    out = output_options(
        output_dir,
        json_path,
        fail_on,
        strict,
        quiet,
        timeout,
        formats=renamed("--format", "--output-formats", formats_deprecated, formats),
        mutelist=mutelist,
        compliance=compliance,
        store=store,
        cloud="azure",
    )
    selection = selection_from(services, checks, exclude_checks, severity)
    from cspm.providers.azure import SERVICE_MODULES, AzureOptions, AzureProvider
    from cspm.runner import run

    selected = select_checks(selection.apply("azure", available_services=list(SERVICE_MODULES)), inspect_artifacts)
    provider = AzureProvider(
        AzureOptions(
            subscriptions=tuple(split_csv(subscription)),
            tenant=tenant,
            managed_identity=managed_identity,
            max_response_bytes=max_response_mb * 2**20,
            artifacts=artifact_settings(
                inspect_artifacts,
                artifact_max_mb,
                artifact_scan_max_mb,
                store,
                signing_policy(
                    signing_key,
                    signing_certificate,
                    signing_identity,
                    signing_issuer,
                    require_signed_models,
                    sigstore_trust_config,
                ),
                time_limit=artifact_time_limit,
            ),
        )
    )
    if dist.requested:
        from cspm.cli.distributed import scan_distributed
        from cspm.providers.azure.credentials import arm_endpoint
        from cspm.shards import AzureShardOptions

        shard_options = AzureShardOptions(
            tenant=tenant,
            managed_identity=managed_identity,
            endpoint=arm_endpoint(),
            workers=workers,
            max_response_bytes=max_response_mb * 2**20,
        )
        raise typer.Exit(scan_distributed(provider, selected, out, dist, shard_options))
    provider.connect()
    raise typer.Exit(run(provider, selected, out, workers=workers))


@scan_app.command("gcp")
def scan_gcp(
    project: Annotated[
        list[str] | None,
        typer.Option(
            "--project",
            metavar="ID",
            help="Project id to scan (repeatable); default: every project the credential can see.",
        ),
    ] = None,
    organization: Annotated[
        list[str] | None,
        typer.Option(
            "--organization", metavar="ID", help="Scan every ACTIVE project under this organization id, at any depth."
        ),
    ] = None,
    folder: Annotated[
        list[str] | None,
        typer.Option(
            "--folder", metavar="ID", help="Scan every ACTIVE project under this folder id, at any depth (repeatable)."
        ),
    ] = None,
    services: GcpServices = None,
    checks: Checks = None,
    exclude_checks: Exclude = None,
    severity: SeverityOpt = None,
    output_dir: OutputDir = Path("cspm-output"),
    json_path: JsonPath = None,
    fail_on: FailOn = "none",
    workers: Workers = 8,
    quiet: Quiet = False,
    strict: Strict = False,
    timeout: Timeout = None,
    formats: Formats = None,
    formats_deprecated: FormatsDeprecated = None,
    mutelist: MutelistOpt = None,
    compliance: Compliance = None,
    store: Store = None,
    max_response_mb: MaxResponseMb = 64,
    executor: DistExecutor = None,
    shard_size: DistShardSize = None,
    parts_dir: DistPartsDir = None,
    resume: DistResume = False,
    plan: DistPlan = None,
    insecure: DistInsecure = False,
    inspect_artifacts: InspectArtifacts = False,
    artifact_max_mb: ArtifactMaxMb = 512,
    artifact_scan_max_mb: ArtifactScanMaxMb = 10240,
    artifact_time_limit: ArtifactTimeLimit = 600.0,
    signing_key: SigningKey = None,
    signing_certificate: SigningCertificate = None,
    signing_identity: SigningIdentity = None,
    signing_issuer: SigningIssuer = None,
    sigstore_trust_config: SigstoreTrustConfig = None,
    require_signed_models: RequireSignedModels = "none",
) -> None:
    """Scan Google Cloud projects: Cloud Storage buckets, Vertex AI resources and project IAM.

    Credentials: Application Default Credentials (gcloud auth application-default login,
    GOOGLE_APPLICATION_CREDENTIALS, an attached service account). STORAGE_EMULATOR_HOST is honoured;
    CSPM_GCP_CRM_ENDPOINT sets the Resource Manager endpoint.
    """
    from cspm.artifacts.options import artifact_settings, select_checks, signing_policy
    from cspm.cli.distributed import Distribution
    from cspm.selection import split_csv

    dist = Distribution(executor, shard_size, parts_dir, resume, plan, insecure)
    dist.validate(timeout=timeout, inspect_artifacts=inspect_artifacts)
    out = output_options(
        output_dir,
        json_path,
        fail_on,
        strict,
        quiet,
        timeout,
        formats=renamed("--format", "--output-formats", formats_deprecated, formats),
        mutelist=mutelist,
        compliance=compliance,
        store=store,
        cloud="gcp",
    )
    selection = selection_from(services, checks, exclude_checks, severity)
    from cspm.providers.gcp import SERVICE_MODULES, GcpOptions, GcpProvider
    from cspm.providers.gcp.credentials import CRM_ENDPOINT
    from cspm.runner import run

    selected = select_checks(selection.apply("gcp", available_services=list(SERVICE_MODULES)), inspect_artifacts)
    options = GcpOptions(
        projects=tuple(split_csv(project)),
        organizations=tuple(split_csv(organization)),
        folders=tuple(split_csv(folder)),
        crm_endpoint=os.environ.get("CSPM_GCP_CRM_ENDPOINT") or CRM_ENDPOINT,
        max_response_bytes=max_response_mb * 2**20,
        artifacts=artifact_settings(
            inspect_artifacts,
            artifact_max_mb,
            artifact_scan_max_mb,
            store,
            signing_policy(
                signing_key,
                signing_certificate,
                signing_identity,
                signing_issuer,
                require_signed_models,
                sigstore_trust_config,
            ),
            time_limit=artifact_time_limit,
        ),
    )
    options.parents()  # a bad --organization / --folder exits 2 before any credential is looked up
    provider = GcpProvider(options)
    if dist.requested:
        from cspm.cli.distributed import scan_distributed
        from cspm.shards import GcpShardOptions

        shard_options = GcpShardOptions(
            crm_endpoint=options.crm_endpoint, workers=workers, max_response_bytes=options.max_response_bytes
        )
        raise typer.Exit(scan_distributed(provider, selected, out, dist, shard_options))
    provider.connect()
    raise typer.Exit(run(provider, selected, out, workers=workers))
