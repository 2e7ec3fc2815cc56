"""Keyless (Sigstore) bundles that VERIFY, offline, against a trust root supplied by file
(``--sigstore-trust-config``): a local Sigstore (``support.fake_sigstore``: a Fulcio-like CA, a
CT log and a Rekor log with keys made on the spot) signs through model_signing's and sigstore's
own signing code, and cspm's verifier (model_signing's real Sigstore verifier) judges the bundle
with every socket connect refused.

Verdicts: the right identity and issuer ``verified`` (PASS); another identity or issuer, a model
changed after signing, a certificate from a CA outside the trust root, a trust root whose CA,
CT log key or Rekor key is another's, a tampered inclusion proof, inclusion promise (SET) or
integrated time ``invalid`` (FAIL: sigstore raises its
``VerificationError`` for a bundle that parsed but does not verify); a trust root without CT log
keys or a bundle that does not parse ``unverifiable`` (ERROR). None is ever ``verified``."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cspm.artifacts.collect import ArtifactSettings
from cspm.artifacts.options import signing_policy
from cspm.artifacts.signatures import SigningPolicy, verify
from cspm.models import ScanReport, Status
from cspm.registry import load_checks
from cspm.resources.gcp.artifacts import GcsModelArtifact
from support.fake_sigstore import FakeSigstore, tamper
from support.gcp import FakeGcs, vertex_model
from support.gcs_artifacts import scan_gcp, verdict
from support.model_corpus import safetensors

IDENTITY, ISSUER = "release@acme.example", "https://accounts.acme.example"
WORKFLOW = "https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main"
GITHUB = "https://token.actions.githubusercontent.com"
URI = "gs://models/m/model.safetensors.sig"


@dataclass(frozen=True)
class Signed:
    sigstore: FakeSigstore
    model: Path
    signature: Path
    trust: Path

    def policy(self, identity: str = IDENTITY, issuer: str = ISSUER, trust: Path | None = None) -> SigningPolicy:
        return SigningPolicy(identity=identity, issuer=issuer, require="all", trust_config=str(trust or self.trust))

    def copy(self, tmp_path: Path) -> Path:
        return Path(shutil.copy(self.signature, tmp_path / "copy.sig"))


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    directory = tmp_path_factory.mktemp("keyless")
    sigstore = FakeSigstore()
    model = directory / "model.safetensors"
    model.write_bytes(safetensors())
    signature = sigstore.sign(model, directory / "model.sig", IDENTITY, ISSUER)
    return Signed(sigstore, model, signature, sigstore.trust_config(directory / "trust.json"))


def test_the_right_identity_and_issuer_verify_offline(signed: Signed, offline: list[Any]) -> None:
    bundle = json.loads(signed.signature.read_text())
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    assert entry["kindVersion"] == {"kind": "dsse", "version": "0.0.1"} and entry["inclusionProof"]["hashes"]

    checked = verify(str(signed.model), str(signed.signature), URI, signed.policy())

    assert checked.status == "verified", checked.detail
    assert (checked.method, checked.identity, checked.detail) == ("sigstore", IDENTITY, None)
    assert offline == []


def test_the_policy_comes_from_the_cli_options(signed: Signed, offline: list[Any]) -> None:
    policy = signing_policy(None, None, IDENTITY, ISSUER, "all", signed.trust)
    assert policy is not None
    assert verify(str(signed.model), str(signed.signature), URI, policy).status == "verified"


def test_a_workflow_identity_verifies(tmp_path: Path, signed: Signed, offline: list[Any]) -> None:
    signature = signed.sigstore.sign(signed.model, tmp_path / "ci.sig", WORKFLOW, GITHUB)

    checked = verify(str(signed.model), str(signature), URI, signed.policy(WORKFLOW, GITHUB))

    assert checked.status == "verified", checked.detail
    assert verify(str(signed.model), str(signature), URI, signed.policy(WORKFLOW, ISSUER)).status == "invalid"


@pytest.mark.parametrize(
    ("identity", "issuer", "reason"),
    [
        ("intruder@acme.example", ISSUER, "SANs do not match"),
        (IDENTITY, "https://accounts.google.com", "OIDCIssuer does not match"),
        (IDENTITY.upper(), ISSUER, "SANs do not match"),  # matched exactly
    ],
)
def test_another_identity_or_issuer_is_invalid(
    signed: Signed, offline: list[Any], identity: str, issuer: str, reason: str
) -> None:
    checked = verify(str(signed.model), str(signed.signature), URI, signed.policy(identity, issuer))

    assert checked.status == "invalid" and reason in (checked.detail or "")
    assert offline == []


def test_a_model_changed_after_signing_is_invalid(tmp_path: Path, signed: Signed, offline: list[Any]) -> None:
    changed = tmp_path / "model.safetensors"
    changed.write_bytes(safetensors({"w": ("F32", [3])}))

    checked = verify(str(changed), str(signed.signature), URI, signed.policy())

    assert checked.status == "invalid" and "Signature mismatch" in (checked.detail or "")


def test_a_bundle_from_another_ca_is_invalid(tmp_path: Path, signed: Signed, offline: list[Any]) -> None:
    """Same identity and issuer, but the certificate (and its SCT and log entry) come from a
    Sigstore instance the trust root does not name: the chain cannot be built."""
    signature = FakeSigstore("intruder").sign(signed.model, tmp_path / "foreign.sig", IDENTITY, ISSUER)

    checked = verify(str(signed.model), str(signature), URI, signed.policy())

    assert checked.status == "invalid" and "CertValidationError" in (checked.detail or "")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("proof", "inclusion proof contains invalid root hash"),
        ("promise", "SET: invalid inclusion promise"),
        ("time", "SET: invalid inclusion promise"),  # the integrated time is what the SET signs
    ],
)
def test_a_tampered_log_entry_is_invalid(
    tmp_path: Path, signed: Signed, offline: list[Any], change: str, reason: str
) -> None:
    signature = signed.copy(tmp_path)
    tamper(signature, change)

    checked = verify(str(signed.model), str(signature), URI, signed.policy())

    assert checked.status == "invalid" and reason in (checked.detail or "")


@pytest.mark.parametrize(
    ("part", "reason"),
    [
        ("certificateAuthorities", "CertValidationError"),
        ("ctlogs", "failed to verify SCT"),
        ("tlogs", "checkpoint: invalid signature"),
    ],
)
def test_every_key_of_the_trust_root_is_checked(
    tmp_path: Path, signed: Signed, offline: list[Any], part: str, reason: str
) -> None:
    """The trust root with one of its parts (the CA, the CT log key, the Rekor key) taken from
    another Sigstore instance: the bundle no longer verifies."""
    config = json.loads(signed.trust.read_text())
    config["trustedRoot"][part] = FakeSigstore("other").trusted_root()[part]
    trust = tmp_path / f"other-{part}.json"
    trust.write_text(json.dumps(config))

    checked = verify(str(signed.model), str(signed.signature), URI, signed.policy(trust=trust))

    assert checked.status == "invalid" and reason in (checked.detail or "")


def test_a_trust_root_without_ct_logs_decides_nothing(tmp_path: Path, signed: Signed, offline: list[Any]) -> None:
    """sigstore requires the SCT: a trust root without CT log keys cannot verify any bundle
    (``MetadataError``), which says nothing about the signature: ERROR, not FAIL, never PASS."""
    config = json.loads(signed.trust.read_text())
    config["trustedRoot"]["ctlogs"] = []
    trust = tmp_path / "no-ct.json"
    trust.write_text(json.dumps(config))

    checked = verify(str(signed.model), str(signed.signature), URI, signed.policy(trust=trust))

    assert checked.status == "unverifiable" and "CTFE keys not found" in (checked.detail or "")


def test_a_bundle_that_does_not_parse_is_unverifiable(tmp_path: Path, signed: Signed, offline: list[Any]) -> None:
    bundle = json.loads(signed.signature.read_text())
    bundle["verificationMaterial"]["tlogEntries"] = []
    signature = tmp_path / "broken.sig"
    signature.write_text(json.dumps(bundle))

    checked = verify(str(signed.model), str(signature), URI, signed.policy())

    assert checked.status == "unverifiable" and "InvalidBundle" in (checked.detail or "")


# ---------------------------------------------------------------------------------------------
# The verdict cache (--store): reused while nothing changed, judged again under another trust root
# ---------------------------------------------------------------------------------------------

SIGNED = "gcp.vertex.model_artifact_signature_verifies"
CHECKS = [s for s in load_checks(["gcp"]) if s.id == SIGNED]
OBJECT = "m/model.safetensors"


def _previous(report: ScanReport) -> dict[str, tuple[str, GcsModelArtifact]]:
    return {
        a.uri: ("scan-1", GcsModelArtifact.model_validate(a.model_dump(exclude={"type"})))
        for a in report.artifacts or []
    }


def test_a_reused_verdict_is_judged_again_when_the_trust_config_changes(
    tmp_path: Path, signed: Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeGcs()
    fake.add_vertex("models", vertex_model("m", artifact_uri="gs://models/m/"))
    fake.objects.put("models", OBJECT, signed.model.read_bytes())
    fake.objects.put("models", OBJECT + ".sig", signed.signature.read_bytes())
    trust = Path(shutil.copy(signed.trust, tmp_path / "trust.json"))
    policy = signed.policy(trust=trust)
    first = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(signing=policy))
    assert verdict(first, SIGNED, "m").status is Status.PASS
    reads = len(fake.objects.media_reads)

    unchanged = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(signing=policy, previous=_previous(first)))

    assert verdict(unchanged, SIGNED, "m").status is Status.PASS
    artifact = next(a for a in unchanged.artifacts or [] if a.uri == f"gs://models/{OBJECT}")
    assert artifact.reused_from == "scan-1" and len(fake.objects.media_reads) == reads  # nothing read

    before = policy.fingerprint()
    FakeSigstore("rotated").trust_config(trust)  # same path, another root: another fingerprint
    assert policy.fingerprint() != before

    rejudged = scan_gcp(fake, monkeypatch, CHECKS, ArtifactSettings(signing=policy, previous=_previous(first)))

    assert verdict(rejudged, SIGNED, "m").status is Status.FAIL
    artifact = next(a for a in rejudged.artifacts or [] if a.uri == f"gs://models/{OBJECT}")
    assert artifact.reused_from is None and f"models/{OBJECT}" in fake.objects.media_reads[reads:]
    assert artifact.signature is not None and artifact.signature.status == "invalid"


def test_the_fingerprint_covers_the_whole_trust_config(tmp_path: Path, signed: Signed) -> None:
    """Two trust configs that differ only past the first MiB (a large trust root with many
    keys) are two verifiers: a verdict reached under one is not reused under the other."""
    config = json.loads(signed.trust.read_text())
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    for path, last in ((one, "a"), (two, "b")):
        padded = {**config, "padding": "x" * (3 * 2**20) + last}  # a field readers ignore: JSON stays valid
        path.write_text(json.dumps(padded))

    assert signed.policy(trust=one).fingerprint() != signed.policy(trust=two).fingerprint()


def test_a_trust_config_over_the_limit_is_refused(tmp_path: Path) -> None:
    from cspm.artifacts.options import MAX_TRUST_CONFIG_BYTES
    from cspm.errors import UsageError

    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(64 * 2**20)  # sparse: 64 MiB of zeros on disk for free
    with pytest.raises(UsageError, match="larger than 4 MiB"):
        signing_policy(None, None, IDENTITY, ISSUER, "all", huge)
    assert MAX_TRUST_CONFIG_BYTES == 4 * 2**20
