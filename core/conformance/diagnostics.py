"""The conformance checks of diagnostics, run on a synthetic run (:meth:`Subject.diagnostic_context`)."""

from __future__ import annotations

import json

from illusion.conformance.subject import Failure, Subject, check
from illusion.registrations import DiagnosticPlugin


@check("output", "diagnostic")
def diagnostic_output(subject: Subject) -> None:
    """The result is a JSON-able dict, and every finding has a value for each condition (or the whole run)."""
    plugin, context = subject.plugin(DiagnosticPlugin), subject.diagnostic_context()
    result = plugin.run(context)
    measured = plugin.measure(result, context)
    for finding in plugin.findings:
        expected = sorted(set(context.conditions)) if finding.per_condition else ["all"]
        if sorted(measured[finding.key]) != expected:
            raise Failure(
                f"{plugin.label}: finding {finding.key!r} gives values for {sorted(measured[finding.key])}, not {expected}"
            )
    plugin.versus_paper(result, context)


@check("determinism", "diagnostic")
def diagnostic_determinism(subject: Subject) -> None:
    """The same run and seed give the same result."""
    plugin = subject.plugin(DiagnosticPlugin)
    first, second = (json.dumps(plugin.run(subject.diagnostic_context()), sort_keys=True) for _ in range(2))
    if first != second:
        raise Failure(f"{plugin.label}: two runs on the same context give different results; draw randomness from context.seed")
