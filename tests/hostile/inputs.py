"""One generator per command that takes a file: the files it gets and its arguments.

A :class:`HostileInput` is self-contained: files by relative path and the
argument list with ``{dir}`` standing for the folder they are written to, so
a failure can be written out as a reproducer and run again by hand.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Callable
from random import Random
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from . import hostile_values as hv
from . import seeds
from .formats import YAML_NODES, CountBy, export_file, json_or_none
from .mutations import cap, mutate_bytes
from .trees import dump_json, dump_yaml, edit_tree, load_yaml

#: The installed default pack, read from its folder: a name would make ``check``
#: load every installed pack to find it.
PACK: Final = str(seeds.PACK_DIR)
Files = tuple[tuple[str, bytes], ...]


@attrs.frozen
class HostileInput:
    entry: str
    files: Files
    argv: tuple[str, ...]
    labels: tuple[str, ...] = ()
    #: input records of the file ``read --format jsonl`` gets, when the generator knows them
    records: int | None = None
    count_by: CountBy = "items"

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        sizes = ", ".join(f"{name} ({len(data)} bytes)" for name, data in self.files)
        return f"HostileInput({self.entry!r}, argv={self.argv}, labels={self.labels}, {sizes})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints attrs classes field by field (kilobytes of file content):
        the short form above keeps a failing example readable, and under
        ``filterwarnings = error`` keeps its "overly large repr" warning from hiding it."""
        printer.text(repr(self))


# -- read and check --------------------------------------------------------------------------


def read_input(rnd: Random) -> HostileInput:
    fmt, sample = export_file(rnd)
    name = f"input/{sample.name}"
    if rnd.random() < 0.1:  # the table for people, now and then
        return HostileInput("read", ((name, sample.data),), ("read", f"{{dir}}/{name}"), (fmt,))
    argv = ("read", "--format", "jsonl", f"{{dir}}/{name}")
    labels = (fmt, *sample.labels)
    return HostileInput(
        "read", ((name, sample.data),), argv, labels, sample.records, sample.count_by
    )


def check_input(rnd: Random) -> HostileInput:
    fmt, sample = export_file(rnd)
    files = [(f"input/{sample.name}", sample.data)]
    if rnd.random() < 0.5:  # with the rest of the example exports, so cases have their facts
        for path in (*seeds.NATIVE_CSV[:1], *seeds.NATIVE_YAML[:2]):
            if path.name != sample.name:
                files.append((f"input/{path.name}", path.read_bytes()))
    argv = [
        "check",
        "{dir}/input",
        "--pack",
        PACK,
        "--at",
        rnd.choice([seeds.AT, seeds.AT, seeds.AT, "0001-01-01", "9999-12-31"]),
        "--engine",
        rnd.choice(["reference", "durable"]),
        "--format",
        rnd.choice(["table", "json", "junit", "html"]),
    ]
    if rnd.random() < 0.5:
        argv += ["--exceptions", str(seeds.EXAMPLES / "exceptions.yaml")]
    if rnd.random() < 0.2:
        argv += ["--output", "{dir}/report.out"]
    return HostileInput("check", tuple(files), tuple(argv), (fmt, *sample.labels))


# -- packs -----------------------------------------------------------------------------------


@functools.cache
def _yaml(data: bytes) -> Any:
    return load_yaml(data.decode("utf-8"))


def mutate_yaml(rnd: Random, data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """A YAML file with one node replaced (or its bytes mutated, one time in four)."""
    if rnd.random() < 0.25:
        return mutate_bytes(rnd, data, max_steps=3)
    tree = copy.deepcopy(_yaml(data))
    raw, label = edit_tree(rnd, tree, (), YAML_NODES)
    return dump_yaml(tree, raw), (label,)


def mutate_pack(rnd: Random) -> tuple[dict[str, bytes], tuple[str, ...]]:
    files = dict(seeds.mini_pack())
    target = rnd.choice(sorted(files))
    files[target], labels = mutate_yaml(rnd, files[target])
    return files, (target, *labels)


def pack_files(prefix: str, files: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [(f"{prefix}/o2c-standard/1.0.0/{name}", data) for name, data in files.items()]


def pack_show_input(rnd: Random) -> HostileInput:
    files, labels = mutate_pack(rnd)
    folder = rnd.choice(["{dir}/packs/o2c-standard", "{dir}/packs/o2c-standard/1.0.0"])
    argv = ("pack", "show", folder, "--at", seeds.AT)
    return HostileInput("pack show", tuple(pack_files("packs", files)), argv, labels)


def pack_test_input(rnd: Random) -> HostileInput:
    files, labels = mutate_pack(rnd)
    engine = rnd.choice(["reference", "reference", "durable"])
    argv = ("pack", "test", "{dir}/packs/o2c-standard/1.0.0", "--engine", engine)
    return HostileInput("pack test", tuple(pack_files("packs", files)), argv, labels)


def pack_diff_input(rnd: Random) -> HostileInput:
    files, labels = mutate_pack(rnd)
    old, new = "{dir}/old/o2c-standard/1.0.0", "{dir}/new/o2c-standard/1.0.0"
    if rnd.random() < 0.5:
        old, new = new, old
    argv = ("pack", "diff", old, new, "--format", rnd.choice(["text", "json"]))
    both = pack_files("old", dict(seeds.mini_pack())) + pack_files("new", files)
    return HostileInput("pack diff", tuple(both), argv, labels)


def pack_lock_input(rnd: Random) -> HostileInput:
    lock = (seeds.ROOT / "packs.lock").read_bytes()
    files, labels = mutate_pack(rnd) if rnd.random() < 0.5 else (dict(seeds.mini_pack()), ())
    which = rnd.choice(["tree", "bytes", "none"])
    if which == "tree":
        tree = json.loads(lock)
        raw, label = edit_tree(rnd, tree, (), hv.HOSTILE_JSON_VALUES)
        lock, labels = dump_json(tree, raw), (*labels, f"lock:{label}")
    elif which == "bytes":
        lock, more = mutate_bytes(rnd, lock, max_steps=2)
        labels = (*labels, *(f"lock:{m}" for m in more))
    argv = ["pack", "lock", "{dir}/packs/o2c-standard", "--lock-file", "{dir}/packs.lock"]
    if rnd.random() < 0.5:
        argv.append("--check")
    all_files = (*pack_files("packs", files), ("packs.lock", lock))
    return HostileInput("pack lock", all_files, tuple(argv), labels)


# -- exception registers ---------------------------------------------------------------------


def _register() -> bytes:
    return (seeds.EXAMPLES / "exceptions.yaml").read_bytes()


def exceptions_validate_input(rnd: Random) -> HostileInput:
    data, labels = mutate_yaml(rnd, _register())
    argv = ["exceptions", "validate", "{dir}/exceptions.yaml", "--pack", PACK]
    if rnd.random() < 0.5:
        argv += ["--at", rnd.choice([seeds.AT, "0001-01-01", "9999-12-31"])]
    files = (("exceptions.yaml", data),)
    return HostileInput("exceptions validate", files, tuple(argv), labels)


def exceptions_show_input(rnd: Random) -> HostileInput:
    data, labels = mutate_yaml(rnd, _register())
    ident = rnd.choice(["EX-2024-007", "EX-2024-005", "EX-2024-009", "", "X" * 300])
    argv = ["exceptions", "show", ident, "{dir}/exceptions.yaml"]
    if rnd.random() < 0.5:
        argv += ["--revision", rnd.choice(["1", "2", "0", "-1", str(2**63), "9" * 50])]
    files = (("exceptions.yaml", data),)
    return HostileInput("exceptions show", files, tuple(argv), labels)


# -- audit logs ------------------------------------------------------------------------------


def rehash(lines: list[str]) -> tuple[list[str], bytes]:
    """Recompute each record's ``prev`` and ``hash`` and the head file: a log that
    verifies although its content is hostile, so ``replay`` and ``report`` read all of it."""
    from handoff_rules.audit.log import GENESIS, record_hash
    from handoff_rules.decision import canonical_json

    prev = GENESIS
    out = []
    last_seq: Any = 0
    for line in lines:
        try:
            record = json.loads(line)
            if isinstance(record, dict):
                record["prev"] = prev
                record["hash"] = record_hash(record)
                line = canonical_json(record)
                last_seq = record.get("seq", last_seq)
        except (ValueError, TypeError, RecursionError):
            pass  # stays as it is: verify names it
        out.append(line)
        # as the bytes are written: a \ud800 edit stays in the file, which is then no UTF-8
        prev = hashlib.sha256(line.encode("utf-8", "surrogatepass")).hexdigest()
    head = json.dumps({"hash": prev, "seq": last_seq}, sort_keys=True, separators=(",", ":"))
    return out, (head + "\n").encode("utf-8")


def mutate_audit_log(rnd: Random) -> tuple[Files, tuple[str, ...]]:
    log, head = seeds.audit_log()
    lines = log.decode("utf-8").split("\n")[:-1]
    labels: list[str] = []
    kind = rnd.choice(["record", "record", "record", "lines", "bytes"])
    if kind == "record":
        for _ in range(rnd.randint(1, 2)):
            i = rnd.randrange(len(lines))
            tree = json_or_none(lines[i])
            if tree is None:
                continue
            raw, label = edit_tree(rnd, tree, (), hv.HOSTILE_JSON_VALUES)
            lines[i] = dump_json(tree, raw, indent=None).decode("utf-8", "surrogatepass")
            labels.append(label)
    elif kind == "lines":
        i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
        op = rnd.choice(["duplicate", "delete", "swap", "repeat"])
        if op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "delete":
            del lines[i]
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i:i] = [lines[i]] * rnd.randint(2, 15)
        labels.append(op)
    if kind != "bytes" and rnd.random() < 0.75:
        lines, head = rehash(lines)
        labels.append("rehashed")
    data = cap(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    if kind == "bytes":
        data, more = mutate_bytes(rnd, data, max_steps=3)
        labels += more
    files = [("audit.jsonl", data)]
    head_kind = rnd.choice(["head", "head", "head", "no-head", "head-bytes"])
    if head_kind == "head":
        files.append(("audit.jsonl.head", head))
    elif head_kind == "head-bytes":
        head, more = mutate_bytes(rnd, head, max_steps=2)
        files.append(("audit.jsonl.head", head[:64_000]))  # the whole input stays below 1 MB
        labels += [f"head:{m}" for m in more]
    else:
        labels.append("no-head")
    return tuple(files), tuple(labels)


def audit_verify_input(rnd: Random) -> HostileInput:
    files, labels = mutate_audit_log(rnd)
    return HostileInput("audit verify", files, ("audit", "verify", "{dir}/audit.jsonl"), labels)


def audit_replay_input(rnd: Random) -> HostileInput:
    files, labels = mutate_audit_log(rnd)
    argv = ("audit", "replay", "{dir}/audit.jsonl", "--pack", PACK)
    return HostileInput("audit replay", files, argv, labels)


def report_input(rnd: Random) -> HostileInput:
    files, labels = mutate_audit_log(rnd)
    argv = ["report", "{dir}/audit.jsonl", "--format", rnd.choice(["text", "json"])]
    if rnd.random() < 0.5:
        option = rnd.choice(["--max-waivers-per-month", "--max-repeat-waivers"])
        argv += [option, rnd.choice(["0", "-1", str(2**63), "9" * 30])]
    return HostileInput("report", files, tuple(argv), labels)


#: Every command that takes a file, with its generator.
GENERATORS: Final[dict[str, Callable[[Random], HostileInput]]] = {
    "read": read_input,
    "check": check_input,
    "pack show": pack_show_input,
    "pack test": pack_test_input,
    "pack diff": pack_diff_input,
    "pack lock": pack_lock_input,
    "exceptions validate": exceptions_validate_input,
    "exceptions show": exceptions_show_input,
    "audit verify": audit_verify_input,
    "audit replay": audit_replay_input,
    "report": report_input,
}


def hostile_inputs(entry: str) -> st.SearchStrategy[HostileInput]:
    """The hypothesis strategy for one command: its generator over a recorded Random."""
    return st.randoms(use_true_random=False).map(GENERATORS[entry])


def warm_up() -> None:
    """Build the seeds that run the command line before hypothesis draws anything."""
    seeds.audit_log()
    seeds.jsonl_seed()
    seeds.mini_pack()
