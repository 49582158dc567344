"""Failure classes the hostile-input harness tolerates, in one place.

Each entry would be a class named by :mod:`.classify` with the reason it is
tolerated, and a reproducer under ``reproducers/``; ``test_reproducers.py``
runs every reproducer as a strict expected failure while its class is listed,
so an entry cannot outlive its reason. Every other class found so far is
fixed, and its reproducer is now a regression test.
"""

from __future__ import annotations

from typing import Final

KNOWN_FAILURES: Final[dict[str, str]] = {}
