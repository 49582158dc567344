"""Constructors for values an adapter has already parsed and checked.

An adapter reading a large export builds several model objects per record, and
the public constructors check every value again: a quantity the adapter read
with :func:`~handoff_rules.adapters.values.parse_decimal` goes through
``decimal_or_none`` and the bounds check once more. Per row that costs more
than reading the row. A *trusted* constructor stores the values as given, in
the order and with the defaults of the class's own ``__init__``; what it gives
is equal to what the class gives for the same values whenever the class's
converters would return them unchanged and its validators accept them.

That is a promise the caller makes, so a trusted constructor is for adapters
whose values come from the SDK's parsers (which apply the same bounds), never
for data from outside: the public constructors are unchanged and keep refusing
bad values. Classes that finish construction in ``__attrs_post_init__`` (money
quantizes its amount) have no trusted constructor; money has
:meth:`~handoff_rules.model.money.Money.from_parsed`, which checks what it must.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["trusted_constructor"]

T = TypeVar("T")


def trusted_constructor(cls: type[T]) -> Callable[..., T]:
    """A function building ``cls`` from already checked values, without its converters.

    Its parameters are those of ``cls.__init__`` (positional or keyword, the same
    defaults and factories, keyword-only fields after ``*``).

    :raises TypeError: ``cls`` is no slotted attrs class, has a field outside
        ``__init__``, a factory taking ``self``, or an ``__attrs_post_init__``
    """
    if not attrs.has(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a slotted attrs class")
    if hasattr(cls, "__attrs_post_init__"):
        raise TypeError(f"{cls.__name__} finishes construction in __attrs_post_init__")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_missing": object()}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for index, field in enumerate(attrs.fields(cls)):
        if not field.init:
            raise TypeError(f"{cls.__name__}.{field.name} is not set by __init__")
        descriptor = getattr(cls, field.name)
        if not isinstance(descriptor, types.MemberDescriptorType):  # pragma: no cover
            raise TypeError(f"{cls.__name__}.{field.name} is not a slot")
        name = field.alias or field.name
        namespace[f"_set{index}"] = descriptor.__set__
        default = field.default
        if default is attrs.NOTHING:
            parameter = name
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # Factory is a class
            if default.takes_self:
                raise TypeError(f"{cls.__name__}.{field.name} has a factory taking self")
            namespace[f"_factory{index}"] = default.factory
            parameter = f"{name}=_missing"
            body.append(f"    if {name} is _missing:\n        {name} = _factory{index}()")
        else:
            namespace[f"_default{index}"] = default
            parameter = f"{name}=_default{index}"
        (keyword if field.kw_only else positional).append(parameter)
        body.append(f"    _set{index}(self, {name})")
    parameters = ", ".join(positional + (["*", *keyword] if keyword else []))
    source = (
        f"def trusted_{cls.__name__}({parameters}):\n"
        "    self = _new(_cls)\n" + "\n".join(body) + "\n    return self\n"
    )
    exec(compile(source, f"<trusted constructor of {cls.__qualname__}>", "exec"), namespace)
    function: Callable[..., T] = namespace[f"trusted_{cls.__name__}"]
    function.__doc__ = f"{cls.__name__} from already checked values (see trusted_constructor)."
    return function
