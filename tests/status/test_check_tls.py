"""HTTPS checks: a certificate close to expiry is DEGRADED; an expired one is DOWN."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from apps.status.checks import run_probes
from apps.status.kinds.base import Probe
from apps.status.kinds.http import _CERT_CACHE
from apps.status.models import State
from tests.fixtures.http_server import LocalHTTPServer

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is needed to make test certificates")


def certificate(tmp_path, days: int) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, valid for `days`."""
    cert, key = tmp_path / f"cert{days}.pem", tmp_path / f"key{days}.pem"
    validity = ["-days", str(days)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", *validity],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def check(url: str, **settings) -> object:
    return asyncio.run(run_probes([Probe(1, "http", {"url": url, **settings}, 5.0)]))[0]


def serve(tmp_path, days: int):
    cert, key = certificate(tmp_path, days)
    server = LocalHTTPServer().start(tls=(cert, key))
    return server, cert


def test_a_certificate_expiring_soon_is_degraded(tmp_path):
    _CERT_CACHE.clear()
    server, cert = serve(tmp_path, days=5)
    try:
        outcome = check(server.answer("/"), ca_file=cert)
        assert outcome.state == State.DEGRADED
        assert outcome.message == "its TLS certificate expires in 4 days: renew it"
        assert check(server.answer("/"), ca_file=cert, tls_days=3).state == State.UP
    finally:
        server.stop()


def test_a_fresh_certificate_is_up(tmp_path):
    server, cert = serve(tmp_path, days=200)
    try:
        assert check(server.answer("/"), ca_file=cert).state == State.UP
    finally:
        server.stop()


def test_an_untrusted_certificate_is_down(tmp_path):
    server, cert = serve(tmp_path, days=200)
    try:
        untrusted = check(server.answer("/"))  # not in the system store
        assert untrusted.state == State.DOWN
        assert untrusted.message == "its TLS certificate is not valid (expired, or not from a trusted issuer)"
        assert check(server.answer("/"), verify_tls=False).state == State.UP  # the owner chose to skip it
    finally:
        server.stop()
