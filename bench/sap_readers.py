"""Throughput and memory of the SAP readers, against the bare parsers they build on.

Run: ``python bench/sap_readers.py`` (``--scale 0.2`` for a quick look).

In one run it generates an ORDERS05 IDoc XML file and a VBAP-style extract,
then measures, best of three rounds in which the readers take turns:

- MB/s of ``SapIdocAdapter().read`` (IDocs to facts) and of its segment walker
  alone, against a bare ``lxml.etree.iterparse`` loop over the same file that
  only frees each IDOC element when it ends (the least any streaming reader does);
- MB/s of ``SapTableAdapter().read`` (rows to facts) against ``csv.reader``
  iterating the same file;
- peak RSS of each reader on the base file and on a file ten times larger,
  each in its own subprocess so the peaks do not mix.

The ratios are printed; the adapters' target is >= 0.5x the bare parser for the
IDoc segment walker and a flat RSS from 1x to 10x.
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
from pathlib import Path

from handoff_rules_sap import SapIdocAdapter, SapTableAdapter
from handoff_rules_sap.idoc_xml import iter_idocs
from lxml import etree

from handoff_rules.adapters.tabular import open_table

ITEMS_PER_IDOC = 10
TABLE_READERS = ("bare-csv", "sdk-rows", "table-adapter")


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


def write_table(path: Path, megabytes: float) -> None:
    target = int(megabytes * 1024 * 1024)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("VBELN;POSNR;MATNR;ARKTX;KWMENG;VRKME;NETWR;WAERK;PSTYV\n")
        written, number = 0, 0
        while written < target:
            number += 1
            sign = "-" if number % 17 == 0 else ""
            written += out.write(
                f"{number // 10:010d};{(number % 10 + 1) * 10:06d};{100000 + number % 500:018d};"
                f"Material {number % 500};{number % 90 + 1},000;ST;"
                f"{number % 9000 + 1}.{number % 1000:03d},{number % 100:02d}{sign};EUR;TAN\n"
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


def sdk_rows(path: Path) -> int:
    """The SDK's tabular reader alone: rows with line numbers, no values parsed."""
    with open_table(path) as (reader, _encoding):
        return sum(1 for _ in reader)


def table_adapter(path: Path) -> int:
    return sum(1 for _ in SapTableAdapter().read(path))


READERS: dict[str, Callable[[Path], int]] = {
    "bare-iterparse": bare_iterparse,
    "whole-tree": whole_tree,
    "segment-walker": segment_walker,
    "idoc-adapter": idoc_adapter,
    "bare-csv": bare_csv,
    "sdk-rows": sdk_rows,
    "table-adapter": table_adapter,
}


def throughputs(files: dict[str, Path], rounds: int = 3) -> dict[str, float]:
    """MB/s of every reader, best of ``rounds``; the readers take turns within each round,
    so a slower phase of a shared machine hits all of them alike."""
    best = dict.fromkeys(files, float("inf"))
    for _ in range(rounds):
        for name, path in files.items():
            start = time.perf_counter()
            READERS[name](path)
            best[name] = min(best[name], time.perf_counter() - start)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="base file size factor")
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
        print(f"SDK tabular rows / csv.reader: {speeds['sdk-rows'] / bare_tab:.2f}x")
        print(f"table adapter (to facts) / csv.reader: {speeds['table-adapter'] / bare_tab:.2f}x")
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
