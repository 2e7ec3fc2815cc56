"""A local Sigstore for tests: a Fulcio-like CA, a CT log and a Rekor (v1) log, all with keys made
on the spot with ``cryptography``, and nothing on the network.

:class:`FakeSigstore` signs a model the way ``model_signing sign sigstore`` does: model_signing's
own Sigstore signer (``model_signing._signing.sign_sigstore.Signer.sign``) drives sigstore-python's
real ``sigstore.sign.Signer`` (CSR, SCT check, DSSE envelope, Rekor request, bundle), whose Fulcio
and Rekor clients are replaced by the in-process :class:`_Fulcio` and :class:`_Rekor` below. What
sigstore 4.5's ``Verifier.verify_dsse`` checks, and so what these produce:

- the signing certificate chains to a CA of the trusted root at the entry's integrated time
  (root + intermediate; P-256; webpki extension profile: SKI/AKI, critical BasicConstraints and
  KeyUsage on the CAs), and has KeyUsage digitalSignature, EKU codeSigning, the identity as SAN
  (RFC 822 name for an e-mail, URI otherwise) and the OIDC issuer in 1.3.6.1.4.1.57264.1.1 (raw)
  and .1.8 (DER UTF8String), as Fulcio writes them;
- one embedded precertificate SCT (``sigstore._internal.sct.verify_sct``): signed by the CT log
  key over RFC 6962's digitally-signed struct of the TBSCertificate without the SCT extension,
  bound to the issuer by the SHA-256 of the intermediate's SubjectPublicKeyInfo; the trusted
  root cannot omit CT logs (``TrustedRoot.ct_keyring`` raises without one);
- a ``dsse`` 0.0.1 log entry (Rekor v1; Rekor v2's ``hashedrekord`` 0.0.2 carries no integrated
  time and would need an RFC 3161 timestamp authority as the source of time) whose body records
  the payload hash and the signature with its certificate, an RFC 6962 inclusion proof in a log
  of several entries, a checkpoint (signed note) and an inclusion promise (SET) signed by the
  Rekor key, returned in Rekor v1's response shape and parsed by sigstore's own
  ``TransparencyLogEntry._from_v1_response``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import model_signing.signing
import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from model_signing._signing import sign_sigstore
from sigstore._internal.fulcio.client import FulcioCertificateSigningResponse
from sigstore._internal.rekor import EntryRequestBody
from sigstore._internal.rekor.client import RekorClient
from sigstore.models import ClientTrustConfig, TransparencyLogEntry
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext

TRUST_CONFIG_TYPE: Final = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
TRUSTED_ROOT_TYPE: Final = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
SIGNING_CONFIG_TYPE: Final = "application/vnd.dev.sigstore.signingconfig.v0.2+json"
SCT_LIST_OID: Final = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
OIDC_ISSUER_OID: Final = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2_OID: Final = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
FILLER_ENTRIES: Final = 6  # entries before ours: the inclusion proof has real hashes in it
CLIENT_ID: Final = "sigstore"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962's key ID (the SHA-256 of the SubjectPublicKeyInfo), as sigstore computes it."""
    return hashlib.sha256(_spki(key)).digest()


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _u24(data: bytes) -> bytes:
    return struct.pack("!I", len(data))[1:] + data


def _u16(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


# ---------------------------------------------------------------------------------------------
# RFC 6962 Merkle tree: leaf and node hashes, the root and an inclusion proof (PATH)
# ---------------------------------------------------------------------------------------------


def _leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return _leaf_hash(leaves[0])
    k = _split(len(leaves))
    return _node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def inclusion_proof(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 section 2.1.1 PATH(index, leaves), from the leaf up."""
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), merkle_root(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), merkle_root(leaves[:k])]


# ---------------------------------------------------------------------------------------------
# The CA (Fulcio), the CT log and the transparency log (Rekor)
# ---------------------------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "acme"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=False, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _ca_certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey, now: datetime.datetime,
) -> x509.Certificate:  # fmt: skip
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=30))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer is not None:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
        builder = builder.add_extension(aki, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class _Fulcio:
    """Fulcio's ``signing_cert.post(csr, token)``: a short-lived certificate for the CSR's key,
    with the token's identity and issuer, and an SCT from the CT log embedded."""

    ca_key: ec.EllipticCurvePrivateKey
    ca: x509.Certificate
    chain: list[x509.Certificate]
    ct_key: ec.EllipticCurvePrivateKey
    issued: list[x509.Certificate] = field(default_factory=list)

    @property
    def signing_cert(self) -> _Fulcio:
        return self

    def post(self, csr: x509.CertificateSigningRequest, identity: IdentityToken) -> FulcioCertificateSigningResponse:
        assert csr.is_signature_valid, "the CSR proves possession of the key"
        certificate = self.issue(csr.public_key(), identity.identity, identity.issuer)  # type: ignore[arg-type]
        self.issued.append(certificate)
        return FulcioCertificateSigningResponse(certificate, list(self.chain))

    def issue(self, public: ec.EllipticCurvePublicKey, identity: str, issuer: str) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        name: x509.GeneralName = (
            x509.RFC822Name(identity) if "@" in identity and "://" not in identity
            else x509.UniformResourceIdentifier(identity)
        )  # fmt: skip
        serial = x509.random_serial_number()

        def build(sct_list: bytes) -> x509.Certificate:
            return (
                x509.CertificateBuilder()
                .subject_name(x509.Name([]))
                .issuer_name(self.ca.subject)
                .public_key(public)
                .serial_number(serial)
                .not_valid_before(now - datetime.timedelta(minutes=1))
                .not_valid_after(now + datetime.timedelta(minutes=10))
                .add_extension(_usage(ca=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False
                )
                .add_extension(x509.SubjectAlternativeName([name]), critical=True)  # the subject is empty
                .add_extension(x509.UnrecognizedExtension(OIDC_ISSUER_OID, issuer.encode()), critical=False)
                .add_extension(
                    x509.UnrecognizedExtension(OIDC_ISSUER_V2_OID, _der(0x0C, issuer.encode())), critical=False
                )
                .add_extension(x509.UnrecognizedExtension(SCT_LIST_OID, _der(0x04, sct_list)), critical=False)
                .sign(self.ca_key, hashes.SHA256())
            )

        # The SCT signs the certificate without its SCT extension (tbs_precertificate_bytes): build
        # once with a placeholder SCT of the same shape, sign, then build again with the real one.
        precertificate = build(self._sct_list(b"", now))
        return build(self._sct_list(precertificate.tbs_precertificate_bytes, now))

    def _sct_list(self, tbs: bytes, now: datetime.datetime) -> bytes:
        """A SignedCertificateTimestampList with one precert SCT (RFC 6962 sections 3.2, 3.3)."""
        timestamp = int(now.timestamp() * 1000)
        issuer_key_hash = key_id(self.ca_key.public_key())
        signed = struct.pack("!BBQH", 0, 0, timestamp, 1) + issuer_key_hash + _u24(tbs) + _u16(b"")
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            bytes([0]) + key_id(self.ct_key.public_key()) + struct.pack("!Q", timestamp) + _u16(b"")
            + bytes([4, 3]) + _u16(signature)  # sha256, ecdsa
        )  # fmt: skip
        return _u16(_u16(sct))


@dataclass
class LogEntry:
    """What the fake Rekor logged for one request (for tests that inspect or tamper)."""

    index: int
    body: bytes
    integrated_time: int


class _Rekor(RekorClient):
    """A Rekor v1 log: ``create_entry`` turns a proposed ``dsse`` entry into the canonical entry
    body Rekor stores, appends it, and answers with Rekor v1's response (inclusion proof,
    checkpoint, SET), which sigstore parses itself."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, origin: str) -> None:
        super().__init__(f"https://{origin}")  # a requests session, never used
        self.key, self.origin = key, origin
        self.leaves: list[bytes] = [f"filler-{i}".encode() for i in range(FILLER_ENTRIES)]
        self.entries: list[LogEntry] = []

    def create_entry(self, request: EntryRequestBody) -> TransparencyLogEntry:
        return TransparencyLogEntry._from_v1_response(self.respond(request))

    def respond(self, request: dict[str, Any]) -> dict[str, Any]:
        body = rfc8785.dumps(_dsse_body(request))
        index, integrated = len(self.leaves), int(time.time())
        self.leaves.append(body)
        self.entries.append(LogEntry(index, body, integrated))
        log_id = key_id(self.key.public_key())
        root = merkle_root(self.leaves)
        promise = rfc8785.dumps(
            {"body": _b64(body), "integratedTime": integrated, "logID": log_id.hex(), "logIndex": index}
        )
        return {
            hashlib.sha256(body).hexdigest(): {
                "body": _b64(body),
                "integratedTime": integrated,
                "logID": log_id.hex(),
                "logIndex": index,
                "verification": {
                    "inclusionProof": {
                        "checkpoint": self.checkpoint(len(self.leaves), root),
                        "hashes": [h.hex() for h in inclusion_proof(index, self.leaves)],
                        "logIndex": index,
                        "rootHash": root.hex(),
                        "treeSize": len(self.leaves),
                    },
                    "signedEntryTimestamp": _b64(self.key.sign(promise, ec.ECDSA(hashes.SHA256()))),
                },
            }
        }

    def checkpoint(self, size: int, root: bytes) -> str:
        """A signed note: the checkpoint text, a blank line, one signature line whose first four
        bytes are the key hint (sigstore matches them to the log ID)."""
        note = f"{self.origin} - 2605736670972794746\n{size}\n{_b64(root)}\n"
        signature = self.key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        return f"{note}\n\u2014 {self.origin} {_b64(key_id(self.key.public_key())[:4] + signature)}\n"


def _dsse_body(request: dict[str, Any]) -> dict[str, Any]:
    """Rekor's canonical ``dsse`` 0.0.1 entry for a proposed one: the hashes of the envelope and
    of its payload, and each signature with the verifier (the PEM certificate, base64)."""
    proposed = request["spec"]["proposedContent"]
    envelope = json.loads(proposed["envelope"])
    payload = base64.b64decode(envelope["payload"])
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(proposed["envelope"].encode()).hexdigest()},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [
                {"signature": s["sig"], "verifier": proposed["verifiers"][0]} for s in envelope["signatures"]
            ],
        },
    }


# ---------------------------------------------------------------------------------------------
# The whole instance: trust config out, signed bundles out
# ---------------------------------------------------------------------------------------------


class FakeSigstore:
    """One Sigstore instance: root and intermediate CA, CT log key, Rekor key (all P-256)."""

    def __init__(self, name: str = "acme") -> None:
        now = datetime.datetime.now(datetime.UTC)
        self.name = name
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _ca_certificate(f"{name}-fulcio-root", self.root_key, None, self.root_key, now)
        self.intermediate_key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = _ca_certificate(
            f"{name}-fulcio-intermediate", self.intermediate_key, self.root, self.root_key, now
        )
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor_key = ec.generate_private_key(ec.SECP256R1())
        self.fulcio = _Fulcio(self.intermediate_key, self.intermediate, [self.intermediate, self.root], self.ct_key)
        self.rekor = _Rekor(self.rekor_key, f"rekor.{name}.example")

    def trusted_root(self) -> dict[str, Any]:
        """The trusted_root.json (protobuf-specs TrustedRoot, JSON) naming this instance's keys."""
        valid = {"start": "2020-01-01T00:00:00Z"}

        def log(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, Any]:
            public = key.public_key()
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(_spki(public)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": valid,
                },
                "logId": {"keyId": _b64(key_id(public))},
            }

        der = serialization.Encoding.DER
        return {
            "mediaType": TRUSTED_ROOT_TYPE,
            "tlogs": [log(self.rekor_key, f"https://rekor.{self.name}.example")],
            "certificateAuthorities": [{
                "subject": {"organization": "acme", "commonName": f"{self.name}-fulcio"},
                "uri": f"https://fulcio.{self.name}.example",
                "certChain": {"certificates": [
                    {"rawBytes": _b64(c.public_bytes(der))} for c in (self.intermediate, self.root)
                ]},
                "validFor": valid,
            }],
            "ctlogs": [log(self.ct_key, f"https://ctfe.{self.name}.example")],
            "timestampAuthorities": [],
        }  # fmt: skip

    def trust_config(self, path: Path) -> Path:
        """A Sigstore ClientTrustConfig file (what ``--sigstore-trust-config`` reads)."""
        signing = {"mediaType": SIGNING_CONFIG_TYPE, "caUrls": [], "oidcUrls": [], "rekorTlogUrls": [], "tsaUrls": []}
        config = {"mediaType": TRUST_CONFIG_TYPE, "trustedRoot": self.trusted_root(), "signingConfig": signing}
        path.write_text(json.dumps(config, indent=1))
        return path

    def identity_token(self, identity: str, issuer: str) -> str:
        """An OIDC identity token as an IdP would issue it (sigstore reads its claims unverified;
        Fulcio would verify it: this fake trusts it)."""
        import jwt

        now = int(time.time())
        claims = {"iss": issuer, "sub": identity, "email": identity, "aud": CLIENT_ID, "iat": now, "exp": now + 600}
        return jwt.encode(claims, hashlib.sha256(self.name.encode()).hexdigest(), algorithm="HS256")

    def sign(self, model: Path, signature: Path, identity: str, issuer: str) -> Path:
        """Sign ``model`` keyless, as ``model_signing sign sigstore`` would; the bundle goes to
        ``signature``."""
        trusted = ClientTrustConfig.from_json(
            json.dumps({"mediaType": TRUST_CONFIG_TYPE, "trustedRoot": self.trusted_root(),
                        "signingConfig": {"mediaType": SIGNING_CONFIG_TYPE}})
        ).trusted_root  # fmt: skip
        context = SigningContext(fulcio=self.fulcio, rekor=self.rekor, trusted_root=trusted)  # type: ignore[arg-type]
        signer = _LocalSigner(context, self.identity_token(identity, issuer))
        config = model_signing.signing.Config()
        config._signer = signer  # model_signing's sign(): hash the model, build the payload, sign, write
        config.sign(model, signature)
        return signature


class _LocalSigner(sign_sigstore.Signer):
    """model_signing's Sigstore signer with the signing context given, not built from URLs (its
    ``__init__`` would fetch the OIDC issuer's configuration); ``sign`` is model_signing's own."""

    def __init__(self, context: SigningContext, token: str) -> None:  # no super(): see above
        self._signing_context = context
        self._identity_token = token
        self._use_ambient_credentials = False
        self._client_id = CLIENT_ID


def tamper(signature: Path, change: str) -> None:
    """Edit a bundle in place: ``proof`` (an inclusion-proof hash), ``promise`` (the SET),
    ``time`` (the integrated time the SET covers)."""
    bundle = json.loads(signature.read_text())
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    if change == "proof":
        first = bytearray(base64.b64decode(entry["inclusionProof"]["hashes"][0]))
        first[0] ^= 1
        entry["inclusionProof"]["hashes"][0] = _b64(bytes(first))
    elif change == "promise":
        promise = bytearray(base64.b64decode(entry["inclusionPromise"]["signedEntryTimestamp"]))
        promise[-1] ^= 1
        entry["inclusionPromise"]["signedEntryTimestamp"] = _b64(bytes(promise))
    elif change == "time":
        entry["integratedTime"] = str(int(entry["integratedTime"]) + 60)
    else:
        raise ValueError(change)
    signature.write_text(json.dumps(bundle))
