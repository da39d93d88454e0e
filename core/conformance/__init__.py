"""Conformance checks: what every dataset, model layer, direction sampler, concept detector, explainer and diagnostic must do.

The pytest kit (:mod:`illusion.testing`) runs them on the plugin an author names;
``illusion plugins --check`` runs them on every installed plugin (:mod:`.runner`). A check takes a
:class:`Subject` and raises :class:`Failure` (one line: what is wrong) or :class:`Skip` (the check
does not apply). The checks of every kind live in :mod:`.common`, the others in one module per kind;
importing this package registers them all, in the order they run.
"""

from illusion.conformance import (  # noqa: F401 (they register the checks)
    common,
    datasets,
    detectors,
    diagnostics,
    explainers,
    model_layers,
    samplers,
)
from illusion.conformance.runner import DistributionReport, Outcome, PluginReport, check_host, run_checks
from illusion.conformance.subject import (
    CHECK_ARGUMENT,
    CHECK_DATASET_OPTIONS,
    CHECKS,
    SENTENCES,
    Check,
    Failure,
    Skip,
    Subject,
    check,
    crashed,
    unavailable,
)

__all__ = [
    "CHECKS",
    "CHECK_ARGUMENT",
    "CHECK_DATASET_OPTIONS",
    "SENTENCES",
    "Check",
    "DistributionReport",
    "Failure",
    "Outcome",
    "PluginReport",
    "Skip",
    "Subject",
    "check",
    "check_host",
    "crashed",
    "run_checks",
    "unavailable",
]
