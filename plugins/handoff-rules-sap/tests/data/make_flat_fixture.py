"""Regenerate ``invoic02_flat.txt``: two INVOIC02 IDocs as a SAP file port writes them.

Run from this folder: ``python make_flat_fixture.py``. Segment names are
definition names with release suffixes (``E2EDK01005``), as in real flat
files; one customer segment (with a child) must be skipped; the trailing
blanks of some records are cut, as file transfers often do.
"""

from __future__ import annotations

from pathlib import Path

from handoff_rules_sap.flat_writer import control_record, data_record

DEFINITIONS = {
    "E1EDK01": "E2EDK01005",
    "E1EDKA1": "E2EDKA1003",
    "E1EDK02": "E2EDK02",
    "E1EDK03": "E2EDK03",
    "E1EDP01": "E2EDP01011",
    "E1EDP02": "E2EDP02002",
    "E1EDP19": "E2EDP19003",
    "E1EDP26": "E2EDP26",
    "E1EDS01": "E2EDS01",
}


def invoice(
    docnum: str,
    number: str,
    order: str,
    customer: str,
    lines: list[tuple[str, str, str]],
    gross: str,
    currency: str,
) -> list[str]:
    records = [
        control_record(
            {
                "MANDT": "100",
                "DOCNUM": docnum,
                "DOCREL": "740",
                "STATUS": "30",
                "DIRECT": "1",
                "IDOCTYP": "INVOIC02",
                "CIMTYP": "ZINV_EXT01",
                "MESTYP": "INVOIC",
                "SNDPRN": "PRDCLNT100",
                "RCVPRN": customer,
                "CREDAT": "20230515",
                "CRETIM": "093000",
            }
        )
    ]
    segnum = 0

    def add(segment: str, fields: dict[str, str], parent: int = 0, level: int = 2) -> int:
        nonlocal segnum
        segnum += 1
        records.append(
            data_record(
                segment,
                fields,
                docnum=docnum,
                segnum=segnum,
                parent=parent,
                level=level,
                name=DEFINITIONS.get(segment, segment),
                client="100",
            )
        )
        return segnum

    add("E1EDK01", {"CURCY": currency, "ZTERM": "NT30", "BSART": "INVO", "BELNR": number})
    add(
        "E1EDKA1",
        {"PARVW": "AG", "PARTN": customer, "NAME1": "Aceros del Norte SA de CV", "LAND1": "MX"},
    )
    add("E1EDKA1", {"PARVW": "RG", "PARTN": customer, "LAND1": "MX"})
    add("E1EDK02", {"QUALF": "002", "BELNR": order, "DATUM": "20230502"})
    add("E1EDK02", {"QUALF": "009", "BELNR": number, "DATUM": "20230515"})
    add("E1EDK03", {"IDDAT": "026", "DATUM": "20230515"})
    add("E1EDK03", {"IDDAT": "028", "DATUM": "20230614"})
    custom = add("Z1CFDI_HDR", {}, level=2)
    add("Z1CFDI_UUID", {}, parent=custom, level=3)
    for posex, quantity, value in lines:
        item = add(
            "E1EDP01",
            {"POSEX": posex, "MENGE": quantity, "MENEE": "PCE", "NETWR": value, "CURCY": currency},
        )
        add("E1EDP02", {"QUALF": "002", "BELNR": order, "ZEILE": posex}, parent=item, level=3)
        add(
            "E1EDP19",
            {"QUALF": "002", "IDTNR": "000000000040012345", "KTEXT": 'Válvula de bola 2"'},
            parent=item,
            level=3,
        )
        add("E1EDP26", {"QUALF": "003", "BETRG": value}, parent=item, level=3)
    add("E1EDS01", {"SUMID": "011", "SUMME": gross, "WAERQ": currency})
    return records


def main() -> None:
    records = invoice(
        "0000003075576582",
        "0095012001",
        "0000045001",
        "0000200017",
        [("000010", "10.000", "1500.00"), ("000020", "2.000", "310.50")],
        "2100.18",
        "USD",
    )
    records += invoice(
        "0000003075576583",
        "0095012002",
        "0000045002",
        "0000200018",
        [("000010", "1.000", "99.90")],
        "115.88",
        "USD",
    )
    # Cut the trailing blanks of every other record, as many transfers do.
    lines = [r.rstrip(" ") if i % 2 else r for i, r in enumerate(records)]
    Path(__file__).with_name("invoic02_flat.txt").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
