"""What SAP keeps in customizing, not in the extracted tables: set per run.

The days of a payment terms key are in T052 (ZTAG1 … ZTAG3), the currency of
a credit control area in T014, and which condition types are discounts is a
choice of each system's pricing procedure. None of it is in VBKD, KNKK or
KONV, so it is configured, never guessed, in this order:

1. the adapter's arguments (``SapTableAdapter(payment_days={"ZB30": 30})``);
2. a ``handoff-rules-sap.toml`` file beside the extracts, which is how
   ``handoff-rules check`` users set it::

       [payment_terms]          # ZTERM = days until the net amount is due
       ZB30 = 30
       NT60 = 60

       [credit_currency]        # credit control area (or credit segment) = currency
       1000 = "EUR"

       [pricing]                # condition types (KSCHL) read as discounts
       discount_conditions = ["K007", "RA00", "RA01", "HA00"]

3. the environment: ``HANDOFF_RULES_SAP_PAYMENT_DAYS`` (``ZB30=30,NT60=60``)
   and ``HANDOFF_RULES_SAP_CREDIT_CURRENCY`` (``1000=EUR`` or ``EUR``).

A payment terms key with no days known leaves the order's ``payment_days``
empty; an area with no currency makes its limits rejects.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, TypeVar

import attrs

from handoff_rules.adapters import AdapterError

T = TypeVar("T")
V = TypeVar("V")

#: The file beside the extracts that configures how the command line reads them.
OPTIONS_FILE: Final = "handoff-rules-sap.toml"
#: ``1000=EUR,2000=USD``, or one currency for every area (``EUR``).
CREDIT_CURRENCY_VARIABLE: Final = "HANDOFF_RULES_SAP_CREDIT_CURRENCY"
#: ``ZB30=30,NT60=60``: the net days of payment terms keys.
PAYMENT_DAYS_VARIABLE: Final = "HANDOFF_RULES_SAP_PAYMENT_DAYS"
#: The key of a currency that holds for every credit area.
ANY_AREA: Final = "*"
#: SAP's standard percentage discounts (pricing procedure RVAA01): K007 customer
#: discount, RA00 % discount from net, RA01 % discount from gross, HA00 percentage
#: discount entered in the header.
DISCOUNT_CONDITIONS: Final = ("K007", "RA00", "RA01", "HA00")
#: The longest net term read (the largest ZTAG in T052 has three digits).
_MAX_DAYS: Final = 999


def parse_area_currencies(text: str) -> dict[str, str]:
    """``1000=EUR,2000=USD`` (or ``EUR`` for every area) as {area: currency}; ValueError if not."""
    result: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        area, sep, currency = part.rpartition("=")
        area, currency = (area.strip() if sep else ANY_AREA), currency.strip().upper()
        if not (len(currency) == 3 and currency.isalpha()) or not area:
            raise ValueError(f"{part!r} is not AREA=CURRENCY (1000=EUR) nor a currency code")
        result[area] = currency
    return result


def _term_days(term: str, days: object) -> tuple[str, int]:
    key = term.strip().upper()
    if not key or len(key) > 4:
        raise ValueError(f"{term!r} is no payment terms key (ZTERM, up to 4 characters)")
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= _MAX_DAYS:
        raise ValueError(f"payment terms {key}: {days!r} is not a number of days (0-{_MAX_DAYS})")
    return key, days


def parse_payment_days(text: str) -> dict[str, int]:
    """``ZB30=30,NT60=60`` as {payment terms key: days}; ValueError if not."""
    result: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        term, sep, days = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not ZTERM=DAYS (ZB30=30)")
        key, value = _term_days(term, days)
        result[key] = value
    return result


def _upper(values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise ValueError(f"discount_conditions must be a list of condition types, not {values!r}")
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise ValueError(f"discount_conditions must be condition types (KSCHL), not {values!r}")
    return tuple(v.strip().upper() for v in values)


@attrs.frozen(slots=True)
class SapOptions:
    """Customizing a table extract needs and lacks; None where not set."""

    area_currencies: Mapping[str, str] | None = None
    payment_days: Mapping[str, int] | None = None
    discount_conditions: tuple[str, ...] | None = None

    @classmethod
    def from_toml(cls, path: Path) -> SapOptions:
        """The options of a ``handoff-rules-sap.toml`` file.

        :raises AdapterError: naming the file when it is not valid TOML or a value is wrong
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AdapterError(str(path), f"cannot read SAP options: {exc}") from None
        unknown = sorted(set(data) - {"payment_terms", "credit_currency", "pricing"})
        if unknown:
            raise AdapterError(
                str(path),
                f"unknown SAP option table(s) {unknown}; known: credit_currency, "
                "payment_terms, pricing",
            )
        try:
            return cls(
                area_currencies=_currencies(data["credit_currency"])
                if "credit_currency" in data
                else None,
                payment_days=_days(data["payment_terms"]) if "payment_terms" in data else None,
                discount_conditions=_pricing(data["pricing"]) if "pricing" in data else None,
            )
        except ValueError as exc:
            raise AdapterError(str(path), f"invalid SAP options: {exc}") from None


def _table(value: object, name: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"[{name}] must be a table")
    return value


def _currencies(value: object) -> dict[str, str]:
    table = _table(value, "credit_currency")
    bad = [f"{k} = {v!r}" for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise ValueError(f'[credit_currency] {", ".join(bad)}: a currency is a string ("EUR")')
    return parse_area_currencies(",".join(f"{k}={v}" for k, v in table.items()))


def _days(value: object) -> dict[str, int]:
    return dict(_term_days(k, v) for k, v in _table(value, "payment_terms").items())


def _pricing(value: object) -> tuple[str, ...]:
    table = _table(value, "pricing")
    unknown = sorted(set(table) - {"discount_conditions"})
    if unknown:
        raise ValueError(f"unknown [pricing] option(s) {unknown}; known: discount_conditions")
    return _upper(table.get("discount_conditions", list(DISCOUNT_CONDITIONS)))


@attrs.frozen(slots=True)
class Customizing:
    """The options a file is read with, every one resolved."""

    area_currencies: Mapping[str, str]
    payment_days: Mapping[str, int]
    discount_conditions: frozenset[str]


def resolve(explicit: SapOptions, path: Path, *, currencies: bool, days: bool) -> Customizing:
    """The options to read ``path`` with: explicit ones, else the file beside it, else the
    environment (else none: no currency, no days, SAP's standard discounts).

    Only what the table needs is looked up (``currencies`` for a credit table,
    ``days`` for one with payment terms), so a malformed variable stops only
    the files it concerns.

    :raises AdapterError: naming the options file or the variable that is malformed
    """
    candidate = path.parent / OPTIONS_FILE
    beside = SapOptions.from_toml(candidate) if candidate.is_file() else SapOptions()
    area_currencies = _first(explicit.area_currencies, beside.area_currencies)
    if area_currencies is None and currencies:
        area_currencies = _variable(CREDIT_CURRENCY_VARIABLE, parse_area_currencies, str(path))
    payment_days = _first(explicit.payment_days, beside.payment_days)
    if payment_days is None and days:
        payment_days = _variable(PAYMENT_DAYS_VARIABLE, parse_payment_days, str(path))
    discounts = _first(explicit.discount_conditions, beside.discount_conditions)
    return Customizing(
        area_currencies=dict(area_currencies or {}),
        payment_days={k.upper(): v for k, v in (payment_days or {}).items()},
        discount_conditions=frozenset(
            d.upper() for d in (DISCOUNT_CONDITIONS if discounts is None else discounts)
        ),
    )


def _first(explicit: V | None, beside: V | None) -> V | None:
    return explicit if explicit is not None else beside


def _variable(name: str, parse: Callable[[str], Mapping[str, T]], source: str) -> Mapping[str, T]:
    try:
        return parse(os.environ.get(name, ""))
    except ValueError as exc:
        raise AdapterError(source, f"{name}: {exc}") from None
