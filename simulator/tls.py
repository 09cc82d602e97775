"""A throwaway self-signed certificate for ``woosim serve --tls`` and HTTPS tests.

Each call makes a fresh P-256 key and a certificate naming the given hosts and IP
addresses, valid from yesterday for a year. The PEM files that ``ssl`` needs exist
only briefly in a private temporary directory; the key never leaves the process
otherwise. Clients trust the returned certificate PEM (e.g. httpx
``verify=ssl.create_default_context(cadata=pem.decode())``).
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["DEFAULT_HOSTS", "self_signed", "self_signed_context"]

DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost")


def _subject_alt_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _certificate(key: ec.EllipticCurvePrivateKey, hosts: Sequence[str]) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"woosim {hosts[0]}")])
    # Certificate validity is checked against the real wall clock by TLS peers, not
    # the store's virtual clock, so real time is right here.
    now = datetime.now(UTC)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(_subject_alt_names(hosts)), critical=False)
        # A self-signed certificate that clients trust directly is its own issuer, so it
        # carries CA rights; strict verifiers also want key usages and key identifiers.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def self_signed(hosts: Sequence[str] = DEFAULT_HOSTS) -> tuple[ssl.SSLContext, bytes]:
    """A server-side ``SSLContext`` with a fresh self-signed certificate, and its PEM."""
    if not hosts:
        raise ValueError("hosts must name at least one host name or IP address")
    key = ec.generate_private_key(ec.SECP256R1())
    certificate_pem = _certificate(key, hosts).public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # mkdtemp makes the directory readable by this user only; it is removed on exit.
    with tempfile.TemporaryDirectory(prefix="woosim-tls-") as directory:
        cert_path = os.path.join(directory, "cert.pem")
        key_path = os.path.join(directory, "key.pem")
        with open(cert_path, "wb") as cert_file:
            cert_file.write(certificate_pem)
        key_fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(key_fd, "wb") as key_file:
            key_file.write(key_pem)
        context.load_cert_chain(cert_path, key_path)
    return context, certificate_pem


def self_signed_context(hosts: Sequence[str] = DEFAULT_HOSTS) -> ssl.SSLContext:
    """Just the server context, for callers that do not hand the certificate to a client."""
    return self_signed(hosts)[0]
