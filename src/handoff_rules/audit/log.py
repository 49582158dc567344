"""The audit log: append-only JSON Lines, each record chained to the one before it.

Every decision is written with everything needed to make it again: the case
facts (so no export file is needed later), the pack name, version and digest,
the full text of each exception revision it used, the evaluation date and the
engine. Each line is the canonical JSON of one record and carries

- ``seq``: its position, 1, 2, 3 …;
- ``prev``: the SHA-256 of the previous line's bytes (64 zeros for the first);
- ``hash``: the SHA-256 of its own canonical JSON without ``hash``.

So an edited line no longer matches its own ``hash``, a deleted or moved line
breaks ``seq`` and ``prev``, and a line edited together with a recomputed
``hash`` breaks the next line's ``prev``. Cutting records off the *end* of a
file leaves a valid shorter chain; the head file beside the log
(``<log>.head``: last ``seq`` and line hash, replaced atomically after each
append) catches that, and can be copied elsewhere as an anchor.

The log is also where use bounds live: an exception's uses are the cases
whose logged decisions it waived (:meth:`AuditLog.use_ledger`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final

import attrs

from handoff_rules import __version__
from handoff_rules.audit.shape import record_problem
from handoff_rules.cases import Case
from handoff_rules.decision import Decision, PackIdentity, canonical_json
from handoff_rules.errors import AuditError as AuditError
from handoff_rules.model import Money
from handoff_rules.policy.exceptions import (
    ExceptionProblem,
    ExceptionRegister,
    ExceptionRevision,
    UseLedger,
)
from handoff_rules.policy.exceptions.enforcement import case_value

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

SCHEMA: Final = "handoff-rules/audit/1"
#: Which release wrote a record: replay names it when a decision comes out otherwise.
SOFTWARE: Final = f"handoff-rules {__version__}"
GENESIS: Final = "0" * 64
RECORD_FIELDS: Final = frozenset(
    {
        "schema",
        "seq",
        "prev",
        "hash",
        "case",
        "checkpoint",
        "at",
        "engine",
        "pack",
        "decision",
        "facts",
        "exceptions",
        "problems",
        "case_value",
    }
)


def line_hash(line: str) -> str:
    """SHA-256 of a line as stored (UTF-8, without its newline)."""
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON without its own ``hash`` field."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def _money_dict(money: Money | None) -> dict[str, str] | None:
    if money is None:
        return None
    return {"amount": str(money.amount), "currency": money.currency}


def used_revisions(decision: Decision, register: ExceptionRegister) -> list[ExceptionRevision]:
    """The exception revisions named by the decision's waived findings, from the register."""
    keys = sorted({f.exception for f in decision.findings if f.exception is not None})
    revisions = []
    for key in keys:
        exc_id, _, number = key.rpartition("@")
        try:
            revisions.append(register.history(exc_id).revision(int(number)))
        except (KeyError, ValueError) as exc:
            raise AuditError(
                f"decision {decision.case}/{decision.checkpoint} names exception {key}, "
                f"which the register does not hold: {exc}"
            ) from None
    return revisions


def build_record(
    decision: Decision,
    case: Case,
    pack: PackIdentity,
    register: ExceptionRegister,
    *,
    engine: str,
    problems: Iterable[ExceptionProblem] = (),
) -> dict[str, Any]:
    """The record body (without ``seq``, ``prev`` and ``hash``) for one decision."""
    if (pack.name, pack.version, pack.digest) != (
        decision.pack.name,
        decision.pack.version,
        decision.pack.digest,
    ):
        raise AuditError(
            f"decision {decision.case} was made with {decision.pack}, "
            f"not {pack.name}@{pack.version}"
        )
    if decision.case != case.id:
        raise AuditError(f"decision is for case {decision.case}, not {case.id}")
    return {
        "schema": SCHEMA,
        "software": SOFTWARE,
        "case": case.id,
        "checkpoint": decision.checkpoint.value,
        "at": decision.at.isoformat(),
        "engine": engine,
        "pack": decision.pack.to_dict(),
        "decision": decision.to_dict(),
        "facts": [fact.to_record() for fact in case.facts],
        "exceptions": [r.to_dict() for r in used_revisions(decision, register)],
        "problems": [p.to_dict() for p in problems],
        "case_value": _money_dict(case_value(case)),
        # only when there are some: a record without rejects keeps the shape it always had
        **({"rejects": [r.to_record() for r in case.rejects]} if case.rejects else {}),
    }


@attrs.frozen(slots=True)
class AuditProblem:
    """The first place where a log stops being the log that was written."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@attrs.frozen(slots=True)
class VerifyResult:
    records: int
    problem: AuditProblem | None = None
    #: whether a head file was there to check the end of the log against
    anchored: bool = True

    @property
    def ok(self) -> bool:
        return self.problem is None


def _head_path(path: Path) -> Path:
    return path.with_name(path.name + ".head")


def _last_line(handle: IO[bytes]) -> bytes | None:
    """The last complete line of a file, read backwards from its end."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    if end == 0:
        return None
    block = 4096
    data = b""
    position = end
    while position > 0:
        step = min(block, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
        stripped = data[:-1] if data.endswith(b"\n") else data
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return data[:-1] if data.endswith(b"\n") else data


class AuditLog:
    """An append-only, hash-chained decision log in one JSON Lines file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def append(
        self,
        decision: Decision,
        case: Case,
        pack: PackIdentity,
        register: ExceptionRegister,
        *,
        engine: str,
        problems: Iterable[ExceptionProblem] = (),
    ) -> dict[str, Any]:
        """Write one decision as the next record; returns the record written.

        Each call locks, writes, syncs to disk and updates the head file; for a
        run of many decisions use :meth:`session`, which does that once.
        """
        with self.session() as writer:
            return writer.append(decision, case, pack, register, engine=engine, problems=problems)

    def append_record(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.session() as writer:
            return writer.append_record(body)

    @contextmanager
    def session(self) -> Iterator[AuditWriter]:
        """Hold the log for a run: records are appended in order, synced once at the end."""
        with self._locked() as handle:
            last = _last_line(handle)
            if last is None:
                seq, prev = 0, GENESIS
            else:
                try:
                    seq = int(json.loads(last)["seq"])
                except (ValueError, KeyError, TypeError, RecursionError):
                    raise AuditError(
                        f"{self.path}: the last line is not an audit record; "
                        "run `handoff-rules audit verify` before appending"
                    ) from None
                prev = line_hash(last.decode("utf-8"))
            handle.seek(0, os.SEEK_END)
            writer = AuditWriter(handle, seq, prev)
            try:
                yield writer
            finally:
                handle.flush()
                os.fsync(handle.fileno())
                if writer.seq:
                    self._write_head(writer.seq, writer.prev)

    def _write_head(self, seq: int, last_hash: str) -> None:
        head = _head_path(self.path)
        temporary = head.with_name(head.name + ".tmp")
        temporary.write_text(canonical_json({"seq": seq, "hash": last_hash}) + "\n", "utf-8")
        temporary.replace(head)

    def lines(self) -> Iterator[tuple[int, str]]:
        try:
            with self.path.open(encoding="utf-8", newline="\n") as handle:
                for number, line in enumerate(handle, start=1):
                    yield number, line.removesuffix("\n")
        except FileNotFoundError:
            raise AuditError(f"{self.path}: no such audit log") from None
        except UnicodeDecodeError as exc:
            raise AuditError(f"{self.path}: not UTF-8 text ({exc.reason})") from None

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every record with its line number; a line that is not a record is an error.

        Each record is checked against the shape its readers rely on
        (``handoff_rules.audit.shape``): a log can verify and still hold
        a record that was edited and re-hashed.
        """
        for number, line in self.lines():
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                raise AuditError(
                    f"{self.path}:{number}: not a JSON record (run `handoff-rules audit verify`)"
                ) from None
            if not isinstance(record, dict) or not set(record) >= RECORD_FIELDS:
                raise AuditError(
                    f"{self.path}:{number}: not an audit record (run `handoff-rules audit verify`)"
                )
            problem = record_problem(record)
            if problem is not None:
                raise AuditError(f"{self.path}:{number}: not an audit record: {problem}")
            yield number, record

    def verify(self) -> VerifyResult:
        """Check the chain; the result names the first line that is not as written."""
        return verify_lines(self.lines(), _read_head(_head_path(self.path)))

    def use_ledger(self) -> UseLedger:
        """The cases each exception waived, as recorded: the state behind use bounds."""
        ledger = UseLedger()
        if not self.path.exists():
            return ledger
        for _number, record in self.records():
            record_uses(ledger, record)
        return ledger


class AuditWriter:
    """Appends records to an open, locked log (see :meth:`AuditLog.session`)."""

    def __init__(self, handle: IO[bytes], seq: int, prev: str) -> None:
        self._handle = handle
        self.seq = seq
        self.prev = prev

    def append(
        self,
        decision: Decision,
        case: Case,
        pack: PackIdentity,
        register: ExceptionRegister,
        *,
        engine: str,
        problems: Iterable[ExceptionProblem] = (),
    ) -> dict[str, Any]:
        return self.append_record(
            build_record(decision, case, pack, register, engine=engine, problems=problems)
        )

    def append_record(self, body: dict[str, Any]) -> dict[str, Any]:
        record = {**body, "seq": self.seq + 1, "prev": self.prev}
        record["hash"] = record_hash(record)
        line = canonical_json(record)
        self._handle.write(line.encode("utf-8") + b"\n")
        self.seq += 1
        self.prev = line_hash(line)
        return record


def record_uses(ledger: UseLedger, record: dict[str, Any]) -> None:
    """Add the uses one logged decision made to a ledger."""
    value = record.get("case_value")
    money = Money(value["amount"], value["currency"]) if value else None
    for finding in record["decision"]["findings"]:
        key = finding.get("exception")
        if key:
            ledger.record(key.rpartition("@")[0], record["case"], money)


def _read_head(path: Path) -> dict[str, Any] | None:
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {"invalid": True}
    return head if isinstance(head, dict) else {"invalid": True}


def verify_lines(lines: Iterable[tuple[int, str]], head: dict[str, Any] | None) -> VerifyResult:
    """The chain check behind :meth:`AuditLog.verify`, over (line number, text) pairs."""
    prev = GENESIS
    count = 0
    last_line = 0
    for number, line in lines:
        last_line = number
        expected_seq = count + 1
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            return VerifyResult(count, AuditProblem(number, "not valid JSON: edited or truncated"))
        if not isinstance(record, dict) or not {"seq", "prev", "hash"} <= set(record):
            return VerifyResult(count, AuditProblem(number, "not an audit record: edited"))
        try:
            written = canonical_json(record)
        except (ValueError, RecursionError):  # JSON that no writer of the log writes back
            written = None
        if written != line:
            return VerifyResult(
                count, AuditProblem(number, "edited: the line is not the JSON that was written")
            )
        if record["hash"] != record_hash(record):
            return VerifyResult(
                count, AuditProblem(number, "edited: its content does not match its hash")
            )
        seq = record["seq"]
        if seq != expected_seq:
            if isinstance(seq, int) and not isinstance(seq, bool) and seq > expected_seq:
                missing = (
                    f"record {expected_seq} is"
                    if seq == expected_seq + 1
                    else f"records {expected_seq}-{seq - 1} are"
                )
                message = f"{missing} missing before this line (deleted or moved)"
            else:
                message = f"holds record {seq} where record {expected_seq} belongs (reordered)"
            return VerifyResult(count, AuditProblem(number, message))
        if record["prev"] != prev:
            return VerifyResult(
                count,
                AuditProblem(
                    number - 1,
                    f"edited: line {number} recorded another hash for it "
                    "(its content and hash were both rewritten)",
                ),
            )
        prev = line_hash(line)
        count += 1
    if head is not None:
        if head.get("invalid") or not isinstance(head.get("seq"), int):
            return VerifyResult(count, AuditProblem(last_line, "the head file is damaged"))
        if head["seq"] > count:
            missing = head["seq"] - count
            return VerifyResult(
                count,
                AuditProblem(
                    last_line + 1,
                    f"{missing} record(s) missing at the end: the head file says the log "
                    f"has {head['seq']} records, the file holds {count} (deleted)",
                ),
            )
        if head["seq"] == count and head.get("hash") != prev:
            return VerifyResult(
                count, AuditProblem(last_line, "edited: the last line does not match the head file")
            )
    return VerifyResult(count, anchored=head is not None)
