"""Zip and gzip archives of exports, read like the files in them, and hostile ones refused.

A back office mails a month of SE16N downloads as ``exports.zip`` and keeps a
big table as ``VBFA.txt.gz``: every command reads them as it reads a folder
or a file, each record naming ``ARCHIVE!MEMBER``, and an archive built to
escape its folder, fill the disk or hide its content is refused with one
line naming the archive and the member. No extracted file outlives a read.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import handoff_rules
from handoff_rules.adapters import Fact, FormatInfo, Reject, Sample, SniffResult
from handoff_rules.adapters.archives import (
    ENV_MAX_BYTES,
    ENV_MAX_MEMBERS,
    ENV_MAX_RATIO,
    ArchiveKind,
    Limits,
    _name_problem,
    archive_kind,
    extracted,
)
from handoff_rules.adapters.registry import read_files
from handoff_rules.errors import InputError, InternalError, UsageError
from handoff_rules.facts import Provenance

#: The ``cli`` fixture (tests/conftest.py): exit status, stdout, stderr.
CliRun = Callable[..., tuple[int, str, str]]

ROOT = Path(__file__).parents[1]
SAP = ROOT / "plugins" / "handoff-rules-sap" / "tests" / "data"
SAP_FILES = ("VBAK.csv", "VBAP.tsv", "LIKP.csv", "VBFA.csv", "VBPA.txt", "KNA1.csv", "BSID.csv")
NATIVE = ROOT / "examples" / "exports"
CRM = ROOT / "plugins" / "handoff-rules-crm" / "tests" / "data" / "e2e"
O2C = ROOT / "examples" / "o2c" / "exports"
PREFIX = "handoff-rules-archive-"


@pytest.fixture(autouse=True)
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Archives are extracted into a temporary folder of this test's own, checked empty after."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(tmp_path)
    yield scratch
    assert sorted(p.name for p in scratch.glob(f"{PREFIX}*")) == []


def make_zip(path: Path, members: Mapping[str, bytes | zipfile.ZipInfo]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data if isinstance(data, bytes) else b"")
    return path


def sap_members(folder: str = "sap") -> dict[str, bytes]:
    return {f"{folder}/{name}": (SAP / name).read_bytes() for name in SAP_FILES}


def native_members(folder: str = "native/") -> dict[str, bytes]:
    return {f"{folder}{p.name}": p.read_bytes() for p in sorted(NATIVE.iterdir())}


def unpacked(tmp_path: Path, members: Mapping[str, bytes]) -> Path:
    """The members written as plain files under a folder, as a user would unzip them."""
    root = tmp_path / "plain"
    for name, data in members.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def sourceless(item: Fact | Reject) -> Fact | Reject:
    return attrs.evolve(item, provenance=attrs.evolve(item.provenance, source="-"))


def one_line_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


# -- reading --------------------------------------------------------------------------------


def test_a_zip_reads_the_same_facts_and_rejects_as_its_files(tmp_path: Path) -> None:
    members = {**native_members(), **sap_members()}
    plain = unpacked(tmp_path, members)
    archive = make_zip(tmp_path / "exports.zip", members)

    from_files = handoff_rules.read_files([plain / "native", plain / "sap"])
    from_zip = handoff_rules.read_files([archive])

    assert len(from_zip.facts) > 20
    assert len(from_zip.rejects) >= 6
    assert [sourceless(f) for f in from_zip.facts] == [sourceless(f) for f in from_files.facts]
    assert [sourceless(r) for r in from_zip.rejects] == [sourceless(r) for r in from_files.rejects]
    assert from_zip.skipped == ()
    assert from_zip.errors == ()
    assert [name for name, _ in from_zip.formats] == [name for name, _ in from_files.formats]
    sources = {i.provenance.source for i in (*from_zip.facts, *from_zip.rejects)}
    assert sources == {f"{archive}!{name}" for name in members}


def test_read_jsonl_names_archive_and_member(tmp_path: Path, cli: CliRun) -> None:
    make_zip(tmp_path / "exports.zip", sap_members())
    code, out, err = cli("read", "--format", "jsonl", "exports.zip")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    body = [r for r in records if r["record"] != "summary"]
    assert {r["provenance"]["source"] for r in body} == {f"exports.zip!sap/{n}" for n in SAP_FILES}
    vbak = [r for r in body if r["provenance"]["source"] == "exports.zip!sap/VBAK.csv"]
    provenance = Provenance.from_dict(
        next(r for r in vbak if r["record"] == "reject")["provenance"]
    )
    assert str(provenance) == "exports.zip!sap/VBAK.csv: line 5"
    assert records[-1]["errors"] == []
    assert records[-1]["skipped"] == []


def test_read_table_names_each_member(tmp_path: Path, cli: CliRun) -> None:
    make_zip(tmp_path / "exports.zip", sap_members())
    code, out, err = cli("read", "exports.zip")
    assert code == 0, err
    assert "exports.zip!sap/VBFA.csv" in out
    assert "exports.zip!sap/VBAK.csv" in out


def test_check_decides_from_a_zip_as_from_its_folder(tmp_path: Path, cli: CliRun) -> None:
    make_zip(tmp_path / "o2c.zip", {p.name: p.read_bytes() for p in sorted(O2C.iterdir())})
    args = ("--at", "2024-06-14", "--engine", "reference", "--format", "json")
    code_zip, out_zip, err = cli("check", "o2c.zip", *args)
    code_dir, out_dir, _ = cli("check", str(O2C), *args)
    assert (code_zip, code_dir) == (1, 1), err
    outcomes = [
        {(d["case"], d["checkpoint"]): d["outcome"] for d in json.loads(out)["decisions"]}
        for out in (out_zip, out_dir)
    ]
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0]) == 25
    assert '"source":"o2c.zip!document-register.xlsx"' in out_zip


def test_a_gzip_is_the_file_named_without_gz(tmp_path: Path, cli: CliRun) -> None:
    """SAP tables are recognised by their name: ``VBAK.csv.gz`` holds ``VBAK.csv``."""
    (tmp_path / "VBAK.csv.gz").write_bytes(gzip.compress((SAP / "VBAK.csv").read_bytes()))
    plain = handoff_rules.read_files([SAP / "VBAK.csv"])
    packed = handoff_rules.read_files([tmp_path / "VBAK.csv.gz"])
    assert [sourceless(f) for f in packed.facts] == [sourceless(f) for f in plain.facts]
    assert [sourceless(r) for r in packed.rejects] == [sourceless(r) for r in plain.rejects]
    assert {f.provenance.source for f in packed.facts} == {f"{tmp_path}/VBAK.csv.gz!VBAK.csv"}

    code, out, err = cli("read", "--format", "jsonl", "VBAK.csv.gz")
    assert code == 0, err
    assert json.loads(out.splitlines()[0])["provenance"]["source"] == "VBAK.csv.gz!VBAK.csv"


def test_archives_are_told_by_their_bytes_not_their_name(tmp_path: Path) -> None:
    disguised = make_zip(tmp_path / "exports.bin", sap_members())
    (tmp_path / "table").write_bytes(gzip.compress(b"x"))
    assert archive_kind(disguised) is ArchiveKind.ZIP
    assert archive_kind(tmp_path / "table") is ArchiveKind.GZIP
    assert archive_kind(SAP / "VBAK.csv") is None
    read = handoff_rules.read_files([disguised])
    assert len(read.facts) > 10
    assert read.skipped == ()
    # a gzip under an export's own name is still opened: no export format is gzip
    (tmp_path / "VBAK.csv").write_bytes(gzip.compress(VBAK))
    read = handoff_rules.read_files([tmp_path / "VBAK.csv"])
    assert {f.provenance.source for f in read.facts} == {f"{tmp_path}/VBAK.csv!VBAK.csv"}


def test_a_gzip_named_on_its_own_must_hold_a_readable_file(tmp_path: Path, cli: CliRun) -> None:
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(b"just some notes\n"))
    code, _out, err = cli("read", "notes.txt.gz")
    assert code == 2
    assert one_line_error(err).startswith("error: notes.txt.gz!notes.txt: no adapter recognises")
    # in a folder, it is skipped like any other file no adapter recognises
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.move(tmp_path / "notes.txt.gz", folder / "notes.txt.gz")
    shutil.copy(SAP / "KNA1.csv", folder / "KNA1.csv")
    read = handoff_rules.read_files([folder])
    assert [s.source for s in read.skipped] == [f"{folder}/notes.txt.gz!notes.txt"]
    assert len(read.facts) == 4


def test_the_default_limits() -> None:
    assert Limits.from_environment({}) == Limits(
        max_bytes=2 * 1024**3, max_ratio=200, ratio_after=1024**2, max_members=10_000
    )
    assert Limits.from_environment({ENV_MAX_BYTES: "5_000"}).max_bytes == 5_000


def test_members_in_folders_with_an_options_file_beside_them(tmp_path: Path) -> None:
    """The CRM adapters read ``handoff-rules-crm.toml`` beside an export: inside an
    archive too, and the options file is no input of its own."""
    opportunities = (CRM / "Opportunity.csv").read_bytes()
    options = b'[crm]\ndate_formats = ["%d.%m.%Y"]\n'
    plain = make_zip(tmp_path / "plain.zip", {"crm/deep/Opportunity.csv": opportunities})
    configured = make_zip(
        tmp_path / "configured.zip",
        {
            "crm/deep/Opportunity.csv": opportunities,
            "crm/deep/handoff-rules-crm.toml": options,
        },
    )
    default = handoff_rules.read_files([plain])
    with_options = handoff_rules.read_files([configured])
    assert default.rejects == ()
    assert default.facts
    # ISO close dates no longer read under the configured date format
    assert with_options.rejects
    assert all("CloseDate" in r.reason for r in with_options.rejects)
    assert with_options.skipped == ()
    assert {r.provenance.source for r in with_options.rejects} == {
        f"{configured}!crm/deep/Opportunity.csv"
    }


def test_a_broken_options_file_is_named_as_a_member(tmp_path: Path, cli: CliRun) -> None:
    make_zip(
        tmp_path / "crm.zip",
        {
            "crm/Opportunity.csv": (CRM / "Opportunity.csv").read_bytes(),
            "crm/handoff-rules-crm.toml": b"[crm]\nno_such_option = 1\n",
        },
    )
    code, _out, err = cli("read", "crm.zip")
    assert code == 2
    line = one_line_error(err)
    assert line.startswith("error: crm.zip!crm/handoff-rules-crm.toml: unknown CRM option")
    assert PREFIX not in err


def test_a_member_no_adapter_recognises_is_skipped_or_with_strict_refused(
    tmp_path: Path, cli: CliRun
) -> None:
    make_zip(
        tmp_path / "exports.zip",
        {**native_members(""), "README.md": b"# June\n", ".hidden": b"x", "__MACOSX/._a": b"x"},
    )
    read = handoff_rules.read_files([tmp_path / "exports.zip"])
    assert [(s.source, s.reason.split(" (")[0]) for s in read.skipped] == [
        (f"{tmp_path}/exports.zip!README.md", "no adapter recognises this file")
    ]
    args = ("--at", "2024-06-04", "--engine", "reference")
    code, _out, err = cli("check", "exports.zip", *args)
    assert code == 1, err  # order 4712 blocks at H3, as read from the folder
    assert "warning: exports.zip!README.md: no adapter recognises this file" in err
    code, _out, err = cli("check", "exports.zip", "--strict", *args)
    assert code == 2
    assert one_line_error(err).startswith(
        "error: exports.zip!README.md: no adapter recognises this file"
    )


def test_a_member_that_fails_as_a_whole_is_named_not_its_temporary_file(
    tmp_path: Path, cli: CliRun
) -> None:
    broken = b"handoff-rules-facts: 1\nfacts: [\n  - {type: order\n"
    make_zip(tmp_path / "exports.zip", {"native/orders.yaml": broken})
    code, _out, err = cli("read", "exports.zip")
    assert code == 2
    assert one_line_error(err).startswith("error: exports.zip!native/orders.yaml:line 3: not valid")
    assert PREFIX not in err


def test_an_xlsx_is_a_workbook_not_an_archive(tmp_path: Path, cli: CliRun) -> None:
    """An xlsx is a zip: the register adapter claims it; one nobody claims stays unrecognised."""
    read = handoff_rules.read_files([O2C / "document-register.xlsx"])
    assert read.facts
    assert not read.facts[0].provenance.source.count("!")
    with zipfile.ZipFile(O2C / "document-register.xlsx") as book:
        parts = {name: book.read(name) for name in book.namelist()}
    parts = {n: d for n, d in parts.items() if not n.startswith("xl/worksheets")}
    make_zip(tmp_path / "notes.xlsx", parts)
    code, _out, err = cli("read", "notes.xlsx")
    assert code == 2
    assert one_line_error(err).startswith("error: notes.xlsx: no adapter recognises this file")
    # no adapter declares .docx: an office document is still not a folder of XML parts
    make_zip(
        tmp_path / "notes.docx",
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"},
    )
    code, _out, err = cli("read", "notes.docx")
    assert code == 2
    assert one_line_error(err).startswith("error: notes.docx: no adapter recognises this file")


def test_pack_needs_sees_the_formats_inside_an_archive(tmp_path: Path, cli: CliRun) -> None:
    make_zip(tmp_path / "exports.zip", sap_members())
    code, out, err = cli("pack", "needs", "exports.zip", "--format", "json")
    assert code == 0, err
    assert "sap-table (vbak)" in json.loads(out)["formats"]


def test_extracted_files_are_removed_when_reading_fails(tmp_path: Path, scratch: Path) -> None:
    class Boom(Exception):
        pass

    archive = make_zip(tmp_path / "exports.zip", sap_members())
    seen: list[Path] = []

    def read_and_fail() -> None:
        with extracted(archive, ArchiveKind.ZIP, shown="exports.zip") as got:
            seen.append(got.root)
            assert (got.root / "sap" / "VBAK.csv").is_file()
            raise Boom

    with pytest.raises(Boom):
        read_and_fail()
    assert seen[0].parent == scratch
    assert not seen[0].exists()


# -- refusals -------------------------------------------------------------------------------


def _symlink() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("sap/VBAK.csv")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _encrypted(path: Path) -> None:
    """Set the "encrypted" flag of every member, in local and central headers."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + offset] |= 0x01
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def _zip_with_infos(path: Path, infos: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in infos:
            archive.writestr(info, data)
    return path


VBAK = (SAP / "VBAK.csv").read_bytes()
ZEROS = bytes(16 * 1024 * 1024)  # deflates to some 16 kB: a ratio of about 1,000


@pytest.mark.parametrize(
    ("name", "member", "why"),
    [
        ("traversal", "../../evil/VBAK.csv", "climbs out of the archive's folder"),
        ("absolute", "/etc/VBAK.csv", "is an absolute path"),
        ("drive", "C:/Windows/VBAK.csv", "starts with a drive letter"),
        ("backslash", "..\\..\\VBAK.csv", "holds a backslash"),
        ("inner-dots", "sap/../../VBAK.csv", "climbs out"),
        ("control", "sap/VB\x01AK.csv", "holds a control or invisible formatting character"),
        ("bidi", "sap/\u202evsc.KABV", "holds a control or invisible formatting character"),
        ("dot", "./VBAK.csv", "has an empty or '.' folder"),
        ("double-slash", "sap//VBAK.csv", "has an empty or '.' folder"),
    ],
)
def test_a_member_name_leaving_the_folder_refuses_the_archive(
    tmp_path: Path, cli: CliRun, name: str, member: str, why: str
) -> None:
    _zip_with_infos(tmp_path / "bad.zip", [("sap/KNA1.csv", VBAK), (member, VBAK)])
    code, out, err = cli("read", "--format", "jsonl", "bad.zip")
    assert code == 2
    line = one_line_error(err)
    shown = member.replace("\x01", "\\x01").replace("\u202e", "\\u202e")
    assert line.startswith(f"error: bad.zip!{shown}: refused: ")
    assert why in line
    # the whole archive is refused: not even its good member is read
    assert json.loads(out.splitlines()[-1])["facts"] == {}
    assert not (tmp_path.parent / "evil").exists()


@pytest.mark.parametrize(
    ("build", "member", "why"),
    [
        ("symlink", "sap/VBAK.csv", "the member is a symbolic link"),
        ("encrypted", "sap/VBAK.csv", "the member is encrypted"),
        ("device", "sap/VBAK.csv", "the member is not a plain file or folder"),
        ("twice", "sap/VBAK.csv", "the archive holds two members of this name"),
        ("file-and-folder", "sap", "the archive holds a file and a folder of this name"),
    ],
)
def test_links_encrypted_and_ambiguous_members_refuse_the_archive(
    tmp_path: Path, cli: CliRun, build: str, member: str, why: str
) -> None:
    path = tmp_path / "bad.zip"
    if build == "symlink":
        _zip_with_infos(path, [(_symlink(), b"/etc/passwd")])
    elif build == "device":
        device = zipfile.ZipInfo("sap/VBAK.csv")
        device.create_system = 3
        device.external_attr = (stat.S_IFCHR | 0o666) << 16
        _zip_with_infos(path, [(device, b"")])
    elif build == "encrypted":
        _zip_with_infos(path, [("sap/VBAK.csv", VBAK)])
        _encrypted(path)
    elif build == "twice":
        with pytest.warns(UserWarning, match="Duplicate name"):
            _zip_with_infos(path, [("sap/VBAK.csv", VBAK), ("sap/VBAK.csv", b"x")])
    else:
        _zip_with_infos(path, [("sap", b"x"), ("sap/VBAK.csv", VBAK)])
    code, _out, err = cli("read", "bad.zip")
    assert code == 2
    assert one_line_error(err) == f"error: bad.zip!{member}: refused: {why}"


def test_a_zip_bomb_is_refused_by_the_bytes_it_writes(
    tmp_path: Path, cli: CliRun, scratch: Path
) -> None:
    path = _zip_with_infos(tmp_path / "bomb.zip", [("sap/VBAK.csv", VBAK), ("zeros.txt", ZEROS)])
    assert path.stat().st_size < 100_000
    code, _out, err = cli("read", "bomb.zip")
    assert code == 2
    line = one_line_error(err)
    assert line.startswith("error: bomb.zip!zeros.txt: refused: ")
    assert "more than 200 times (a zip bomb?" in line
    assert ENV_MAX_RATIO in line


def test_a_header_that_understates_the_size_does_not_help(tmp_path: Path) -> None:
    """The central directory claims 1 kB uncompressed: extraction stops there and the
    member fails its checksum, so the claim can neither hide the size nor pass as data."""
    path = _zip_with_infos(tmp_path / "liar.zip", [("zeros.txt", ZEROS)])
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = (1024).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"liar.zip!zeros.txt: cannot be extracted: Bad CRC"):
        read_files([path], [])


def test_a_gzip_bomb_is_refused(tmp_path: Path, cli: CliRun) -> None:
    (tmp_path / "VBFA.txt.gz").write_bytes(gzip.compress(ZEROS))
    code, _out, err = cli("read", "VBFA.txt.gz")
    assert code == 2
    assert one_line_error(err).startswith("error: VBFA.txt.gz!VBFA.txt: refused: ")


def test_the_total_size_is_bounded(
    tmp_path: Path, cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_zip(tmp_path / "exports.zip", sap_members())
    monkeypatch.setenv(ENV_MAX_BYTES, "1000")
    code, _out, err = cli("read", "exports.zip")
    assert code == 2
    line = one_line_error(err)
    assert line.startswith("error: exports.zip!sap/")
    assert (
        f"refused: the archive expands beyond 1,000 bytes (raise it with {ENV_MAX_BYTES})" in line
    )
    monkeypatch.setenv(ENV_MAX_BYTES, "1_000_000")
    assert cli("read", "exports.zip")[0] == 0


def test_the_number_of_members_is_bounded(
    tmp_path: Path, cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_zip(tmp_path / "many.zip", {f"m/{i}.txt": b"" for i in range(Limits().max_members + 1)})
    code, _out, err = cli("read", "many.zip")
    assert code == 2
    assert one_line_error(err) == (
        "error: many.zip: refused: 10,001 members, more than the 10,000 an archive may hold "
        f"(raise it with {ENV_MAX_MEMBERS})"
    )
    make_zip(tmp_path / "few.zip", sap_members())
    monkeypatch.setenv(ENV_MAX_MEMBERS, str(len(SAP_FILES) - 1))
    assert cli("read", "few.zip")[0] == 2
    monkeypatch.setenv(ENV_MAX_MEMBERS, str(len(SAP_FILES)))
    assert cli("read", "few.zip")[0] == 0


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_a_bad_limit_in_the_environment_is_a_usage_error(
    tmp_path: Path, cli: CliRun, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    make_zip(tmp_path / "exports.zip", sap_members())
    monkeypatch.setenv(ENV_MAX_RATIO, value)
    with pytest.raises(UsageError, match=ENV_MAX_RATIO):
        Limits.from_environment()
    code, _out, err = cli("read", "exports.zip")
    assert code == 2
    assert ENV_MAX_RATIO in one_line_error(err)


def test_an_archive_inside_an_archive_is_not_opened(tmp_path: Path, cli: CliRun) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("VBAK.csv", VBAK)
    make_zip(
        tmp_path / "outer.zip",
        {
            "sap/KNA1.csv": (SAP / "KNA1.csv").read_bytes(),
            "inner.zip": inner.getvalue(),
            "VBAK.csv.gz": gzip.compress(VBAK),
        },
    )
    code, out, err = cli("read", "--format", "jsonl", "outer.zip")
    assert code == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["facts"] == {"counterparty": 4}
    reason = "an archive inside an archive is not opened"
    assert summary["skipped"] == [
        {"file": "outer.zip!VBAK.csv.gz", "reason": reason},
        {"file": "outer.zip!inner.zip", "reason": reason},
    ]
    assert f"warning: outer.zip!inner.zip: {reason}; skipped" in err


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 this is not really a zip", "error: broken.zip: not a readable zip archive"),
        (b"PK\x05\x06" + bytes(18), "error: broken.zip: the archive has no files to read"),
    ],
)
def test_a_corrupt_zip_is_an_input_error(
    tmp_path: Path, cli: CliRun, data: bytes, message: str
) -> None:
    (tmp_path / "broken.zip").write_bytes(data)
    code, _out, err = cli("read", "broken.zip")
    assert code == 2
    assert one_line_error(err).startswith(message)


def test_a_truncated_zip_is_an_input_error(tmp_path: Path, cli: CliRun) -> None:
    whole = make_zip(tmp_path / "whole.zip", sap_members()).read_bytes()
    (tmp_path / "cut.zip").write_bytes(whole[: len(whole) // 2])
    code, _out, err = cli("read", "cut.zip")
    assert code == 2
    assert one_line_error(err).startswith("error: cut.zip: not a readable zip archive")


def test_a_truncated_gzip_is_an_input_error(tmp_path: Path, cli: CliRun) -> None:
    whole = gzip.compress(VBAK * 50)
    (tmp_path / "VBAK.csv.gz").write_bytes(whole[: len(whole) // 2])
    code, _out, err = cli("read", "VBAK.csv.gz", "--format", "jsonl")
    assert code == 2
    assert one_line_error(err).startswith("error: VBAK.csv.gz: not a readable gzip file: truncated")


def test_a_refused_archive_does_not_stop_the_other_inputs(tmp_path: Path, cli: CliRun) -> None:
    _zip_with_infos(tmp_path / "bad.zip", [("../VBAK.csv", VBAK)])
    shutil.copy(SAP / "KNA1.csv", tmp_path / "KNA1.csv")
    code, out, _err = cli("read", "--format", "jsonl", "bad.zip", "KNA1.csv")
    assert code == 2
    summary = json.loads(out.splitlines()[-1])
    assert summary["facts"] == {"counterparty": 4}
    assert summary["errors"] == [
        "bad.zip!../VBAK.csv: refused: the member's name climbs out of the archive's folder (..)"
    ]


# -- the name check, for any name -----------------------------------------------------------


@given(st.text(alphabet=st.sampled_from("ab./\\:C\x00 "), max_size=12))
def test_an_accepted_member_name_stays_inside_the_folder(name: str) -> None:
    if _name_problem(name) is not None:
        return
    root = Path("/extract/root")
    target = PurePosixPath(root.as_posix(), *name.rstrip("/").split("/"))
    parts = target.parts
    assert parts[: len(root.parts)] == root.parts
    assert ".." not in parts
    assert len(parts) > len(root.parts)


# -- a forced adapter -------------------------------------------------------------------------


class _ZipReader:
    """An adapter of a zip-based format: the archive is its file, not a folder."""

    name = "zip-format"
    version = "1"
    formats = (FormatInfo("zip-format", "a format that is a zip", (".zf",)),)

    def sniff(self, sample: Sample) -> SniffResult | None:
        return SniffResult("zip-format", 0.9) if sample.path.suffix == ".zf" else None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        yield Reject("read as one file", Provenance(self.name, str(path), "whole file"))


def test_an_adapter_that_claims_a_zip_reads_it_as_its_file(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "data.zf", sap_members())
    read = read_files([archive], [_ZipReader()])
    assert [r.provenance.source for r in read.rejects] == [str(archive)]
    read = read_files([archive], [_ZipReader()], adapter_name="zip-format")
    assert [r.provenance.source for r in read.rejects] == [str(archive)]
    plain = make_zip(tmp_path / "data.zip", {"a.zf": b"x"})
    read = read_files([plain], [_ZipReader()])
    assert [r.provenance.source for r in read.rejects] == [f"{plain}!a.zf"]


class _Crashing:
    """An adapter with a bug: its failure names the member, not a temporary file."""

    name = "crashing"
    version = "1"
    formats = (FormatInfo("crashing", "crashes on read", (".crash",)),)

    def sniff(self, sample: Sample) -> SniffResult | None:
        return SniffResult("crashing", 0.9) if sample.path.suffix == ".crash" else None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        raise RuntimeError(f"cannot cope with {path}")


def test_an_adapter_failing_on_a_member_names_the_member(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "data.zip", {"in/a.crash": b"x"})
    with pytest.raises(InternalError) as failure:
        read_files([archive], [_Crashing()])
    message = str(failure.value)
    assert f"failed reading {archive}!in/a.crash: RuntimeError: cannot cope with " in message
    assert message.endswith(f"{archive}!in/a.crash")
    assert PREFIX not in message
