"""The conformance kit for plugin authors, loaded by pytest through illusion's ``pytest11`` entry point.

Subclass the contract of your plugin's kind and name the registration; pytest then runs every
conformance check (:mod:`illusion.conformance`) on it as a test of its own::

    from illusion.testing import DatasetContract

    class TestProverbs(DatasetContract):
        name = "proverbs"
        options = {"contains": "wise"}
        bad_options = [({"contains": ""}, "must not be empty")]

Options that need files come from fixtures: define ``illusion_options``, ``illusion_empty_options``
or ``illusion_bad_options`` in the class to override the attributes. ``illusion_tiny_bert`` is a
small random BERT folder for fast model-layer tests.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from illusion import conformance
from illusion.host import Host

_WORDS = [
    "the",
    "a",
    "an",
    "and",
    "or",
    "but",
    "not",
    "no",
    "is",
    "was",
    "are",
    "be",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "with",
    "by",
    "from",
    "as",
    "it",
    "that",
    "this",
    "why",
    "what",
    "who",
    "how",
    "old",
    "new",
    "cat",
    "sat",
    "mat",
    "ship",
    "ships",
    "dawn",
    "price",
    "prices",
    "rose",
    "sharp",
    "march",
    "may",
    "after",
    "harvest",
    "failed",
    "keeper",
    "count",
    "light",
    "house",
    "sentence",
    "word",
    "good",
    "bad",
    "day",
    "year",
    "one",
    "two",
    "three",
]


class Contract:
    """The checks of one plugin kind as test methods; subclass a kind's contract, not this class.

    Set ``name`` (the registration's name) and, as needed, ``options``, ``empty_options``,
    ``bad_options``, ``argument`` and ``bad_arguments`` (concept detectors), ``seed``, ``dim``
    (samplers) and ``atol``. ``plugin`` (a module or its dotted name) tests that module on top of
    the built-in plugins; by default the installed plugins are used.
    """

    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    plugin: ClassVar[str | ModuleType | None] = None
    options: ClassVar[Mapping[str, Any]] = {}
    empty_options: ClassVar[Mapping[str, Any] | None] = None
    bad_options: ClassVar[Sequence[tuple[Mapping[str, Any], str]]] = ()
    argument: ClassVar[str] = ""
    bad_arguments: ClassVar[Sequence[tuple[str, str]]] = ()
    seed: ClassVar[int] = 0
    dim: ClassVar[int] = 32
    atol: ClassVar[float] = 1e-4

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            for check_name in conformance.CHECKS[cls.kind]:
                setattr(cls, f"test_{check_name}", _test(cls.kind, check_name))


def _test(kind: str, check_name: str) -> Callable[[Contract, conformance.Subject], None]:
    check = conformance.CHECKS[kind][check_name]

    def test(self: Contract, illusion_subject: conformance.Subject) -> None:
        try:
            check(illusion_subject)
        except conformance.Skip as exc:
            pytest.skip(str(exc))

    test.__name__ = test.__qualname__ = f"test_{check_name}"
    test.__doc__ = check.__doc__
    return test


class DatasetContract(Contract):
    """Conformance tests of a dataset plugin."""

    kind = "dataset"


class ModelLayerContract(Contract):
    """Conformance tests of a model-layer plugin."""

    kind = "model layer"


class DirectionSamplerContract(Contract):
    """Conformance tests of a direction-sampler plugin."""

    kind = "direction sampler"


class ConceptDetectorContract(Contract):
    """Conformance tests of a concept-detector plugin."""

    kind = "concept detector"


class ExplainerContract(Contract):
    """Conformance tests of an explainer plugin."""

    kind = "explainer"


class DiagnosticContract(Contract):
    """Conformance tests of a diagnostic plugin, on a synthetic run."""

    kind = "diagnostic"


@pytest.fixture
def illusion_host(request: pytest.FixtureRequest) -> Host:
    """A plugin host: the installed plugins, or the test class's ``plugin`` module on top of the built-ins."""
    plugin = getattr(request.cls, "plugin", None)
    if plugin is None:
        return Host()
    module = importlib.import_module(plugin) if isinstance(plugin, str) else plugin
    host = Host(autoload=False)
    if not host.pm.is_registered(module):
        host.register(module, module.__name__)
    return host


@pytest.fixture
def illusion_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Options that make the plugin work: the test class's ``options``."""
    return dict(getattr(request.cls, "options", {}))


@pytest.fixture
def illusion_empty_options(request: pytest.FixtureRequest) -> dict[str, Any] | None:
    """Options that give the plugin an empty source: the test class's ``empty_options``."""
    options = getattr(request.cls, "empty_options", None)
    return None if options is None else dict(options)


@pytest.fixture
def illusion_bad_options(request: pytest.FixtureRequest) -> list[tuple[Mapping[str, Any], str]]:
    """Bad options and a fragment of the error each must give: the test class's ``bad_options``."""
    return list(getattr(request.cls, "bad_options", ()))


@pytest.fixture
def illusion_subject(
    request: pytest.FixtureRequest,
    illusion_host: Host,
    illusion_options: dict[str, Any],
    illusion_empty_options: dict[str, Any] | None,
    illusion_bad_options: list[tuple[Mapping[str, Any], str]],
) -> conformance.Subject:
    """The registration a contract class tests, with its inputs."""
    cls = request.cls
    if not getattr(cls, "kind", "") or not getattr(cls, "name", ""):
        pytest.fail(f"{request.node.nodeid}: subclass one of the contracts in illusion.testing and set name", pytrace=False)
    return conformance.Subject(
        illusion_host,
        cls.kind,
        cls.name,
        illusion_options,
        illusion_empty_options,
        illusion_bad_options,
        argument=cls.argument,
        bad_arguments=cls.bad_arguments,
        seed=cls.seed,
        dim=cls.dim,
        atol=cls.atol,
    )


@pytest.fixture(scope="session")
def illusion_tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a small random BERT (2 layers, hidden size 32) and a fast word-piece tokenizer."""
    return write_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def write_tiny_bert(folder: Path, seed: int = 0, words: Sequence[str] = (), layers: int = 2) -> Path:
    """Write a small random ``BertModel`` (hidden size 32) and its tokenizer to ``folder``; loads in well under a second.

    ``words`` join the vocabulary (letters, digits, punctuation and a few common words are always in it).
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast  # type: ignore[attr-defined]

    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789")
    tokens = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *".,;:!?'\"()-<>/",
        *letters,
        *(f"##{c}" for c in letters),
        *_WORDS,
        *words,
    ]
    vocab = {token: number for number, token in enumerate(dict.fromkeys(tokens))}
    BertTokenizerFast(vocab=vocab, do_lower_case=True).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(folder)
    return folder
