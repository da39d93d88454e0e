"""One type check for values users write (plugin options, the run configuration), with plain-word type names."""

from __future__ import annotations

from typing import Any

from illusion.errors import IllusionError

TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list", dict: "a table"}


def expect_type(value: Any, kind: type, where: str, error: type[IllusionError] = IllusionError) -> Any:
    """``value`` if it is a ``kind``, converting the lossless cases (an int for a float, a tuple for a list; a bool
    is no integer); otherwise raise ``error`` with "WHERE must be an integer, not 'ten'"."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is list and isinstance(value, tuple):
        return list(value)
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise error(f"{where} must be {TYPE_NAMES[kind]}, not {value!r}")
    return value
