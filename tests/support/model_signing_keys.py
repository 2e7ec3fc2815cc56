"""Keys, a certificate chain and signatures for the model signature tests, made on the spot with
``cryptography`` and the ``model_signing`` package (its signing side is used by tests only)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    pkcs8 = serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, sign: bool, certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certs,
        crl_sign=certs,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Signer:
    """A key pair (``key`` / ``public``) and a CA-issued code-signing certificate (``leaf``, ``ca``)."""

    key: Path
    public: Path
    leaf: Path
    ca: Path

    def sign_with_key(self, model: Path, signature: Path) -> None:
        import model_signing.signing

        model_signing.signing.Config().use_elliptic_key_signer(private_key=str(self.key)).sign(model, signature)

    def sign_with_certificate(self, model: Path, signature: Path) -> None:
        import model_signing.signing

        model_signing.signing.Config().use_certificate_signer(
            private_key=str(self.key), signing_certificate=str(self.leaf), certificate_chain=[str(self.ca)]
        ).sign(model, signature)


def make_signer(directory: Path, name: str = "signer") -> Signer:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def certificate(subject: str, public: ec.EllipticCurvePublicKey, serial: int, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name(f"{name}-ca"))
            .public_key(public)
            .serial_number(serial)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(_usage(sign=not ca, certs=ca), critical=True)
        )
        if ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        else:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    paths = Signer(
        key=directory / f"{name}.key", public=directory / f"{name}.pub", leaf=directory / f"{name}.pem",
        ca=directory / f"{name}-ca.pem",
    )  # fmt: skip
    paths.key.write_bytes(_pem_key(key))
    paths.public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    paths.ca.write_bytes(
        certificate(f"{name}-ca", ca_key.public_key(), 1, ca=True).public_bytes(serialization.Encoding.PEM)
    )
    paths.leaf.write_bytes(certificate(name, key.public_key(), 2, ca=False).public_bytes(serialization.Encoding.PEM))
    return paths
