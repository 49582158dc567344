"""ISO 4217 currency codes and their minor units.

Money is quantized to the minor unit of its currency, so the table must say
how many decimals each currency has: getting JPY (0) or KWD (3) wrong would
silently turn an exact amount into a wrong one. The table lists the active
codes of ISO 4217 (list one); funds and metal codes without a minor unit are
left out on purpose.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from handoff_rules.errors import MoneyError

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNITS: Final = MappingProxyType(
    {
        code: digits
        for digits, codes in ((0, _ZERO), (2, _TWO), (3, _THREE), (4, _FOUR))
        for code in codes.split()
    }
)


def minor_units(currency: str) -> int:
    """Return the number of decimals of ``currency``; raise for an unknown code.

    An unknown code is an input error, not something to guess: a typo such as
    ``RUR`` (withdrawn in 1998) must not silently become a 2-decimal currency.
    """
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise MoneyError(f"unknown ISO 4217 currency code {currency!r}") from None


def is_currency(code: str) -> bool:
    """Tell whether ``code`` is an active ISO 4217 code with a minor unit."""
    return code in MINOR_UNITS
