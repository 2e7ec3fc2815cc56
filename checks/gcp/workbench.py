"""Vertex AI Workbench instance checks: no public IP, no root, Shielded VM, customer-managed
disk keys, a dedicated service account and no IP forwarding.

Defender for Cloud's GCP AI recommendations "Public IP addresses should be disabled on Workbench
instances" and "Root access should be disabled on Workbench instances" are these checks' first
two (docs/gcp-ai-controls.md). Workbench instances are Compute Engine VMs, so the CIS GCP
compute items apply (``cis-gcp-5.0`` 4.1, 4.6, 4.8, 4.9); Google's generative-AI controls
(``gcp-genai`` VAI-CO-4.3, 4.7) are organization policies enforcing the same settings.
"""

from __future__ import annotations

from cspm.models import Baseline, Result, Severity, failed, passed, unknown
from cspm.registry import check
from cspm.resources.gcp.workbench import WorkbenchInstance

_DOCS = "https://cloud.google.com/vertex-ai/docs/workbench"
INSTANCE_REST = f"{_DOCS}/reference/rest/v2/projects.locations.instances"
ROOT_ACCESS = f"{_DOCS}/instances/manage-metadata"
CMEK = f"{_DOCS}/instances/cmek"
SHIELDED_VM = "https://cloud.google.com/compute/shielded-vm/docs/shielded-vm"
IP_FORWARDING = "https://cloud.google.com/vpc/docs/using-routes#canipforward"
SERVICE_ACCOUNTS = "https://cloud.google.com/compute/docs/access/service-accounts"
NO_GCE_SETUP = "The instance's gceSetup was not returned: its VM settings could not be read."


@check(
    title="Vertex AI Workbench instance has no public IP address",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the instance with gceSetup.disablePublicIp set (the console's 'Assign external "
    "IP address' off), reaching the internet through Cloud NAT and Google APIs through Private Google "
    "Access; enforce constraints/ainotebooks.restrictPublicIp.",
    compliance={"cis-gcp-5.0": ["4.9"], "gcp-genai": ["VAI-CO-4.7"], "nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0049"],
    references=(INSTANCE_REST,),
)
def instance_has_no_public_ip(instance: WorkbenchInstance) -> Result:
    """An external IP puts the notebook VM, with its service account's credentials and the data
    scientists' code and data, directly on the internet: any open port or weak service is
    reachable by anyone. Without one, the instance is reached only through the Workbench proxy or
    the VPC. ``gceSetup.disablePublicIp`` decides; the API leaves a false value out, so absent
    means the instance has a public IP."""
    if instance.public_ip is None:
        return unknown(NO_GCE_SETUP)
    if instance.public_ip:
        return failed("The instance has an external IP address (disablePublicIp is not set).",
                      evidence={"network": instance.network, "subnet": instance.subnet})  # fmt: skip
    return passed("The instance has no external IP address.", evidence={"network": instance.network})


@check(
    title="Vertex AI Workbench instance has root access disabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set the metadata key notebook-disable-root to true on the instance (the console's "
    "'Root access to the instance' off); enforce constraints/ainotebooks.disableRootAccess.",
    compliance={"gcp-genai": ["VAI-CO-4.3"], "nist-800-53-r5": ["AC-6(2)", "CM-7"]},
    attack=["AML.T0018"],
    references=(ROOT_ACCESS, INSTANCE_REST),
)
def instance_root_access_disabled(instance: WorkbenchInstance) -> Result:
    """With root access (the default), every notebook user can sudo: install software, read other
    users' files and the metadata server's tokens, and change the environment models are built in.
    The metadata key ``notebook-disable-root: "true"`` takes root away; any other value, or none,
    leaves it."""
    if instance.root_access is None:
        return unknown(NO_GCE_SETUP)
    if instance.root_access:
        return failed('Root access is enabled: notebook-disable-root is not "true" in the instance metadata.')
    return passed('Root access is disabled (notebook-disable-root is "true").')


@check(
    title="Vertex AI Workbench instance runs as a Shielded VM with Secure Boot",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Turn on Secure Boot, vTPM and integrity monitoring in gceSetup.shieldedInstanceConfig "
    "(stop the instance, update it, start it again).",
    compliance={"cis-gcp-5.0": ["4.8"], "nist-800-53-r5": ["SI-7"]},
    attack=["AML.T0018"],
    references=(SHIELDED_VM, INSTANCE_REST),
)
def instance_shielded_vm_enabled(instance: WorkbenchInstance) -> Result:
    """Secure Boot lets only signed boot components run, the vTPM measures the boot, and integrity
    monitoring compares each boot with a known-good baseline: together they stop and reveal
    bootkits and rootkits on the VM that holds the notebooks and their credentials. Secure Boot is
    off by default on Workbench instances; all three must be on."""
    settings = {"secure_boot": instance.secure_boot, "vtpm": instance.vtpm,
                "integrity_monitoring": instance.integrity_monitoring}  # fmt: skip
    if any(value is None for value in settings.values()):
        return unknown("The instance's shieldedInstanceConfig was not returned.")
    off = [name for name, value in settings.items() if not value]
    if off:
        return failed(f"Shielded VM settings off: {', '.join(off)}.", evidence={"disabled": off})
    return passed("Secure Boot, vTPM and integrity monitoring are on.")


@check(
    title="Vertex AI Workbench instance disks are encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the instance with bootDisk and dataDisks diskEncryption CMEK and a Cloud KMS "
    "kmsKey in the instance's region (the key cannot be changed on an existing disk).",
    compliance={"nist-800-53-r5": ["SC-12", "SC-28"]},
    attack=["AML.T0035"],
    references=(CMEK, INSTANCE_REST),
)
def instance_disks_encrypted_with_cmek(instance: WorkbenchInstance) -> Result:
    """The boot and data disks hold the notebooks, downloaded datasets and cached credentials. With
    a Cloud KMS key you control you can audit and revoke access to them. A disk with a ``kmsKey``
    passes; ``diskEncryption: GMEK`` fails. The v2 reference marks both fields input-only, so the
    API may return neither: such a disk is unknown (ERROR), never assumed either way."""
    if instance.disks is None:
        return unknown(NO_GCE_SETUP)
    google = [d.kind for d in instance.disks if not d.kms_key and d.encryption == "GMEK"]
    unread = [d.kind for d in instance.disks if not d.kms_key and d.encryption != "GMEK"]
    if google:
        return failed(f"Disks with Google-managed keys: {', '.join(google)}.", evidence={"google_managed": google})
    if unread or not instance.disks:
        return unknown("The disks' encryption was not returned (diskEncryption and kmsKey are input-only "
                       "in the Notebooks API; read the VM's disks in Compute Engine).",
                       evidence={"unknown": unread})  # fmt: skip
    keys = sorted({d.kms_key for d in instance.disks if d.kms_key})
    return passed("Every disk is encrypted with a customer-managed key.", evidence={"kms_keys": keys})


@check(
    title="Vertex AI Workbench instance runs as a dedicated service account",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Create a service account with only the roles the notebooks need and set it in "
    "gceSetup.serviceAccounts; never the Compute Engine default service account.",
    compliance={"cis-gcp-5.0": ["4.1"], "nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0012"],
    references=(SERVICE_ACCOUNTS, INSTANCE_REST),
)
def instance_uses_dedicated_service_account(instance: WorkbenchInstance) -> Result:
    """Everyone who can open the notebook acts as the VM's service account. Without one set, a
    Workbench instance runs as the Compute Engine default service account
    (``NUMBER-compute@developer.gserviceaccount.com``), which often holds Editor on the project: a
    notebook user, or code they run, could then change most of the project."""
    accounts = instance.service_accounts
    if accounts is None:
        return unknown("The instance's service account was not returned.")
    default = [a for a in accounts if a.endswith("-compute@developer.gserviceaccount.com")]
    if default:
        return failed("The instance runs as the Compute Engine default service account.",
                      evidence={"service_accounts": list(accounts)})  # fmt: skip
    return passed(f"The instance runs as {', '.join(accounts)}.", evidence={"service_accounts": list(accounts)})


@check(
    title="Vertex AI Workbench instance does not forward IP packets",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the instance without gceSetup.enableIpForwarding.",
    compliance={"cis-gcp-5.0": ["4.6"], "nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0049"],
    references=(INSTANCE_REST, IP_FORWARDING),
)
def instance_ip_forwarding_disabled(instance: WorkbenchInstance) -> Result:
    """With IP forwarding the VM may send and receive packets whose addresses are not its own: it
    can route traffic for other machines, around the firewall rules and egress controls meant to
    contain it. A notebook has no reason to be a router. ``gceSetup.enableIpForwarding`` decides
    (absent means off)."""
    if instance.ip_forwarding is None:
        return unknown(NO_GCE_SETUP)
    if instance.ip_forwarding:
        return failed("IP forwarding is enabled on the instance (enableIpForwarding).")
    return passed("IP forwarding is off.")
