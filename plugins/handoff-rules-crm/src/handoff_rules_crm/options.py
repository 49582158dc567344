"""How an export was written: date styles, nulls, currency, stage names.

CRM exports do not say how they were written. A Data Loader file has ISO
dates; the same file re-saved by Excel has ``02/03/24``, which is February in
the US and March in Europe. Nothing in the file tells which, so the reading
is configured, never guessed: :class:`CrmOptions` in Python, or a
``handoff-rules-crm.toml`` file beside the exports for the command line::

    [crm]
    date_formats = ["%m/%d/%y", "%m/%d/%y %I:%M %p"]
    default_currency = "USD"
    won_stages = ["Closed Won", "Closed/Won"]
    link_via = "erp_order_number"

``date_formats`` may also name a day/month order rather than a pattern:
``"month-first"`` (``02/23/26``, ``3/15/2021 6:49``, ``02/23/26 08:55 PM``) or
``"day-first"``. Left at its default, each file's order is inferred from its own
unambiguous dates (see :func:`handoff_rules_crm.cells.infer_date_order`).

A single-currency org exports no ``CurrencyIsoCode``: one setting says which
currency its amounts are in. The first of these that is set wins:

1. ``--currency USD`` on ``handoff-rules check`` / ``read`` (the run's
   :class:`~handoff_rules.adapters.ReadSettings`): what the user asked for now;
2. ``default_currency`` in the options (``CrmOptions`` given to the adapter,
   else ``handoff-rules-crm.toml`` beside the export): what the export's owner
   wrote down for that export;
3. the ``HANDOFF_RULES_CRM_CURRENCY`` environment variable: a default for
   every export, whatever folder it is in.

None of them applies to a record that names its own currency.

``link_via`` says which reference links a won opportunity to its ERP order
(see :mod:`handoff_rules_crm.via`); ``handoff-rules check`` takes it from the
file beside the opportunities' exports.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import attrs

from handoff_rules.adapters import AdapterError, ReadSettings
from handoff_rules.model import is_currency
from handoff_rules_crm.via import CUSTOMER_PO, VIA

__all__ = [
    "CURRENCY_FIX",
    "CURRENCY_SETTINGS",
    "CURRENCY_VARIABLE",
    "DAY_FIRST",
    "ISO",
    "MONTH_FIRST",
    "OPTIONS_FILE",
    "CrmOptions",
    "link_via_in",
    "options_for",
]

#: The date style token for ISO 8601: ``2024-02-03`` or ``2020-12-22T21:16:01Z`` (its UTC date).
ISO: Final = "iso"

#: Numeric dates with the month first (``02/23/26``, ``3/15/2021 6:49``, ``02/23/26 08:55 PM``).
MONTH_FIRST: Final = "month-first"

#: Numeric dates with the day first (``23/02/26``, ``15.3.2021 6:49``).
DAY_FIRST: Final = "day-first"

#: The environment variable giving the currency of amounts without one, when no options do.
CURRENCY_VARIABLE: Final = "HANDOFF_RULES_CRM_CURRENCY"

#: The file beside an export that configures how the command line reads it.
OPTIONS_FILE: Final = "handoff-rules-crm.toml"

#: The settings that give amounts without a currency one, in the order they win.
CURRENCY_SETTINGS: Final = (
    f'run with --currency USD, or put default_currency = "USD" under [crm] in {OPTIONS_FILE} '
    f"beside the export, or set {CURRENCY_VARIABLE}=USD"
)

#: What to do about an amount with no currency: the end of every such reject's reason.
CURRENCY_FIX: Final = f"for a single-currency org give its ISO 4217 code: {CURRENCY_SETTINGS}"


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _frozen_strings(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _via(_instance: object, _attribute: object, value: str) -> None:
    if value not in VIA:
        raise ValueError(f"link_via {value!r} is not one of {', '.join(sorted(VIA))}")


def _currency(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and not is_currency(value):
        raise ValueError(f"default_currency {value!r} is not an ISO 4217 currency code")


@attrs.frozen(slots=True)
class CrmOptions:
    """Everything about an export that the file itself cannot tell.

    ``date_formats`` are tried in order; ``"iso"`` means ISO 8601 dates and
    datetimes (a datetime counts as its UTC date). A value that more than one
    format reads as *different* dates is ambiguous and rejected, and so is a
    ``02/03/24``-style value no configured format reads: it is never guessed.

    ``default_currency`` applies only to records without a currency column
    value (``CurrencyIsoCode`` in multi-currency orgs); an amount with neither
    is rejected rather than assumed to be in some currency.
    """

    date_formats: tuple[str, ...] = attrs.field(default=(ISO,), converter=_strings)
    default_currency: str | None = attrs.field(default=None, validator=_currency)
    #: Cells meaning "no value"; compared after stripping spaces. ``''`` always is null.
    nulls: frozenset[str] = attrs.field(default=frozenset({"#N/A"}), converter=_frozen_strings)
    decimal_sep: str = attrs.field(default=".", validator=attrs.validators.in_((".", ",")))
    #: Stage names (or HubSpot stage ids) that mean won / lost, when no IsWon column says so.
    won_stages: tuple[str, ...] = attrs.field(
        default=("Closed Won", "closedwon"), converter=_strings
    )
    lost_stages: tuple[str, ...] = attrs.field(
        default=("Closed Lost", "closedlost"), converter=_strings
    )
    #: Record key columns, first present wins (Prodly exports key every row by ``Guid``).
    key_fields: tuple[str, ...] = attrs.field(default=("Guid", "Id"), converter=_strings)
    #: Which reference links a won opportunity to its ERP order: a name in ``VIA``.
    link_via: str = attrs.field(default=CUSTOMER_PO.name, validator=_via)

    def is_won_stage(self, stage: str) -> bool:
        return stage.strip().casefold() in {s.casefold() for s in self.won_stages}

    def is_lost_stage(self, stage: str) -> bool:
        return stage.strip().casefold() in {s.casefold() for s in self.lost_stages}

    @classmethod
    def from_toml(cls, path: Path) -> CrmOptions:
        """Read the ``[crm]`` table of an options file.

        :raises AdapterError: naming the file when it is not valid TOML or a key is unknown
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AdapterError(str(path), f"cannot read CRM options: {exc}") from None
        table = data.get("crm", {})
        if not isinstance(table, dict):
            raise AdapterError(str(path), "[crm] must be a table")
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise AdapterError(
                str(path), f"unknown CRM option(s) {unknown}; known: {sorted(known)}"
            )
        for key, value in table.items():
            ok = (
                isinstance(value, str)
                if key in ("default_currency", "decimal_sep", "link_via")
                else isinstance(value, list) and all(isinstance(v, str) for v in value)
            )
            if not ok:
                raise AdapterError(str(path), f"CRM option {key!r} has the wrong type: {value!r}")
        try:
            return cls(**table)
        except (TypeError, ValueError) as exc:
            raise AdapterError(str(path), f"invalid CRM options: {exc}") from None


def options_for(
    path: Path, explicit: CrmOptions | None, settings: ReadSettings | None = None
) -> CrmOptions:
    """The options to read ``path`` with: explicit ones, else the file beside it, else defaults.

    ``default_currency`` is the run's (``settings``, ``--currency``) when it gives
    one, else the options', else the ``HANDOFF_RULES_CRM_CURRENCY`` environment
    variable's (see the module's docstring for why in that order).

    :raises AdapterError: the options file is invalid, or the variable is no currency code
    """
    options = explicit if explicit is not None else _file_options(path)
    if settings is not None and settings.default_currency is not None:
        return attrs.evolve(options, default_currency=settings.default_currency)
    if options.default_currency is not None:
        return options
    code = os.environ.get(CURRENCY_VARIABLE, "").strip()
    if not code:
        return options
    if not is_currency(code.upper()):
        raise AdapterError(
            str(path), f"{CURRENCY_VARIABLE}={code!r} is not an ISO 4217 currency code"
        )
    return attrs.evolve(options, default_currency=code.upper())


def _file_options(path: Path) -> CrmOptions:
    candidate = path.parent / OPTIONS_FILE
    return CrmOptions.from_toml(candidate) if candidate.is_file() else CrmOptions()


def link_via_in(path: Path) -> str | None:
    """``link_via`` as an options file sets it; None when the file leaves it unset.

    :raises AdapterError: naming the file, as :meth:`CrmOptions.from_toml` does
    """
    options = CrmOptions.from_toml(path)  # reads and checks the whole file first
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("crm", {})
    return options.link_via if "link_via" in table else None
