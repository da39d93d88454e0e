"""`illusion init --preset`: the shipped configurations, and the paper-scale preset's corpora on this machine."""

from __future__ import annotations

import tomllib

import pytest

from illusion import PluginUnavailable
from illusion.cli import main
from illusion.host import Host
from illusion.run.config import PRESETS, default_config_text, load_config, parse, preset_text

PAPER_SCALE = 20_000  # sentences per dataset the paper preset must ask for (the paper: 58,000 to 204,000)
PAPER = parse(tomllib.loads(preset_text("paper")), "paper preset")


def init(folder, *args: str) -> int:
    try:
        main(["init", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_init_without_a_preset_writes_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert init(tmp_path) == 0
    assert (tmp_path / "illusion.toml").read_text(encoding="utf-8") == default_config_text()


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_validates_with_its_plugins(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert init(tmp_path, "--preset", name, "run.toml") == 0
    config = load_config(tmp_path / "run.toml")
    host = Host()
    host.get("model layer", config.model.plugin).resolve(config.model.options)
    for choice in config.datasets:
        host.get("dataset", choice.plugin).resolve(choice.options)
    for choice in config.samplers:
        host.get("direction sampler", choice.plugin).resolve(choice.options)


def test_the_paper_preset_has_the_papers_design_at_scale():
    config = PAPER
    assert len(config.datasets) >= 4
    assert {d.name: d.options.get("n") for d in config.datasets if (d.options.get("n") or 0) < PAPER_SCALE} == {}
    assert [(s.plugin, s.options["count"]) for s in config.samplers] == [("neuron", 25), ("random", 33)]
    assert config.k == 10 and config.controls > 0
    assert config.model.options["layer"] == -1 and config.model.options["pooling"] == "cls"


def test_an_unknown_preset_is_one_line_naming_the_presets(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert init(tmp_path, "--preset", "papr") == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unknown preset 'papr'" in error
    assert all(name in error for name in PRESETS)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("choice", PAPER.datasets, ids=lambda choice: choice.name)
def test_each_paper_corpus_supplies_the_sentences_asked_for(choice):
    """Loaded here, with the run's checks: skipped where a corpus package (Debian or registry) is not installed."""
    try:
        records = Host().get("dataset", choice.plugin).load(choice.options, seed=PAPER.seed)
    except PluginUnavailable as exc:
        pytest.skip(f"corpus not installed on this machine: {exc}")
    assert len(records) == choice.options["n"] >= PAPER_SCALE
    assert len({r.text for r in records}) == len(records)
