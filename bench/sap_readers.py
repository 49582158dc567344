"""Throughput and memory of the SAP readers, against the bare parsers they build on.

Run: ``python bench/sap_readers.py`` (``--scale 0.2`` for a quick look).

In one run it generates an ORDERS05 IDoc XML file and a VBAP-style extract,
then measures, best of five rounds in which the readers take turns, in CPU
time of the process (a reader waiting for a core on a shared machine is not
slower for it; the files are in the page cache after generation):

- MB/s of ``SapIdocAdapter().read`` (IDocs to facts) and of its segment walker
  alone, against a bare ``lxml.etree.iterparse`` loop over the same file that
  only frees each IDOC element when it ends (the least any streaming reader does);
- MB/s of ``SapTableAdapter().read`` (rows to facts), of the SDK's tabular
  reader alone (``TableReader.records``, what the table adapter reads, and
  ``Row`` objects, what other adapters read) and of building the model objects
  of each row without parsing anything, as the adapter builds them (the ceiling
  of rows to facts) against ``csv.reader`` iterating the same file;
- with ``--stages``, where the CPU time of rows to facts goes, in microseconds
  per row: reading records, the row's values by field, mapping them to model
  objects, provenance and fact;
- peak RSS of each reader on the base file and on a file ten times larger,
  each in its own subprocess so the peaks do not mix.

The ratios are printed; the targets are >= 0.5x the bare parser for the IDoc
segment walker and for the tabular reader the table adapter uses, and a flat
RSS from 1x to 10x.

Every row of the generated extract is valid (the run prints the reject count),
so the normal path is what is timed; the quirks real extracts have are kept in
a small share of rows (see :func:`write_table`). Until 2026-11-23 the generator
wrote NETWR values with a bad digit grouping (``1234.567,89``) and most rows
were rejects: table ratios measured before then timed mostly the reject path
and are not comparable with later ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from handoff_rules_sap import SapIdocAdapter, SapTableAdapter
from handoff_rules_sap.idoc_xml import iter_idocs
from handoff_rules_sap.table_adapter import _column_plan, _location_of
from handoff_rules_sap.tables import TABLES, RowValues
from lxml import etree

from handoff_rules.adapters import Fact, Provenance, Reject
from handoff_rules.adapters.tabular import open_table
from handoff_rules.model import Money, OrderLine
from handoff_rules.model.trusted import trusted_constructor

ITEMS_PER_IDOC = 10
TABLE_READERS = ("bare-csv", "sdk-records", "sdk-rows", "model-objects", "table-adapter")


def _idoc(number: int) -> str:
    doc = f"{number:016d}"
    order = f"{number:010d}"
    items = "".join(
        f"<E1EDP01 SEGMENT='1'><POSEX>{pos * 10:06d}</POSEX><MENGE>{pos}.000</MENGE>"
        f"<MENEE>PCE</MENEE><NETWR>{pos * 12}.50</NETWR><CURCY>EUR</CURCY>"
        f"<MATNR>{100000 + pos:018d}</MATNR>"
        f"<E1EDP19 SEGMENT='1'><QUALF>002</QUALF><IDTNR>{100000 + pos:018d}</IDTNR>"
        f"<KTEXT>Material {pos}</KTEXT></E1EDP19>"
        f"<Z1ITEM SEGMENT='1'><ZFLAG>X</ZFLAG></Z1ITEM></E1EDP01>"
        for pos in range(1, ITEMS_PER_IDOC + 1)
    )
    return (
        f"<IDOC BEGIN='1'><EDI_DC40 SEGMENT='1'><TABNAM>EDI_DC40</TABNAM><DOCNUM>{doc}</DOCNUM>"
        "<IDOCTYP>ORDERS05</IDOCTYP><CIMTYP>ZORDERS05</CIMTYP><MESTYP>ORDERS</MESTYP>"
        "<SNDPRN>BENCHCLNT</SNDPRN><CREDAT>20240301</CREDAT></EDI_DC40>"
        f"<E1EDK01 SEGMENT='1'><CURCY>EUR</CURCY><BELNR>{order}</BELNR></E1EDK01>"
        "<E1EDK14 SEGMENT='1'><QUALF>008</QUALF><ORGID>1000</ORGID></E1EDK14>"
        "<E1EDK03 SEGMENT='1'><IDDAT>012</IDDAT><DATUM>20240301</DATUM></E1EDK03>"
        "<E1EDKA1 SEGMENT='1'><PARVW>AG</PARVW><PARTN>0000004711</PARTN>"
        "<NAME1>Bench Customer</NAME1></E1EDKA1>"
        "<E1EDKA1 SEGMENT='1'><PARVW>WE</PARVW><PARTN>0000004712</PARTN></E1EDKA1>"
        f"<E1EDK02 SEGMENT='1'><QUALF>001</QUALF><BELNR>PO-{number}</BELNR></E1EDK02>"
        f"{items}<E1EDS01 SEGMENT='1'><SUMID>002</SUMID><SUMME>1000.00</SUMME></E1EDS01></IDOC>\n"
    )


def write_idocs(path: Path, megabytes: float) -> None:
    target = int(megabytes * 1024 * 1024)
    with path.open("w", encoding="utf-8") as out:
        out.write("<ZORDERS05>\n")
        written, number = 0, 0
        while written < target:
            number += 1
            written += out.write(_idoc(number))
        out.write("</ZORDERS05>\n")


def _sap_amount(number: int) -> str:
    """An amount as SE16 writes it in a decimal-comma locale: ``1.234,56``, ``0,07``,
    ``98.765,43-`` (a credit), magnitudes from cents to hundreds of thousands."""
    cents = (number * 7919) % 10 ** (number % 6 + 3)
    grouped = f"{cents // 100:,}".replace(",", ".")
    return f"{grouped},{cents % 100:02d}{'-' if number % 17 == 0 else ''}"


def write_table(path: Path, megabytes: float) -> None:
    """A VBAP extract in which every row is valid, with the quirks real extracts have.

    Decimal comma with point grouping and a trailing minus on credits (1 row in
    17), blank MATNR on text items (1 in 23), a single-space ARKTX (1 in 29),
    ERDAT ``00000000`` (1 in 31; VBAP's ERDAT is not mapped, so only read).
    """
    target = int(megabytes * 1024 * 1024)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("VBELN;POSNR;MATNR;ARKTX;KWMENG;VRKME;NETWR;WAERK;PSTYV;ERDAT\n")
        written, number = 0, 0
        while written < target:
            number += 1
            material = "" if number % 23 == 0 else f"{100000 + number % 500:018d}"
            text = " " if number % 29 == 0 else f"Material {number % 500}"
            created = (
                "00000000"
                if number % 31 == 0
                else f"2024{number % 12 + 1:02d}{number % 28 + 1:02d}"
            )
            written += out.write(
                f"{number // 10 + 1:010d};{(number % 10 + 1) * 10:06d};{material};{text};"
                f"{number % 90 + 1},000;ST;{_sap_amount(number)};EUR;TAN;{created}\n"
            )


def bare_iterparse(path: Path) -> int:
    """The least a streaming reader does: walk every element, free each IDoc when it ends."""
    count = 0
    for _event, element in etree.iterparse(
        str(path), events=("end",), resolve_entities=False, no_network=True, load_dtd=False
    ):
        count += 1
        if element.tag == "IDOC":
            element.clear()
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    return count


def whole_tree(path: Path) -> int:
    """Not streaming: the whole document in memory. The control that shows RSS is measured."""
    return len(etree.parse(str(path)).getroot())


def segment_walker(path: Path) -> int:
    return sum(len(idoc.segments) for idoc in iter_idocs(path))


def idoc_adapter(path: Path) -> int:
    return sum(1 for _ in SapIdocAdapter().read(path))


def bare_csv(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as stream:
        return sum(1 for _ in csv.reader(stream, delimiter=";"))


def sdk_records(path: Path) -> int:
    """The SDK's tabular reader as the table adapter uses it: records with line numbers
    and cells by position (``TableReader.records``), no values parsed."""
    with open_table(path) as (reader, _encoding):
        return sum(1 for _ in reader.records())


def sdk_rows(path: Path) -> int:
    """The SDK's tabular reader with a ``Row`` per record (cells by header name), as the
    CRM and native adapters use it."""
    with open_table(path) as (reader, _encoding):
        return sum(1 for _ in reader)


def table_adapter(path: Path) -> int:
    return sum(1 for _ in SapTableAdapter().read(path))


_QUANTITY, _AMOUNT = Decimal("12.000"), Decimal("1234.56")
_order_line = trusted_constructor(OrderLine)
_provenance = trusted_constructor(Provenance)
_fact = trusted_constructor(Fact)


def model_objects(path: Path) -> int:
    """The ceiling of rows to facts with the model objects built as the adapter builds them:
    per record (``TableReader.records``), the objects the table adapter builds for a VBAP
    row, an OrderLine with its Money, a Provenance and a Fact, from the raw cells and
    constant numbers: nothing parsed, checked or mapped."""
    source = str(path)
    count = 0
    with open_table(path) as (reader, _encoding):
        for line, _end, cells, _problem in reader.records():
            data = _order_line(
                order_id=cells[0],
                line_no=cells[1],
                item=cells[2],
                description=cells[3],
                quantity=_QUANTITY,
                unit=cells[5],
                net_value=Money.from_parsed(_AMOUNT, "EUR"),
            )
            location = f"line {line} (VBAP VBELN {cells[0]} POSNR {cells[1]})"
            provenance = _provenance("sap-table", source, location, None, line)
            _fact(data, provenance)
            count += 1
    return count


def table_stages(path: Path) -> dict[str, float]:
    """CPU microseconds per row of each step of rows to facts, best of five (the breakdown
    printed with ``--stages``): reading records, making each row's values by field name,
    mapping them to model objects, then locating the row and wrapping each object in a Fact
    with its Provenance. Built from the pieces the table adapter uses."""
    spec = TABLES["VBAP"]
    located = _location_of(spec)
    steps = ("records", "row values", "mapping", "provenance and fact")

    def run(depth: int) -> int:
        rows = 0
        with open_table(path) as (reader, _encoding):
            fields, pick = _column_plan(list(reader.header))
            for line, end, cells, _problem in reader.records():
                rows += 1
                if depth == 0:
                    continue
                values = RowValues(zip(fields, map(str.strip, pick(cells)), strict=True))
                if depth == 1:
                    continue
                facts = spec.mapper(values)
                if depth == 2:
                    continue
                provenance = _provenance("sap-table", "x", located(line, end, values), "0", line)
                for data in facts:
                    _fact(data, provenance)
        return rows

    best = [float("inf")] * len(steps)
    rows = 1
    for _ in range(5):
        for depth in range(len(steps)):
            start = time.process_time()
            rows = run(depth)
            best[depth] = min(best[depth], time.process_time() - start)
    cumulative = [0.0, *best]
    return {step: (cumulative[i + 1] - cumulative[i]) / rows * 1e6 for i, step in enumerate(steps)}


READERS: dict[str, Callable[[Path], int]] = {
    "bare-iterparse": bare_iterparse,
    "whole-tree": whole_tree,
    "segment-walker": segment_walker,
    "idoc-adapter": idoc_adapter,
    "bare-csv": bare_csv,
    "sdk-records": sdk_records,
    "sdk-rows": sdk_rows,
    "model-objects": model_objects,
    "table-adapter": table_adapter,
}


def throughputs(files: dict[str, Path], rounds: int = 5) -> dict[str, float]:
    """MB/s of every reader, best of ``rounds``; the readers take turns within each round,
    so a slower phase of a shared machine hits all of them alike."""
    best = dict.fromkeys(files, float("inf"))
    for _ in range(rounds):
        for name, path in files.items():
            start = time.process_time()
            READERS[name](path)
            best[name] = min(best[name], time.process_time() - start)
    return {name: files[name].stat().st_size / 2**20 / best[name] for name in files}


def peak_rss(reader: str, path: Path) -> float:
    """Peak RSS in MB of a fresh process running one reader over ``path``."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", reader, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(output)["peak_rss_mb"])


def child(reader: str, path: Path) -> None:
    READERS[reader](path)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_mb": peak_kb / 1024}))


def table_us_per_row(path: Path, speeds: dict[str, float]) -> float:
    """``csv.reader``'s CPU microseconds per record of ``path``, from its measured MB/s."""
    records = bare_csv(path)
    return path.stat().st_size / 2**20 / speeds["bare-csv"] / records * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="base file size factor")
    parser.add_argument(
        "--stages", action="store_true", help="also print where the time of rows to facts goes"
    )
    parser.add_argument("--child", nargs=2, metavar=("READER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    base_mb = 10 * args.scale
    table_mb = 5 * args.scale
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        xml, xml10 = tmp / "orders.xml", tmp / "orders10.xml"
        table, table10 = tmp / "VBAP.csv", tmp / "VBAP10.csv"
        write_idocs(xml, base_mb)
        write_table(table, table_mb)
        print(f"python {sys.version.split()[0]}, lxml {etree.__version__}, {os.cpu_count()} CPUs")
        xml_mb, table_mb = xml.stat().st_size / 2**20, table.stat().st_size / 2**20
        print(f"IDoc XML {xml_mb:.1f} MB, table {table_mb:.1f} MB")
        speeds = throughputs(
            {
                name: table if name in TABLE_READERS else xml
                for name in READERS
                if name != "whole-tree"
            }
        )
        for name, speed in speeds.items():
            print(f"  {name:15} {speed:8.1f} MB/s")
        bare_xml, bare_tab = speeds["bare-iterparse"], speeds["bare-csv"]
        print(f"segment walker / bare iterparse: {speeds['segment-walker'] / bare_xml:.2f}x")
        print(f"IDoc adapter (to facts) / bare iterparse: {speeds['idoc-adapter'] / bare_xml:.2f}x")
        print(f"SDK tabular records / csv.reader: {speeds['sdk-records'] / bare_tab:.2f}x")
        print(f"SDK tabular Row objects / csv.reader: {speeds['sdk-rows'] / bare_tab:.2f}x")
        print(f"table adapter (to facts) / csv.reader: {speeds['table-adapter'] / bare_tab:.2f}x")
        ceiling = speeds["model-objects"] / bare_tab
        print(f"  ceiling, model objects alone (nothing parsed) / csv.reader: {ceiling:.2f}x")
        rejects = sum(isinstance(item, Reject) for item in SapTableAdapter().read(table))
        print(f"table rows rejected: {rejects} (the generated rows are all valid)")
        if args.stages:
            bare_us = table_us_per_row(table, speeds)
            print(f"rows to facts, CPU us per row (csv.reader: {bare_us:.2f}):")
            for step, micros in table_stages(table).items():
                print(f"  {step:20} {micros:6.2f}")
        write_idocs(xml10, base_mb * 10)
        write_table(table10, table_mb * 10)
        print("peak RSS, base file -> 10x file (separate processes):")
        for name, small, large in (
            ("whole-tree", xml, xml10),
            ("bare-iterparse", xml, xml10),
            ("idoc-adapter", xml, xml10),
            ("bare-csv", table, table10),
            ("table-adapter", table, table10),
        ):
            one, ten = peak_rss(name, small), peak_rss(name, large)
            print(f"  {name:15} {one:7.1f} MB -> {ten:7.1f} MB  ({ten / one:.2f}x)")


if __name__ == "__main__":
    main()
