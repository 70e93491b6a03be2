#!/usr/bin/env python3
"""Writes the vector-derived part of the seed corpus, fuzz/corpus/<target>/vector-*.

Inputs come from tests/vectors/ (callbacks.json, responses.json, amounts.json) plus a few
hand-written token and config answers. Files the fuzzer found are kept beside them as
found-* (added by hand after `cargo fuzz tmin`); this script never removes them.
Run from anywhere: python3 fuzz/seeds.py
"""

import base64
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
CORPUS = ROOT / "fuzz" / "corpus"
# The corpus stays small (CI replays it): at most this many vector seeds per target.
LIMIT = 40


def cases(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))["cases"]


def body(case):
    if "bodyBase64" in case:
        return base64.b64decode(case["bodyBase64"])
    return case["body"].encode("utf-8")


def write(target, seeds):
    out = CORPUS / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("vector-*"):
        old.unlink()
    seen = set()
    kept = 0
    for name, data in seeds:
        if data in seen or kept >= LIMIT:
            continue
        seen.add(data)
        kept += 1
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:60]
        (out / f"vector-{kept:02d}-{safe}").write_bytes(data)
    print(f"{target}: {kept} vector seeds")


def main():
    callbacks = cases("callbacks.json")
    responses = cases("responses.json")
    amounts = cases("amounts.json")

    # Every failure kind once before the many passing variants, so the cap drops variants.
    callbacks.sort(key=lambda c: c["expect"]["ok"])
    write("parse_callback", [(c["name"], body(c)) for c in callbacks])

    tokens = [(c["name"], body(c)) for c in responses if c["endpoint"] == "token"]
    tokens += [
        ("result-empty", b'{"Result": ""}'),
        ("result-number", b'{"RESULT": 12345}'),
        ("result-padded-key", b'{" result ": "abc", "Message": "ok"}'),
        ("message-only", b'{"Message": "Invalid AgentID"}'),
        ("not-object", b'["Result"]'),
        ("bom", b'\xef\xbb\xbf{"Result": "abc"}'),
    ]
    write("token", tokens)

    envelopes = [(c["name"], body(c)) for c in responses if c["endpoint"] != "token"]
    envelopes += [
        ("status-name", b'{"Status": "Warning", "ErrorCode": "8", "Message": "m"}'),
        ("status-unknown-with-code", b'{"status": 9, "errorCode": 21}'),
        ("status-float", b'{"status": 1.5, "data": []}'),
    ]
    write("envelope", envelopes)
    write("create_answer", [(c["name"], body(c)) for c in responses if c["endpoint"] == "create"])
    status = [(c["name"], body(c)) for c in responses if c["endpoint"] == "status"]
    # A callback body is a status answer's data: wrap the passing ones.
    for c in callbacks:
        if c["expect"]["ok"] and "body" in c:
            wrapped = b'{"status": 0, "errorCode": null, "message": "Success", "data": '
            status.append((f"cb-{c['name']}", wrapped + body(c).strip() + b"}"))
    write("status_answer", status)

    amount = [
        ("string-exponent", b'"1.5E+3"'),
        ("bare-padded", b"  -0.010 "),
        ("bare-leading-dot", b".5"),
        ("bare-plus", b"+12.30"),
    ]
    amount += [(f"json-{c['json']}", c["json"].encode("utf-8")) for c in amounts]
    write("amount", amount)

    good = {
        "consumerKey": "sandbox-key",
        "consumerSecret": "sandbox-secret",
        "agentId": "1234567890121",
        "gatewayUrl": "http://127.0.0.1:8580",
        "source": "SANDBOX",
    }
    ca = (ROOT / "core" / "tests" / "data" / "agency-ca.pem").read_text()
    configs = [
        ("minimal", good),
        ("empty", {}),
        ("all-keys", {**good, "environment": "uat", "timeoutMs": 1000, "connectTimeoutMs": 500,
                      "tokenMaxAgeMs": 60000, "proxy": "http://user:pw@127.0.0.1:3128",
                      "userAgentSuffix": "fuzz/1", "strictAgentId": True,
                      "retry": {"tokenAttempts": 2, "statusAttempts": 3, "connectAttempts": 1,
                                "backoffBaseMs": 10, "backoffCapMs": 100}}),
        ("retry-false", {**good, "retry": False}),
        ("retry-bad", {**good, "retry": {"tokenAttempts": -1, "nope": 1}}),
        ("wrong-types", {"consumerKey": 1, "timeoutMs": "10", "strictAgentId": "yes", "x": None}),
        ("bad-url-and-proxy", {**good, "gatewayUrl": "ftp://user:pw@x", "proxy": "::"}),
        ("environment-prod", {**good, "environment": "production", "gatewayUrl": None}),
        ("ca-pem", {**good, "caPem": ca}),
        ("ca-pem-junk", {**good, "caPem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}),
        ("ca-file-missing", {**good, "caFile": "/nonexistent/ca.pem"}),
        ("zero-timeouts", {**good, "timeoutMs": 0, "connectTimeoutMs": 0, "tokenMaxAgeMs": 0}),
        ("not-object", [good]),
    ]
    write("config", [(n, json.dumps(c, ensure_ascii=False).encode("utf-8")) for n, c in configs])


main()
