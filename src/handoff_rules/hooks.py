"""The hook specifications: every way a plugin can extend handoff-rules.

A plugin is a module (or object) with functions named like the hooks below and
decorated with :data:`hookimpl`, exposed through the ``handoff_rules``
entry-point group::

    [project.entry-points.handoff_rules]
    acme = "acme_handoff.plugin"

Hooks are called with keyword arguments, so an implementation may accept only
the parameters it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pluggy

if TYPE_CHECKING:
    from handoff_rules.adapters.base import Adapter
    from handoff_rules.cases import Case
    from handoff_rules.decision import Decision
    from handoff_rules.facts import Fact
    from handoff_rules.policy.exceptions.store import ExceptionStore

NAME: Final = "handoff_rules"

_spec_marker = pluggy.HookspecMarker(NAME)
_impl_marker = pluggy.HookimplMarker(NAME)

#: Decorate a plugin's hook implementations with this marker.
hookimpl = _impl_marker


@_spec_marker
def handoff_rules_adapters() -> Iterable[Adapter]:
    """Return the adapters this plugin provides.

    Called once when the plugin manager starts. Each adapter must have a name
    no other installed adapter uses; ``handoff-rules adapters`` lists them with
    the formats they read, and ``handoff-rules read`` asks each one to sniff
    every input file.

    :return: adapter instances implementing :class:`handoff_rules.adapters.Adapter`
    """
    raise NotImplementedError


@_spec_marker
def handoff_rules_packs() -> Iterable[Path | Traversable]:
    """Return the policy-pack folders this plugin ships as package data.

    A pack is data, never code: return the folder (for package data, use
    ``importlib.resources.files("my_plugin") / "packs" / "my-pack"``) and the
    loader reads and validates it like any pack on disk. ``--pack NAME`` then
    finds it by the pack's name.

    :return: pack folders
    """
    raise NotImplementedError


@_spec_marker
def handoff_rules_derive_facts(case: Case, at: date) -> Iterable[Fact]:
    """Return facts derived from a case before rules are evaluated.

    Use it for values a rule cannot compute safely from raw facts: an open
    balance, a power of attorney's remaining limit, days overdue. The result
    must depend only on the case and ``at`` (the evaluation date), never on the
    wall clock or on other state, or decisions stop being reproducible.
    Return facts with a :class:`~handoff_rules.facts.Provenance` that names
    your plugin as the adapter; the engine adds them to the case.

    :param case: the case about to be evaluated
    :param at: the evaluation date the caller passed in
    :return: derived facts, usually :class:`~handoff_rules.model.Derived`
    """
    raise NotImplementedError


@_spec_marker
def handoff_rules_link_facts(facts: Sequence[Fact]) -> Iterable[Fact]:
    """Return facts that connect records of different inputs (a CRM deal to its ERP order).

    Called once per run of :func:`handoff_rules.check`, after every input is
    read and before cases are built, with the facts of all inputs together
    (and those the caller passed in). The facts returned are added to the
    run's facts, so a case can gather what no single file ties together: a
    won opportunity joins its order's case through an
    :class:`~handoff_rules.model.OpportunityLink`.

    The result must depend only on the facts as a set: the same files given
    in another order, or read by another run, must give the same facts. Do
    not return facts you were given, and when there is nothing of yours to
    link, return nothing. An exception stops the run with an error naming the
    plugin (a :class:`~handoff_rules.errors.HandoffError` such as an
    :class:`~handoff_rules.errors.InputError` for a bad configuration file is
    reported as it is).

    :param facts: the facts of every input of the run, in no particular order
    :return: the new facts, with a :class:`~handoff_rules.facts.Provenance`
        naming your plugin as the adapter and the records they connect
    """
    raise NotImplementedError


@_spec_marker
def handoff_rules_decision(decision: Decision, case: Case) -> None:
    """Receive every decision the engine makes (a decision sink).

    Called once per case and checkpoint after waivers are applied. Use it to set
    a delivery block, notify someone or post a write-off. An exception raised
    here stops the run with an error naming the plugin: a sink that silently
    loses decisions would be worse.

    :param decision: the final decision
    :param case: the case it was made for, with all its facts
    """


@_spec_marker(firstresult=True)
def handoff_rules_exception_store(location: str) -> ExceptionStore | None:
    """Return the exception store for ``location``, or ``None`` if it is not yours.

    By default an exception register is a YAML file; a plugin can keep it
    elsewhere (a database, a ticket system) by claiming locations it
    recognises, e.g. ``"tickets://finance"``. The first plugin that returns a
    store wins; when none does, ``location`` is read as a YAML file. A store
    must keep history: it adds revisions and never changes or drops one.

    :param location: what the user passed as the register (``--exceptions``)
    :return: an object implementing
        :class:`handoff_rules.policy.exceptions.ExceptionStore`, or ``None``
    """
