"""The checks every kind of plugin passes: registration, declared parameters, clear errors on bad ones."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from illusion.conformance.subject import SENTENCES, Failure, Subject, check, crashed
from illusion.errors import PluginError

_WRONG_TYPE = {str: 12345, int: "twelve", float: "twelve", bool: "yes", list: "not a list"}
_VALID = {str: "x", int: 1, float: 1.0, bool: False, list: []}


@check("registration")
def registered(subject: Subject) -> None:
    """The plugin is found, is the only one of its name, and loads without problems."""
    host = subject.host
    try:
        entry = host.provided(subject.kind, subject.name)
    except PluginError as exc:
        raise Failure(
            f"no {subject.label} is registered ({exc}); install the plugin (pip install -e .) or name its module in the test's `plugin`"
        ) from None
    others = [e for e in host.registrations(subject.kind)[entry.registration.name] if e != entry]
    if others and ":" not in subject.name:
        who = " and ".join(f"{e.distribution} (plugin {e.plugin!r})" for e in [entry, *others])
        raise Failure(f"{subject.label} is claimed by {who}: rename yours, or test it as {entry.qualified!r}")
    own = [str(p) for p in host.problems if p.plugin == entry.plugin and p.distribution == entry.distribution.name]
    if own:
        raise Failure("; ".join(own))


@check("parameters")
def parameters(subject: Subject) -> None:
    """Every declared parameter has a one-line help, a valid default, and reaches the factory."""
    plugin = subject.registration
    for param in plugin.params:
        if not param.name.isidentifier():
            raise Failure(f"{plugin.label}: parameter name {param.name!r} is not a Python identifier")
        if not param.help.strip() or "\n" in param.help.strip():
            raise Failure(f"{plugin.label}: parameter {param.name!r} needs a one-line help text")
        for value in ([] if param.required or param.default is None else [param.default]) + list(param.choices or ()):
            try:
                param.coerce(value, plugin.label)
            except PluginError as exc:
                raise Failure(f"{plugin.label}: declared value {value!r} of parameter {param.name!r} is invalid: {exc}") from None
    try:
        signature = inspect.signature(plugin.factory)
    except (TypeError, ValueError):
        return
    leading = (None,) if subject.kind in ("direction sampler", "concept detector", "diagnostic") else ()
    try:
        signature.bind(*leading, **{param.name: None for param in plugin.params})
    except TypeError as exc:
        raise Failure(
            f"{plugin.label}: factory {getattr(plugin.factory, '__qualname__', plugin.factory)!r} "
            f"does not match the declared parameters ({exc})"
        ) from None


@check("bad_parameters")
def bad_parameters(subject: Subject) -> None:
    """Unknown, mistyped, out-of-choice and missing parameters, and the test's bad options, give one clear error."""
    plugin = subject.registration
    base = {
        param.name: param.choices[0] if param.choices else _VALID[param.type] for param in plugin.all_params if param.required
    } | dict(subject.options)
    cases: list[tuple[Mapping[str, Any], str]] = [({**base, "no_such_parameter": 1}, "no_such_parameter")]
    for param in plugin.all_params:
        cases.append(({**base, param.name: _WRONG_TYPE[param.type]}, param.name))
        if param.choices and param.type in (str, int, float):
            outside = "not-a-choice" if param.type is str else max(param.choices) + 1
            cases.append(({**base, param.name: outside}, param.name))
        if param.required:
            cases.append(({key: value for key, value in base.items() if key != param.name}, param.name))
    for options, fragment in cases:
        _expect_error(partial(plugin.resolve, options), fragment, f"{plugin.label} with {options}")
    for options, fragment in subject.bad_options:
        _expect_error(partial(subject.run, options), fragment, f"{plugin.label} with bad options {dict(options)}")
    for argument, fragment in subject.bad_arguments:
        _expect_error(
            partial(_detect, subject, argument),
            fragment,
            f"{plugin.label} with argument {argument!r}",
        )


def _detect(subject: Subject, argument: str) -> Any:
    return subject.detector(argument)(SENTENCES[:1])


def _expect_error(call: Callable[[], Any], fragment: str, what: str) -> None:
    try:
        call()
    except Exception as exc:  # the point of the check: which exception, and what it says
        if crashed(exc):
            raise Failure(
                f"{what}: crashed ({type(exc).__name__}: {exc}) instead of raising a clear illusion.PluginError"
            ) from None
        message = str(exc).strip()
        if "\n" in message:
            raise Failure(f"{what}: the error should be one line, got {message!r}") from None
        if fragment not in message:
            raise Failure(f"{what}: the error {message!r} does not mention {fragment!r}") from None
        return
    raise Failure(f"{what}: accepted without an error")
