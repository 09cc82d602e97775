"""Self-signed TLS: a real HTTPS server on loopback, trusted by httpx."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiohttp import web
from cryptography import x509

from simulator.tls import self_signed, self_signed_context


def test_certificate_names_hosts_and_validity() -> None:
    _, pem = self_signed(["127.0.0.1", "localhost", "shop.test"])
    certificate = x509.load_pem_x509_certificate(pem)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "shop.test"]
    now = datetime.now(UTC)
    assert certificate.not_valid_before_utc < now - timedelta(hours=23)
    assert certificate.not_valid_after_utc > now + timedelta(days=364)
    assert b"PRIVATE KEY" not in pem


def test_each_call_makes_a_new_certificate() -> None:
    assert self_signed()[1] != self_signed()[1]
    assert isinstance(self_signed_context(["localhost"]), ssl.SSLContext)


def test_hosts_are_required() -> None:
    with pytest.raises(ValueError, match="hosts"):
        self_signed([])


@pytest.fixture
async def https_server() -> AsyncIterator[tuple[str, bytes]]:
    context, pem = self_signed(["127.0.0.1", "localhost"])

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"scheme": request.scheme})

    app = web.Application()
    app.router.add_get("/hello", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"https://127.0.0.1:{port}", pem
    finally:
        await runner.cleanup()


async def test_https_fetch_trusting_the_certificate(https_server: tuple[str, bytes]) -> None:
    url, pem = https_server
    trust = ssl.create_default_context(cadata=pem.decode())
    async with httpx.AsyncClient(verify=trust) as client:
        response = await client.get(url + "/hello")
    assert response.status_code == 200
    assert response.json() == {"scheme": "https"}

    # Strict X.509 checking (the default of newer Pythons) accepts it too.
    strict = ssl.create_default_context(cadata=pem.decode())
    strict.verify_flags |= ssl.VERIFY_X509_STRICT
    async with httpx.AsyncClient(verify=strict) as client:
        assert (await client.get(url + "/hello")).status_code == 200

    localhost = url.replace("127.0.0.1", "localhost")
    async with httpx.AsyncClient(verify=trust) as client:
        assert (await client.get(localhost + "/hello")).status_code == 200


async def test_untrusted_client_is_refused(https_server: tuple[str, bytes]) -> None:
    url, _ = https_server
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url + "/hello")
