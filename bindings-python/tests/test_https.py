"""Real HTTPS: the sandbox serves TLS with a certificate from a CA made here (openssl CLI).
Without the CA the client is refused for the certificate; with `ca_pem` or `ca_file` token,
create and status work; plain http:// stays refused off loopback."""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

import dga_epayment as dga
from conftest import AGENT_ID, FAST_RETRY, SECRET, create, sandbox_binary


def make_pki(d: Path) -> Dict[str, Path]:
    """A CA and a server certificate it signed for 127.0.0.1 and localhost, as PEM files."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=dga python test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=dga-sandbox")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                               "basicConstraints=critical,CA:FALSE\n"
                               "keyUsage=critical,digitalSignature\n"
                               "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, Dict[str, Path]]]:
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    proc = subprocess.Popen(
        [str(sandbox_binary()), "--port", "0", "--tls-cert", str(pki["cert"]), "--tls-key", str(pki["key"])],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first.startswith("listening on https://127.0.0.1:"), first
    yield first.split(" ", 2)[2], pki
    proc.terminate()
    proc.wait(timeout=10)


def client(url: str, **options: Any) -> dga.Client:
    return dga.Client(consumer_key="sandbox-key", consumer_secret=SECRET, agent_id=AGENT_ID,
                      gateway_url=url, source="SANDBOX", timeout=5, retry=FAST_RETRY, **options)


def requests_logged(url: str, ca: Path) -> Any:
    ctx = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(url + "/__sandbox/requests", timeout=10, context=ctx) as r:
        return json.loads(r.read())


def round_trip(c: dga.Client, url: str, ca: Path) -> None:
    """A fresh client's first create fetches the token: token, create and status over TLS."""
    before = len(requests_logged(url, ca))
    p = create(c)
    assert p.gateway_url.startswith("https://127.0.0.1:"), p.gateway_url
    assert c.status(p.reference1, p.reference2).paid_status == dga.PaidStatus.PENDING
    logged = requests_logged(url, ca)[before:]
    assert [(e["endpoint"], e["httpStatus"]) for e in logged] == [("token", 200), ("create", 200), ("status", 200)]


def test_without_the_ca_the_certificate_is_refused(tls: Tuple[str, Dict[str, Path]]) -> None:
    url, pki = tls
    before = len(requests_logged(url, pki["ca"]))
    # The token fetch is what fails: AuthError today (DESIGN: "no token"), carrying the
    # transport's text; NetworkError is accepted too, should certificate errors become a plain
    # non-retried transport error.
    for call in (lambda c: create(c), lambda c: c.status("x", "")):
        with pytest.raises((dga.AuthError, dga.NetworkError)) as e:
            call(client(url))
        assert "certificate" in str(e.value).lower(), str(e.value)
    assert len(requests_logged(url, pki["ca"])) == before, "nothing got through"


def test_with_ca_pem_str_or_bytes(tls: Tuple[str, Dict[str, Path]]) -> None:
    url, pki = tls
    pem = pki["ca"].read_text()
    round_trip(client(url, ca_pem=pem), url, pki["ca"])
    round_trip(client(url, ca_pem=pem.encode()), url, pki["ca"])


def test_with_ca_file(tls: Tuple[str, Dict[str, Path]]) -> None:
    url, pki = tls
    round_trip(client(url, ca_file=str(pki["ca"])), url, pki["ca"])


@pytest.mark.parametrize("url", ["http://api.egov.go.th", "http://10.0.0.7:8580", "http://dga.internal"])
def test_plain_http_is_refused_off_loopback(url: str) -> None:
    with pytest.raises(dga.ValidationError) as e:
        client(url)
    assert "HTTPS" in str(e.value)
