"""National company identifiers, validated with python-stdnum.

A wrong IČO or INN in an export is a fact about the data, not a reason to stop
reading it: an identifier that fails its checksum is kept as it was written and
marked invalid, so the ACC-ID-001 rule can flag it with its source row.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import cache
from typing import Any

import attrs
from stdnum import util as stdnum_util
from stdnum.exceptions import ValidationError
from stdnum.fr import siren, siret
from stdnum.pl import nip
from stdnum.ru import inn
from stdnum.ua import edrpou


class IdScheme(enum.StrEnum):
    """Identifier schemes the schema validates; values are what exports and packs write."""

    CZ_ICO = "CZ-ICO"
    PL_NIP = "PL-NIP"
    RU_INN = "RU-INN"
    UA_EDRPOU = "UA-EDRPOU"
    FR_SIREN = "FR-SIREN"
    FR_SIRET = "FR-SIRET"


def _validate_ico(value: str) -> str:
    # There is no stdnum.cz.ico: the legal-entity DIČ is "CZ" + IČO with the same
    # checksum, and legacy IČO shorter than 8 digits are left-padded with zeros.
    compact = stdnum_util.clean(value, " /-").strip()
    if not compact.isdigit() or len(compact) > 8:
        raise ValidationError("an IČO has up to 8 digits")
    padded = compact.rjust(8, "0")
    from stdnum.cz import dic

    return str(dic.validate(padded))


_VALIDATORS: dict[IdScheme, Callable[[str], Any]] = {
    IdScheme.CZ_ICO: _validate_ico,
    IdScheme.PL_NIP: nip.validate,
    IdScheme.RU_INN: inn.validate,
    IdScheme.UA_EDRPOU: edrpou.validate,
    IdScheme.FR_SIREN: siren.validate,
    IdScheme.FR_SIRET: siret.validate,
}

#: The scheme a counterparty of a country is expected to carry (rules.md ACC-ID-001).
SCHEME_BY_COUNTRY: dict[str, IdScheme] = {
    "CZ": IdScheme.CZ_ICO,
    "PL": IdScheme.PL_NIP,
    "RU": IdScheme.RU_INN,
    "UA": IdScheme.UA_EDRPOU,
    "FR": IdScheme.FR_SIREN,
}


@cache
def check_identifier(scheme: str, value: str) -> tuple[str | None, str | None]:
    """Return ``(normalised value, None)`` or ``(None, reason)``; never raise."""
    try:
        validator = _VALIDATORS[IdScheme(scheme)]
    except ValueError:
        known = ", ".join(s.value for s in IdScheme)
        return None, f"unknown identifier scheme {scheme!r} (known: {known})"
    try:
        return str(validator(value)), None
    except ValidationError as exc:
        return None, f"invalid {scheme} {value!r}: {exc}"


@attrs.frozen(slots=True)
class CompanyId:
    """One identifier of a company as written in a source, with its verdict.

    Only ``scheme`` and ``value`` are data; validity is recomputed from them,
    so a stored "valid" flag can never disagree with the checksum.
    """

    scheme: str
    value: str

    @property
    def normalized(self) -> str | None:
        """The compact, checksum-valid form, or None when the value is invalid."""
        return check_identifier(self.scheme, self.value)[0]

    @property
    def is_valid(self) -> bool:
        return self.normalized is not None

    @property
    def error(self) -> str | None:
        """Why the identifier is invalid, for a finding's message; None when valid."""
        return check_identifier(self.scheme, self.value)[1]
