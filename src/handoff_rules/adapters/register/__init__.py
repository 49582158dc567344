"""The document register: contracts, powers of attorney, received forms and credit limits
kept in a spreadsheet, read as ``document`` and ``credit_limit`` facts.

See :mod:`handoff_rules.adapters.register.adapter` and
``docs/reference/document-register.rst``.
"""

from __future__ import annotations

from handoff_rules.adapters.register.adapter import DocumentRegisterAdapter

__all__ = ["DocumentRegisterAdapter"]
