"""The pack lock: every released pack version pinned to its content digest.

A decision names pack name, version and digest, and auditors replay it by
name and version. That only works if a version never changes content: the
lock file (``packs.lock``) records ``name -> version -> digest`` for every
version released, and a pack whose content no longer matches its locked
digest is an error, "rules changed but version not bumped". Adding a new
version adds a line; an existing line is never rewritten.

The file is JSON (sorted keys, two-space indent) so that it diffs cleanly in
review and has no YAML typing surprises (``1.10`` is not ``1.1``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import attrs

from handoff_rules.decision import PackIdentity
from handoff_rules.errors import LockError as LockError

LOCK_FILE: Final = "packs.lock"
SCHEMA: Final = "handoff-rules/packs-lock/1"


Lock = dict[str, dict[str, str]]


@attrs.frozen(slots=True)
class LockProblem:
    pack: str
    version: str
    message: str

    def __str__(self) -> str:
        return f"{self.pack} {self.version}: {self.message}"


#: A pack digest as the lock stores it (``hashlib.sha256().hexdigest()``).
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")


def read_lock(path: Path) -> Lock:
    """The lock's ``name -> version -> digest``; a missing file is an empty lock."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise LockError(f"{path}: not a pack lock file (JSON expected): {exc}") from None
    except RecursionError:
        # how deep the decoder gets depends on the caller's stack; nested less deeply,
        # the same file fails the shape check below: a lock error either way
        raise LockError(f"{path}: not a pack lock file (JSON nested too deeply)") from None
    packs = data.get("packs") if isinstance(data, dict) else None
    if not isinstance(packs, dict) or not all(
        isinstance(versions, dict) and all(isinstance(d, str) for d in versions.values())
        for versions in packs.values()
    ):
        raise LockError(f"{path}: expected {{'packs': {{name: {{version: digest}}}}}}")
    for name, versions in packs.items():
        for version, digest in versions.items():
            if not _DIGEST.fullmatch(digest):
                raise LockError(
                    f"{path}: the digest of {name!r} {version!r} is not a SHA-256 digest "
                    "(64 hexadecimal digits)"
                )
    return {name: dict(versions) for name, versions in packs.items()}


def write_lock(path: Path, lock: Mapping[str, Mapping[str, str]]) -> None:
    body = {
        "schema": SCHEMA,
        "packs": {name: dict(sorted(v.items())) for name, v in sorted(lock.items())},
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)


def _changed(pack: PackIdentity, locked: str) -> LockProblem:
    return LockProblem(
        pack.name,
        pack.version,
        f"content changed but the version was not bumped (locked digest {locked[:12]}, "
        f"now {pack.digest[:12]}); give the changed pack a new version",
    )


def check_lock(
    packs: Iterable[PackIdentity], lock: Mapping[str, Mapping[str, str]]
) -> list[LockProblem]:
    """Every pack version that is not locked, or whose content differs from its lock."""
    problems = []
    for pack in packs:
        locked = lock.get(pack.name, {}).get(pack.version)
        if locked is None:
            problems.append(
                LockProblem(
                    pack.name,
                    pack.version,
                    "not in the lock file; run `handoff-rules pack lock` to record it",
                )
            )
        elif locked != pack.digest:
            problems.append(_changed(pack, locked))
    return problems


def update_lock(
    packs: Iterable[PackIdentity], lock: Mapping[str, Mapping[str, str]]
) -> tuple[Lock, list[LockProblem], list[PackIdentity]]:
    """Add the versions not yet locked; a locked version with other content is refused.

    Returns the new lock, the refusals, and the packs that were added.
    """
    new: Lock = {name: dict(versions) for name, versions in lock.items()}
    problems = []
    added = []
    for pack in packs:
        versions = new.setdefault(pack.name, {})
        locked = versions.get(pack.version)
        if locked is None:
            versions[pack.version] = pack.digest
            added.append(pack)
        elif locked != pack.digest:
            problems.append(_changed(pack, locked))
    return new, problems, added
