"""SD contracts from table extracts: VBAK's contracts (VBTYP G) completed by VEDA.

A contract's header is in VBAK, its contract data (validity, signature, term,
cancellation) in VEDA. Both give a part of one contract document; the core
combines them, VEDA's dates first. An order that references the contract
(VBAK VGBEL with VGTYP G, or a VBFA G → C link) gets ``contract_id``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_sap import SapTableAdapter

from handoff_rules.adapters import AdapterError, Fact, Reject, Sample
from handoff_rules.model import ContractStatus, Derived, Document, Invoice, Order
from handoff_rules.parts import combine_parts


def _read(path: Path) -> tuple[list[Fact], list[Reject]]:
    items = list(SapTableAdapter().read(path))
    return [i for i in items if isinstance(i, Fact)], [i for i in items if isinstance(i, Reject)]


def _documents(facts: list[Fact]) -> dict[str, Document]:
    return {f.data.id: f.data for f in facts if isinstance(f.data, Document)}


def test_veda_is_recognised_by_name_and_by_columns(sap_data, tmp_path):
    adapter = SapTableAdapter()
    assert adapter.sniff(Sample.of(sap_data / "VEDA.txt")).format == "veda"
    unnamed = tmp_path / "export.txt"
    unnamed.write_bytes((sap_data / "VEDA.txt").read_bytes())
    assert adapter.sniff(Sample.of(unnamed)).format == "veda"


def test_veda_gives_validity_signature_term_and_cancellation(sap_data):
    facts, rejects = _read(sap_data / "VEDA.txt")
    contracts = _documents(facts)
    signed = contracts["40000020"]
    assert (signed.valid_from, signed.valid_until) == (date(2024, 1, 1), date(2024, 12, 31))
    assert (signed.status, signed.signed_on) == (ContractStatus.SIGNED, date(2023, 12, 20))
    assert signed.term_months == 12  # 1 year
    assert signed.cancellation_procedure == "0001"
    # cancelled to 30.09.2024: in force until then, not until its end date 2026-12-31
    cancelled = contracts["40000021"]
    assert cancelled.valid_until == cancelled.cancellation_date == date(2024, 9, 30)
    assert cancelled.cancellation_reason == "02"
    assert cancelled.status is ContractStatus.SIGNED  # accepted (VABNDAT), no VUNTDAT
    assert cancelled.signed_on is None
    assert cancelled.term_months == 36
    unsigned = contracts["40000023"]
    assert unsigned.status is None  # neither signed nor accepted: not known to be in force
    assert unsigned.term_months == 18
    assert all(f.part is False for f in facts)  # VEDA's contract data is the whole
    item, open_end = rejects
    assert "contract data of an item is not read" in item.reason
    assert item.keys == ()
    assert "VENDDAT" in open_end.reason
    assert "2 year(s)" in open_end.reason
    assert open_end.type == "document"


def test_vbak_contracts_are_parts_of_the_contract_and_orders_name_them(sap_data):
    facts, rejects = _read(sap_data / "VBAK_contracts.csv")
    (contract,) = [f for f in facts if f.type == "document"]
    assert contract.part is True
    assert contract.data == Document(
        id="40000020",
        kind="contract",
        counterparty_id="5100",
        number="40000020",
        issued_on=date(2024, 1, 5),
        valid_from=date(2024, 1, 1),
        valid_until=date(2024, 12, 31),
    )
    orders = {f.data.id: f.data for f in facts if isinstance(f.data, Order)}
    assert orders["13001"].contract_id == "40000020"
    assert orders["13002"].contract_id == "40000020"
    assert orders["13003"].contract_id is None  # VGTYP B: its quotation, not a contract
    # a scheduling agreement is delivered directly: no contract orders call off
    (agreement,) = rejects
    assert "scheduling agreement" in agreement.reason
    assert agreement.keys == ()


def test_veda_decides_the_validity_vbak_only_fills_in(sap_data, tmp_path):
    vbak, _ = _read(sap_data / "VBAK_contracts.csv")
    veda, _ = _read(sap_data / "VEDA.txt")
    combined = _documents(combine_parts([*vbak, *veda]))
    contract = combined["40000020"]
    assert contract.counterparty_id == "5100"  # from VBAK
    assert contract.status is ContractStatus.SIGNED  # from VEDA
    # a VEDA end date earlier than VBAK's GUEEN (a cancellation) wins
    edited = tmp_path / "VEDA.txt"
    edited.write_bytes(
        (sap_data / "VEDA.txt").read_bytes().replace(b"20241231\t09", b"20240930\t09", 1)
    )
    veda, _ = _read(edited)
    contract = _documents(combine_parts([*vbak, *veda]))["40000020"]
    assert contract.valid_until == date(2024, 9, 30)
    # read without VEDA, the contract is not known to be signed
    alone = _documents(combine_parts(vbak))["40000020"]
    assert alone.status is None


def test_an_order_called_off_a_contract_in_vbfa_gets_its_contract(sap_data):
    facts, _ = _read(sap_data / "VBFA.csv")
    (order,) = [f for f in facts if isinstance(f.data, Order)]
    assert order.part is True
    assert order.data == Order(id="12345", contract_id="40000017")
    assert all(f.part is False for f in facts if isinstance(f.data, Derived))


def test_vbfa_keeps_time_change_date_billing_category_sign_and_level(sap_data):
    facts, rejects = _read(sap_data / "VBFA.csv")
    assert rejects == []
    flows = [f.data for f in facts if isinstance(f.data, Derived)]
    first, goods_issue, invoice, _cancel, transfer, call_off = flows
    assert first.get("created_at") == "08:00:00"
    assert first.get("changed_on") is None  # 00000000
    assert goods_issue.get("changed_on") == date(2024, 3, 12)
    assert goods_issue.get("quantity_effect") == "-"
    assert invoice.get("billing_category") == "L"
    assert transfer.get("level") == 1
    assert call_off.get("from_category") == "G"
    assert call_off.get("value") == Decimal("1800.00")


@pytest.mark.parametrize("bad", ["251500", "08:00", "ab0000"])
def test_a_bad_vbfa_time_is_a_reject_naming_erzet(tmp_path, bad):
    path = tmp_path / "VBFA.csv"
    path.write_text(
        "VBELV,POSNV,VBELN,POSNN,VBTYP_N,VBTYP_V,ERDAT,ERZET\n"
        f"0000012345,000010,0080001234,000010,J,C,20240310,{bad}\n",
        encoding="utf-8",
    )
    _facts, (reject,) = _read(path)
    assert "ERZET" in reject.reason
    assert bad in reject.reason
    assert dict(reject.keys) == {"order": "12345", "delivery": "80001234"}


def test_a_vbfa_extract_lacking_a_required_column_says_which(tmp_path):
    path = tmp_path / "VBFA.csv"
    path.write_text(
        "VBELV,POSNV,VBELN,POSNN,VBTYP_V,ERDAT,ERZET,AEDAT\n"
        "0000012345,000010,0080001234,000010,C,20240310,080000,00000000\n",
        encoding="utf-8",
    )
    with pytest.raises(AdapterError, match=r"VBFA extract lacks required column\(s\) VBTYP_N"):
        _read(path)


def test_vbrk_keeps_sold_to_and_payer_apart(sap_data):
    facts, _ = _read(sap_data / "payer_scenario" / "VBRK.csv")
    (invoice,) = [f.data for f in facts if isinstance(f.data, Invoice)]
    assert (invoice.counterparty_id, invoice.sold_to, invoice.payer) == ("5200", "5200", "5290")


def test_an_unlimited_contract_and_one_cancelled_before_its_end(tmp_path):
    path = tmp_path / "VEDA.csv"
    path.write_text(
        "VBELN;VPOSN;VBEGDAT;VENDDAT;VUNTDAT;VLAUFZ;VLAUEZ;VWUNDAT;VKUEGRU\n"
        "0040000030;000000;01.01.2024;31.12.9999;15.12.2023;000; ;00.00.0000; \n"
        "0040000031;000000;01.01.2024;00.00.0000;15.12.2023;000; ;31.03.2024;03\n",
        encoding="utf-8",
    )
    facts, rejects = _read(path)
    assert rejects == []
    contracts = _documents(facts)
    assert contracts["40000030"].valid_until == date(9999, 12, 31)
    # open-ended until cancelled: in force up to the requested cancellation date
    assert contracts["40000031"].valid_until == date(2024, 3, 31)
    assert contracts["40000031"].cancellation_reason == "03"
