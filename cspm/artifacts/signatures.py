"""OpenSSF Model Signing: verify the signature stored next to an artifact (``<key>.sig``).

Three modes, as the ``model-signing`` package implements them (the ``signing`` extra):

- ``public_key``: an elliptic-curve public key (PEM); offline;
- ``certificate_chain``: the certificates the signing certificate must chain to (PEM); offline;
- ``identity`` (+ ``issuer``): Sigstore keyless; the identity policy: the signer's identity
  (e.g. an e-mail or a workflow URI) and its OIDC issuer, both matched exactly against the
  signing certificate. The trust root (Fulcio CAs, Rekor and CT log keys) comes from
  ``trust_config`` (``--sigstore-trust-config``: a Sigstore ClientTrustConfig JSON file, as
  ``sigstore`` and ``model_signing`` read it), and the bundle is then verified offline (its
  transparency-log inclusion proof is in the bundle). Without it, Sigstore's production trust
  root is fetched over the network (TUF); where it cannot be reached, the signature is
  ``unverifiable`` (an ERROR), never valid.

Verdicts of the keyless mode follow sigstore's exception types: ``sigstore.errors.
VerificationError`` (and its ``CertValidationError``) is raised only once the bundle has parsed,
for a certificate outside the trust root, a bad SCT, another identity or issuer, an inclusion
proof, checkpoint or inclusion promise that does not verify, or a DSSE signature that does not:
``invalid``. A bundle sigstore cannot parse (``InvalidBundle``), a trust root lacking what
verifying needs (no CT log key: ``MetadataError``; no Fulcio CA or Rekor log: the verifier cannot
be set up) and the network (``NetworkError``, ``TUFError``) decide nothing: ``unverifiable``.

``require``: the scan-wide signing policy. ``all``: every model that loads an artifact must have
a verifying signature; ``served``: only models hosted by an InService endpoint. Under a policy a
missing signature is a FAIL; without one it decides nothing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from cspm.resources.artifacts import SignatureCheck

log = logging.getLogger(__name__)

SIGNATURE_SUFFIX: Final = ".sig"
MAX_SIGNATURE_BYTES: Final = 1024 * 1024
# The key, certificate and trust config files are hashed whole up to this size (a trust config is
# refused above it: cspm.artifacts.options.MAX_TRUST_CONFIG_BYTES).
MAX_POLICY_FILE_BYTES: Final = 4 * 2**20
Requirement = Literal["none", "all", "served"]


@dataclass(frozen=True)
class SigningPolicy:
    public_key: str | None = None
    certificate_chain: tuple[str, ...] = ()
    identity: str | None = None
    issuer: str | None = None
    require: Requirement = "none"
    trust_config: str | None = None  # Sigstore ClientTrustConfig JSON (keyless mode, offline)

    @property
    def method(self) -> str | None:
        if self.public_key:
            return "key"
        if self.certificate_chain:
            return "certificate"
        if self.identity:
            return "sigstore"
        return None

    def fingerprint(self) -> str:
        """SHA-256 of what a verdict depends on: the method, the key, certificate or trust config
        files' bytes (an unreadable file counts as its path), the identity and the issuer."""
        digest = hashlib.sha256(f"{self.method}\0{self.identity}\0{self.issuer}".encode())
        for path in (self.public_key, *self.certificate_chain, self.trust_config):
            if path:
                try:
                    with open(path, "rb") as f:
                        digest.update(f.read(MAX_POLICY_FILE_BYTES + 1))
                except OSError:
                    digest.update(path.encode())
        return digest.hexdigest()

    def require_verifier(self) -> None:
        """Raise ModuleNotFoundError (the CLI names the 'signing' extra) when verifying is asked
        for and model_signing cannot be imported."""
        if self.method is not None:
            import model_signing.verifying  # noqa: F401


def verify(artifact_path: str, signature_path: str, signature_uri: str, policy: SigningPolicy) -> SignatureCheck:
    """Verify the signature of the file ``artifact_path``. Never raises for a bad signature."""
    base = {"signature_uri": signature_uri, "method": policy.method, "identity": policy.identity}
    if policy.method == "sigstore" and not policy.trust_config:
        log.info("keyless verification of %s fetches Sigstore's trust root (no --sigstore-trust-config)", signature_uri)
    if policy.method is None:
        return SignatureCheck(
            status="unverifiable",
            detail="a signature is present but no --signing-key, --signing-certificate or --signing-identity was given",
            **base,
        )
    from model_signing.verifying import Config
    from OpenSSL.crypto import X509StoreContextError
    from sigstore.errors import VerificationError as SigstoreVerificationError

    config = Config()
    try:
        if policy.public_key:
            config = config.use_elliptic_key_verifier(public_key=policy.public_key)
        elif policy.certificate_chain:
            config = config.use_certificate_verifier(certificate_chain=list(policy.certificate_chain))
        else:
            trust = Path(policy.trust_config) if policy.trust_config else None
            config = config.use_sigstore_verifier(
                identity=policy.identity or "", oidc_issuer=policy.issuer or "", trust_config=trust
            )
    except Exception as exc:  # a bad key file, an unreachable Sigstore trust root: not a verdict
        return SignatureCheck(status="unverifiable", detail=f"cannot set up the verifier: {_short(exc)}", **base)
    try:
        config.verify(artifact_path, signature_path)
    except ValueError as exc:  # model_signing's answer to a signature that does not verify
        return SignatureCheck(status="invalid", detail=_short(exc), **base)
    except X509StoreContextError as exc:  # the signing certificate does not chain to the given ones
        return SignatureCheck(status="invalid", detail=f"certificate chain: {_short(exc)}", **base)
    except SigstoreVerificationError as exc:  # keyless: a parsed bundle that fails the trust root or policy
        return SignatureCheck(status="invalid", detail=f"{type(exc).__name__}: {_short(exc)}", **base)
    except Exception as exc:  # a malformed bundle (sigstore's InvalidBundle), a trust root without
        # CT log keys (MetadataError), a network failure (NetworkError, TUFError) ...
        log.debug("verifying %s failed", signature_uri, exc_info=True)
        return SignatureCheck(status="unverifiable", detail=f"{type(exc).__name__}: {_short(exc)}", **base)
    return SignatureCheck(status="verified", **base)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
