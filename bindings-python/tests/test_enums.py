"""The IntEnums come from the core's tables; the committed stubs list the same members."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import dga_epayment as dga
from dga_epayment import _native

STUB = Path(dga.__file__).with_name("_enums.pyi")
ENUMS = {"BankCode": dga.BankCode, "PaymentType": dga.PaymentType, "PaidStatus": dga.PaidStatus,
         "ResponseStatus": dga.ResponseStatus, "ErrorCode": dga.ErrorCode}


def stub_members() -> Dict[str, List[Tuple[str, int]]]:
    members: Dict[str, List[Tuple[str, int]]] = {}
    current = None
    for line in STUB.read_text(encoding="utf-8").splitlines():
        m = re.match(r"class (\w+)\(DgaEnum\):", line)
        if m:
            current = members.setdefault(m.group(1), [])
            continue
        m = re.match(r"    ([A-Z_0-9]+) = (\d+)$", line)
        if m and current is not None:
            current.append((m.group(1), int(m.group(2))))
    return members


def test_enums_are_the_cores_tables() -> None:
    tables = _native.enum_tables()
    assert set(tables) == set(ENUMS)
    for name, rows in tables.items():
        enum = ENUMS[name]
        assert [(m.dga_name, m.value, m.description_th) for m in enum] == [
            (r["name"], r["number"], r["descriptionTh"]) for r in rows
        ], name


def test_committed_stub_lists_every_member() -> None:
    expected = {name: [(m.name, m.value) for m in enum] for name, enum in ENUMS.items()}
    assert stub_members() == expected, "regenerate python/dga_epayment/_enums.pyi"


def test_design_names() -> None:
    assert dga.PaidStatus.SUCCESS == 1 and dga.PaidStatus.PENDING == 0
    assert dga.PaymentType.FAST_PAY == 3 and dga.PaymentType.QR_PAYMENT == 5
    assert dga.ErrorCode.TRANSACTION_NOT_FOUND == 8 and dga.ErrorCode.OTHERS == 999
    assert dga.PaidStatus.SUCCESS.description_th == "ชำระเงินสำเร็จ"
    assert dga.PaymentType.QR_PAYMENT.dga_name == "QRPayment"
    assert isinstance(dga.PaidStatus.SUCCESS, int)


@pytest.mark.parametrize("raw,expected", [("42", 42), ('"42"', "42"), ('"C"', "C")])
def test_unknown_values_are_kept_raw(raw: str, expected: object) -> None:
    body = ('{"paidStatus": %s, "description": "", "paidDate": "", "paidChannel": "", '
            '"confirmPaidDate": "", "refId": "", "ref1": "R", "ref2": "", "paymentType": %s, '
            '"amount": 1, "feeAmount": 0}') % (raw, raw)
    cb = dga.parse_callback(body)
    assert cb.paid_status == expected and not isinstance(cb.paid_status, dga.DgaEnum)
    assert cb.payment_type == expected
    assert not cb.is_paid
