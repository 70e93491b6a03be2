"""Client(proxy=..., ca_pem=..., ca_file=...) reach the core's network options."""

from __future__ import annotations

import pytest

import dga_epayment as dga
from conftest import REPO, Sandbox, create, make_client

CA = (REPO / "core" / "tests" / "data" / "agency-ca.pem").read_text(encoding="utf-8")


def test_every_call_goes_through_the_proxy(sandbox: Sandbox) -> None:
    # The sandbox doubles as the proxy (it routes `GET http://host/path` by path); the gateway
    # is an address nothing listens on, so only a call through the proxy can succeed.
    before = {e: sandbox.count(e) for e in ("token", "create", "status")}
    c = make_client(sandbox, gateway_url="http://127.0.0.1:9", proxy=sandbox.url)
    p = create(c)
    c.status(p.reference1, p.reference2)
    assert {e: sandbox.count(e) - n for e, n in before.items()} == {"token": 1, "create": 1, "status": 1}
    direct = make_client(sandbox, gateway_url="http://127.0.0.1:9", retry=False)
    with pytest.raises(dga.AuthError):
        create(direct)


def test_extra_ca_certificates_as_str_or_bytes(sandbox: Sandbox) -> None:
    for pem in (CA, CA.encode()):
        c = make_client(sandbox, ca_pem=pem)
        assert create(c).reference1
    with pytest.raises(dga.ValidationError) as e:
        make_client(sandbox, ca_pem="-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
                    ca_file="/nonexistent/ca.pem")
    assert [f.field for f in e.value.errors] == ["ca_file", "ca_pem"]
    with pytest.raises(dga.ValidationError) as e:
        make_client(sandbox, ca_pem=123)  # type: ignore[arg-type]
    assert e.value.errors[0].field == "ca_pem"


def test_a_bad_proxy_url_is_refused_without_echoing_it(sandbox: Sandbox) -> None:
    with pytest.raises(dga.ValidationError) as e:
        make_client(sandbox, proxy="::not a url with pass-w0rd::")
    assert e.value.errors[0].field == "proxy" and "pass-w0rd" not in str(e.value)
