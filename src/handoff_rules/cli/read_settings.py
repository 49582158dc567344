"""The options of ``check`` and ``read`` that tell adapters what the files do not say.

Both commands read exports the same way, so they take the same options and
turn them into the same :class:`~handoff_rules.adapters.ReadSettings`, which
is handed to every adapter that takes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from handoff_rules.adapters.base import ReadSettings
from handoff_rules.errors import UsageError

__all__ = ["CURRENCY_HELP", "currency_option", "read_settings"]

F = TypeVar("F", bound=Callable[..., object])

CURRENCY_HELP = (
    "ISO 4217 code of amounts whose record states no currency (a single-currency "
    "Salesforce org exports no CurrencyIsoCode). Wins over default_currency in "
    "handoff-rules-crm.toml and over HANDOFF_RULES_CRM_CURRENCY; never overrides a "
    "currency the record names."
)


def _currency(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return ReadSettings(default_currency=value).default_currency
    except UsageError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 4217 currency code (such as USD, EUR, CZK)"
        ) from None


def currency_option(command: F) -> F:
    """``--currency CODE`` for a command that reads exports."""
    return click.option("--currency", metavar="CODE", callback=_currency, help=CURRENCY_HELP)(
        command
    )


def read_settings(currency: str | None) -> ReadSettings:
    """The settings the options ask for."""
    return ReadSettings(default_currency=currency)
