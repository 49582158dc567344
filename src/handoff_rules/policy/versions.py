"""Pack versions and version ranges, parsed with packaging and bounded.

A version comes from a file a user wrote (``pack.yaml``, a version folder's
name, an exception's ``pack_versions``). packaging turns each release number
into an ``int``; a number of more than 4,300 digits then raises Python's
``ValueError`` for integer conversion, not ``InvalidVersion``, and would end
a command with an internal error. Every version the project reads goes
through here, so such text is refused like any other malformed version.
"""

from __future__ import annotations

from typing import Final

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = [
    "MAX_VERSION_LENGTH",
    "InvalidSpecifier",
    "InvalidVersion",
    "parse_specifiers",
    "parse_version",
]

#: Longer than any real version or range: ``2024.12.31.post123+build.456`` is 28.
MAX_VERSION_LENGTH: Final = 256


def parse_version(text: str) -> Version:
    """``Version(text)``, raising :class:`InvalidVersion` for every malformed text."""
    if len(text) > MAX_VERSION_LENGTH:
        raise InvalidVersion(f"longer than {MAX_VERSION_LENGTH} characters")
    try:
        return Version(text)
    except ValueError as exc:  # InvalidVersion is a ValueError; so is an int's digit limit
        raise InvalidVersion(str(exc)) from None


def parse_specifiers(text: str) -> SpecifierSet:
    """``SpecifierSet(text)`` whose versions are all parseable, else :class:`InvalidSpecifier`."""
    if len(text) > MAX_VERSION_LENGTH:
        raise InvalidSpecifier(f"longer than {MAX_VERSION_LENGTH} characters")
    try:
        specifiers = SpecifierSet(text)
        for specifier in specifiers:  # a version is parsed only when compared: do it now
            if not specifier.version.endswith(".*"):
                parse_version(specifier.version)
    except (ValueError, InvalidVersion) as exc:
        raise InvalidSpecifier(str(exc)) from None
    return specifiers
