"""Mutated exports: every record a fact or a reject, and no error but AdapterError escapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from handoff_rules_crm import (
    CrmOptions,
    HubSpotCsvAdapter,
    OdooSaleOrderAdapter,
    SalesforceCsvAdapter,
    SalesforceTreeAdapter,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters import Adapter, AdapterError, Fact, Reject, Sample

DATA = Path(__file__).parent / "data"
OPTIONS = CrmOptions(date_formats=("iso", "%m/%d/%y"), default_currency="USD")


def _head_lines(path: Path, count: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:count])


def _small_tree() -> bytes:
    records = json.loads((DATA / "salesforce-apex-recipes" / "Opportunities.json").read_bytes())
    return json.dumps({"records": records["records"][:4]}, indent=2, ensure_ascii=False).encode()


SEEDS: dict[str, tuple[str, bytes, Adapter]] = {
    "demo-opportunity": (
        "Opportunity.csv",
        _head_lines(DATA / "salesforce-demo-org" / "Opportunity.csv", 6),
        SalesforceCsvAdapter(OPTIONS),
    ),
    "cpq-quote-line": (
        "SBQQ__QuoteLine__c.csv",
        (DATA / "prodly-style" / "SBQQ__QuoteLine__c.csv").read_bytes(),
        SalesforceCsvAdapter(OPTIONS),
    ),
    "cpq-account": (
        "Account.csv",
        (DATA / "prodly-style" / "Account.csv").read_bytes(),
        SalesforceCsvAdapter(OPTIONS),
    ),
    "tree": ("Opportunities.json", _small_tree(), SalesforceTreeAdapter(OPTIONS)),
    "hubspot-deals": (
        "deals.csv",
        _head_lines(DATA / "hubspot" / "hubspot-crm-exports-all-deals-2024-08-27.csv", 5),
        HubSpotCsvAdapter(OPTIONS),
    ),
    "odoo": (
        "sale.order.csv",
        (DATA / "odoo" / "sale.order.csv").read_bytes(),
        OdooSaleOrderAdapter(OPTIONS),
    ),
}

_NASTY = st.sampled_from(
    [
        b'"',
        b",",
        b"\n",
        b"\r",
        b"\r\n",
        b"\x00",
        b"\xff",
        b"\xc3",
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b"@",
        b"#N/A",
        b"1E999",
        b"-",
        b"\xef\xbb\xbf",
        b'"records"',
        b"\t",
        b";",
        b"\\",
    ]
)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate"]))
        position = draw(st.integers(0, len(data)))
        if kind == "insert":
            chunk = draw(st.one_of(_NASTY, st.binary(min_size=1, max_size=4)))
            data[position:position] = chunk
        elif kind == "delete":
            data[position : position + draw(st.integers(1, 8))] = b""
        elif kind == "replace" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[position:]
        elif kind == "duplicate":
            end = min(len(data), position + draw(st.integers(1, 80)))
            data[end:end] = data[position:end]
    return bytes(data)


def _read(adapter: Adapter, path: Path) -> list[Fact | Reject] | AdapterError:
    try:
        return list(adapter.read(path))
    except AdapterError as exc:  # the one error a broken file may raise
        return exc


def _check(adapter: Adapter, path: Path) -> None:
    adapter.sniff(Sample.of(path))  # must not raise, whatever it decides
    result = _read(adapter, path)
    if isinstance(result, AdapterError):
        assert str(path) in str(result)
        return
    for item in result:
        assert isinstance(item, Fact | Reject)
        assert item.provenance.source == str(path)
        assert item.provenance.location.strip()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_unmutated_seeds_read_without_rejects(tmp_path: Path, name: str) -> None:
    file_name, seed, adapter = SEEDS[name]
    path = tmp_path / file_name
    path.write_bytes(seed)
    assert not [i for i in adapter.read(path) if isinstance(i, Reject)]


@pytest.mark.parametrize("name", sorted(SEEDS))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_exports_never_crash(tmp_path: Path, name: str, data: st.DataObject) -> None:
    file_name, seed, adapter = SEEDS[name]
    path = tmp_path / file_name
    path.write_bytes(data.draw(mutated(seed)))
    _check(adapter, path)
