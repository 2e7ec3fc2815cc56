"""Keyless (Sigstore) signatures with an identity policy and a trust root supplied by file
(``--signing-identity``, ``--signing-issuer``, ``--sigstore-trust-config``).

What is exercised here: the options (exit 2 on a bad combination or file), the trust config
reaching model_signing's real Sigstore verifier, which then runs offline (every socket connect
fails the test), and fails closed: an empty trust root and a bundle that is not keyless are never
valid. Keyless bundles that verify (and the ways they stop verifying) are in
``test_keyless_verifies.py``, signed by the local Sigstore of ``support.fake_sigstore``."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cspm.artifacts.options import TRUST_CONFIG_TYPE, signing_policy
from cspm.artifacts.signatures import SigningPolicy, verify
from cspm.errors import UsageError
from support.model_signing_keys import Signer, make_signer

IDENTITY, ISSUER = "release@acme.example", "https://accounts.acme.example"
VALID = {"start": "2020-01-01T00:00:00Z"}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def trust_config(path: Path, signer: Signer | None = None) -> Path:
    """A Sigstore ClientTrustConfig: empty, or with ``signer``'s CA as the Fulcio CA and a fresh
    key as the Rekor and CT log key (the documented trustedRoot shape)."""
    root: dict[str, Any] = {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": [],
                            "certificateAuthorities": [], "ctlogs": [], "timestampAuthorities": []}  # fmt: skip
    if signer is not None:
        ca = x509.load_pem_x509_certificate(signer.ca.read_bytes()).public_bytes(serialization.Encoding.DER)
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        log = {"baseUrl": "https://rekor.acme.example", "hashAlgorithm": "SHA2_256",
               "publicKey": {"rawBytes": _b64(spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": VALID},
               "logId": {"keyId": _b64(hashlib.sha256(spki).digest())}}  # fmt: skip
        root["tlogs"] = [log]
        root["ctlogs"] = [{**log, "baseUrl": "https://ct.acme.example"}]
        root["certificateAuthorities"] = [{"subject": {"organization": "acme", "commonName": "fulcio"},
                                           "uri": "https://fulcio.acme.example",
                                           "certChain": {"certificates": [{"rawBytes": _b64(ca)}]},
                                           "validFor": VALID}]  # fmt: skip
    signing = {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json", "caUrls": [], "oidcUrls": [],
               "rekorTlogUrls": [], "tsaUrls": []}  # fmt: skip
    path.write_text(json.dumps({"mediaType": TRUST_CONFIG_TYPE, "trustedRoot": root, "signingConfig": signing}))
    return path


def _signed(tmp_path: Path, signer: Signer) -> tuple[str, str]:
    model, signature = tmp_path / "model.safetensors", tmp_path / "model.sig"
    model.write_bytes(b"\x00" * 128)
    signer.sign_with_certificate(model, signature)
    return str(model), str(signature)


def test_the_options_make_an_identity_policy_with_a_trust_root(tmp_path: Path) -> None:
    config = trust_config(tmp_path / "trust.json")
    policy = signing_policy(None, None, IDENTITY, ISSUER, "served", config)
    assert policy == SigningPolicy(identity=IDENTITY, issuer=ISSUER, require="served", trust_config=str(config))
    assert policy.method == "sigstore"


@pytest.mark.parametrize(
    ("identity", "issuer", "content", "message"),
    [
        (None, None, "trust", "add --signing-identity"),
        (IDENTITY, None, "trust", "--signing-issuer"),
        (IDENTITY, ISSUER, None, "no such file"),
        (IDENTITY, ISSUER, '{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}',
         "not a Sigstore ClientTrustConfig"),
        (IDENTITY, ISSUER, "{not json", "not a Sigstore trust config"),
    ],
)  # fmt: skip
def test_bad_keyless_options_are_usage_errors(
    tmp_path: Path, identity: str | None, issuer: str | None, content: str | None, message: str
) -> None:
    path = tmp_path / "trust.json"
    if content == "trust":
        trust_config(path)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=message):
        signing_policy(None, None, identity, issuer, "none", path)


def test_an_empty_trust_root_fails_closed_offline(tmp_path: Path, offline: list[Any]) -> None:
    signer = make_signer(tmp_path / "keys")
    model, signature = _signed(tmp_path, signer)
    policy = SigningPolicy(identity=IDENTITY, issuer=ISSUER, require="all",
                           trust_config=str(trust_config(tmp_path / "trust.json")))  # fmt: skip

    checked = verify(model, signature, "gs://models/m/model.safetensors.sig", policy)

    assert checked.status == "unverifiable" and "Fulcio" in (checked.detail or "")
    assert offline == []


def test_a_bundle_that_is_not_keyless_is_never_valid_under_the_identity_policy(
    tmp_path: Path, offline: list[Any]
) -> None:
    signer = make_signer(tmp_path / "keys")
    model, signature = _signed(tmp_path, signer)  # signed with a certificate, not through Fulcio/Rekor
    policy = SigningPolicy(identity=IDENTITY, issuer=ISSUER, require="all",
                           trust_config=str(trust_config(tmp_path / "trust.json", signer)))  # fmt: skip

    checked = verify(model, signature, "gs://models/m/model.safetensors.sig", policy)

    assert checked.status in ("invalid", "unverifiable") and checked.method == "sigstore"
    assert "cannot set up" not in (checked.detail or "")  # the verifier was built from the file
    assert offline == []
    other = SigningPolicy(identity=IDENTITY, issuer=ISSUER, trust_config=str(trust_config(tmp_path / "t2.json")))
    assert other.fingerprint() != policy.fingerprint()  # a reused verdict is re-judged under another root
