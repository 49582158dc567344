"""Company identifiers: validated, and an invalid one is kept and flagged, never raised."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.model import CompanyId, Counterparty, IdScheme, from_dict, to_dict
from handoff_rules.testing.strategies import company_ids

# rules.md §R4: the stdnum doctest vectors, and the real ids checked valid.
VALID = [
    ("CZ-ICO", "25123891"),
    ("CZ-ICO", "27082440"),
    ("CZ-ICO", "177041"),  # legacy IČO, left-padded to 00177041
    ("PL-NIP", "8567346215"),
    ("PL-NIP", "5260250274"),
    ("RU-INN", "1234567894"),
    ("RU-INN", "123456789047"),
    ("RU-INN", "7707083893"),
    ("UA-EDRPOU", "32855961"),
    ("UA-EDRPOU", "14360570"),
    ("FR-SIREN", "404833048"),
    ("FR-SIREN", "552081317"),
    ("FR-SIRET", "73282932000074"),
]
INVALID = [
    ("CZ-ICO", "25123890"),
    ("PL-NIP", "8567346216"),
    ("RU-INN", "1234567895"),
    ("UA-EDRPOU", "32855968"),
    ("FR-SIREN", "404833047"),
    ("FR-SIRET", "73282932000079"),
]


@pytest.mark.parametrize(("scheme", "value"), VALID)
def test_real_vectors_are_valid(scheme: str, value: str) -> None:
    ident = CompanyId(scheme, value)
    assert ident.is_valid
    assert ident.error is None
    assert ident.normalized is not None


@pytest.mark.parametrize(("scheme", "value"), INVALID)
def test_real_invalid_vectors_are_flagged(scheme: str, value: str) -> None:
    ident = CompanyId(scheme, value)
    assert not ident.is_valid
    assert ident.normalized is None
    assert ident.error is not None
    assert value in ident.error


def test_legacy_ico_pads_and_ico_9_is_refused_by_stdnum() -> None:
    assert CompanyId("CZ-ICO", "177041").normalized == "00177041"
    assert not CompanyId("CZ-ICO", "123456789").is_valid  # more than 8 digits


@settings(deadline=None)
@given(st.sampled_from(list(IdScheme)), st.text())
def test_any_string_is_flagged_or_accepted_never_raised(scheme: IdScheme, value: str) -> None:
    ident = CompanyId(scheme.value, value)
    assert ident.is_valid == (ident.error is None)
    party = Counterparty(id="C1", identifiers=[ident])
    assert from_dict(Counterparty, to_dict(party)) == party


@settings(deadline=None)
@given(st.text(), st.text())
def test_unknown_scheme_is_flagged(scheme: str, value: str) -> None:
    if scheme in {s.value for s in IdScheme}:
        return
    ident = CompanyId(scheme, value)
    assert not ident.is_valid
    assert ident.error is not None
    assert "unknown identifier scheme" in ident.error


@settings(deadline=None)
@given(company_ids(valid=True))
def test_generated_valid_ids_validate(ident: CompanyId) -> None:
    assert ident.is_valid


@settings(deadline=None)
@given(company_ids(valid=False))
def test_generated_invalid_ids_are_flagged(ident: CompanyId) -> None:
    assert not ident.is_valid
    assert ident.error


def test_legal_id_prefers_the_countrys_scheme() -> None:
    party = Counterparty(
        id="C1",
        country="CZ",
        identifiers=[CompanyId("RU-INN", "7707083893"), CompanyId("CZ-ICO", "25123890")],
    )
    legal = party.legal_id()
    assert legal is not None
    assert legal.scheme == "CZ-ICO"
    assert not legal.is_valid
