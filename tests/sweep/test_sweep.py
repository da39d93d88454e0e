"""``illusion sweep`` end to end on a tiny model: one pass for every layer, cells equal to a run's diagnostics,
resumption, a third-party model layer without several layers per pass, and clear errors."""

from __future__ import annotations

import random
import types

import numpy as np
import pytest

from illusion import ModelLayerPlugin, hookimpl
from illusion.cli import main
from illusion.common.files import read_json
from illusion.diagnostics.suite import write_diagnostics
from illusion.host import Host
from illusion.plugins.transformer import TransformerLayer
from illusion.run.config import load_config
from illusion.run.folder import RunFolder
from illusion.run.pipeline import run
from illusion.run.store import ActivationStore
from illusion.sweep import runner
from illusion.sweep.encode import ONE_PASS, PER_VIEW
from illusion.sweep.findings import measure
from illusion.sweep.grid import Grid, subsample
from tests.helpers.run_configs import write_text_run_config
from tests.helpers.tiny_models import WORDS, write_tiny_model

pytestmark = pytest.mark.slow

GRID = Grid((1, 2, 3), ("cls", "mean"), ("40", "all"))
SIZES = {"alpha": 60, "beta": 80, "gamma": 70}


def sentences(seed: int = 0) -> dict[str, list[str]]:
    rng = random.Random(seed)
    return {
        name: [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))) + f" {name} {i}" for i in range(count)]
        for name, count in SIZES.items()
    }


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("model") / "bert", "bert", layers=3)


@pytest.fixture
def config_file(tmp_path, model):
    return write_text_run_config(tmp_path, sentences(), model)


@pytest.fixture
def forwards(monkeypatch):
    """How many forward passes the transformer plugin's models have run."""
    calls = {"n": 0}
    original = TransformerLayer.__init__

    def counting(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.model.register_forward_pre_hook(lambda *_: calls.__setitem__("n", calls["n"] + 1))

    monkeypatch.setattr(TransformerLayer, "__init__", counting)
    return calls


def numbers(found):
    """A cell's findings as flat (finding, condition, field) -> number, for comparisons."""
    flat = {}
    for name, by in found.items():
        for condition, entry in by.items():
            flat[name, condition, "value"] = entry["value"]
            for i, bound in enumerate(entry["interval"] or []):
                flat[name, condition, f"interval{i}"] = bound
            for part, share in (entry.get("parts") or {}).items():
                flat[name, condition, part] = share
    return flat


def assert_same(a, b):
    a, b = numbers(a), numbers(b)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], abs=1e-9), key


def test_one_forward_pass_serves_every_layer_and_pooling(config_file, tmp_path, forwards):
    config = load_config(config_file, ["model.batch_size=100"])
    summary = runner.sweep(config, GRID, tmp_path / "sweep")
    assert summary["model"]["passes"] == ONE_PASS
    assert forwards["n"] == len(SIZES)  # one batch per dataset, whatever the 6 views
    assert len(summary["cells"]) == 12 and summary["computed"] == 12
    for cell in summary["cells"]:
        assert cell["sentences"] == {name: min(count, 40) if cell["size"] == "40" else count for name, count in SIZES.items()}
    directions = {tuple(sorted(cell["directions"].items())) for cell in summary["cells"]}
    assert len(directions) == 1  # neurons and random directions: the same in every cell


@pytest.mark.parametrize("layer, pooling, size", [(2, "mean", "all"), (3, "cls", "40")])
def test_a_cell_equals_a_run_and_its_diagnostics_and_a_run_reuses_its_vectors(config_file, tmp_path, layer, pooling, size):
    config = load_config(config_file)
    summary = runner.sweep(config, GRID, tmp_path / "sweep")
    cell = next(c for c in summary["cells"] if (c["layer"], c["pooling"], c["size"]) == (layer, pooling, size))
    store = ActivationStore(config.cache_dir or runner.open_store(config).root)
    vectors_before = [e.key for e in store.entries() if e.path.is_dir()]  # vector entries are folders
    overrides = [f"model.layer={layer}", f'model.pooling="{pooling}"']
    if size != "all":  # the run's datasets: the cell's subsample, same sentences in the same order
        for name, lines in sentences().items():
            kept = subsample(len(lines), size, config.seed, name)
            (tmp_path / f"{name}-{size}.txt").write_text("\n".join(lines[i] for i in kept) + "\n")
            overrides.append(f'datasets.{name}.path="{tmp_path / f"{name}-{size}.txt"}"')
    run(load_config(config_file, overrides), tmp_path / "run")
    write_diagnostics(tmp_path / "run")
    assert_same(cell["findings"], measure(RunFolder(tmp_path / "run").diagnostics().findings))
    vectors_after = [e.key for e in store.entries() if e.path.is_dir()]  # vector entries are folders
    assert (vectors_after == vectors_before) == (size == "all")  # the full datasets' vectors came from the sweep's entries


def test_an_interrupted_sweep_resumes_without_recomputing_finished_cells(config_file, tmp_path, monkeypatch):
    config = load_config(config_file)
    computed = []
    original = runner.cell.diagnose_cell

    def stopping(*args, **kwargs):
        if len(computed) == 5:
            raise KeyboardInterrupt
        computed.append(args[-1])
        return original(*args, **kwargs)

    monkeypatch.setattr(runner.cell, "diagnose_cell", stopping)
    with pytest.raises(KeyboardInterrupt):
        runner.sweep(config, GRID, tmp_path / "sweep")
    finished = {file.name: file.read_text() for file in (tmp_path / "sweep" / runner.CELLS).glob("*.json")}
    assert len(finished) == 5 and not (tmp_path / "sweep" / runner.SWEEP).exists()
    computed.clear()
    monkeypatch.setattr(runner.cell, "diagnose_cell", lambda *a, **k: computed.append(a[-1]) or original(*a, **k))
    summary = runner.sweep(config, GRID, tmp_path / "sweep")
    assert summary["computed"] == len(computed) == 12 - 5
    assert not set(computed) & {name.removesuffix(".json") for name in finished}
    assert all((tmp_path / "sweep" / runner.CELLS / name).read_text() == text for name, text in finished.items())
    assert runner.sweep(config, GRID, tmp_path / "sweep")["computed"] == 0
    again = runner.sweep(load_config(config_file, ["k=4"]), GRID, tmp_path / "sweep")
    assert again["computed"] == 12  # another setting: nothing is reused


class OneLayerAtATime:
    """A model layer as a third party might write it: one layer per object, no MultiLayer methods."""

    def __init__(self, **options):
        self.inner = TransformerLayer(**options)
        self.dim, self.identity = self.inner.dim, self.inner.identity

    def encode(self, texts, progress=None):
        return self.inner.encode(texts, progress)

    def token_vectors(self, texts):
        return self.inner.token_vectors(texts)


def test_a_model_layer_without_several_layers_per_pass_is_swept_one_view_at_a_time(config_file, tmp_path, forwards, model):
    host = Host()
    plugin = host.get("model layer", "transformer")

    @hookimpl
    def illusion_model_layers():
        yield ModelLayerPlugin("one-layer", "One layer per pass.", OneLayerAtATime, params=plugin.params)

    host.register(types.SimpleNamespace(illusion_model_layers=illusion_model_layers), "one-layer")
    grid = Grid((1, 3), ("cls", "mean"), ("all",))
    builtin = runner.sweep(load_config(config_file, ["model.batch_size=100"]), grid, tmp_path / "builtin")
    forwards["n"] = 0
    with pytest.warns(UserWarning, match="once per layer and pooling"):
        other = runner.sweep(
            load_config(config_file, ['model.plugin="one-layer"', "model.batch_size=100"]), grid, tmp_path / "other", host
        )
    checks = sum(pooling == "cls" for _, pooling in grid.views)  # a cls layer checks its pooled row once, with one more call
    assert other["model"]["passes"] == PER_VIEW and forwards["n"] == len(SIZES) * len(grid.views) + checks
    for a, b in zip(builtin["cells"], other["cells"]):
        assert_same(a["findings"], b["findings"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["--layers", "9"], "layer 9 is out of range"),
        (["--layers", "1", "--pooling", "cls,median"], "parameter 'pooling' is 'median'; choose one of"),
        (["--layers", "one"], "--layers 'one': write layer numbers"),
        (["--layers", "1", "--sizes", "2,all"], "fewer sentences than k = 3"),
    ],
)
def test_bad_input_is_one_clear_line(config_file, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit:
        main(["sweep", str(config_file), "--out", str(tmp_path / "sweep"), "-q", *args])
    err = capsys.readouterr().err.strip()
    assert exit.value.code == 1 and message in err and len(err.splitlines()) == 1 and err.startswith("error: ")


def test_cls_pooling_on_a_model_without_a_classification_token_is_one_clear_line(tmp_path, capsys):
    gpt2 = write_tiny_model(tmp_path / "gpt2", "gpt2", layers=2)
    config = write_text_run_config(tmp_path, sentences(), gpt2)
    with pytest.raises(SystemExit):
        main(["sweep", str(config), "--layers", "1-2", "--pooling", "mean,cls", "--out", str(tmp_path / "s"), "-q"])
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "use pooling = 'last'" in err and len(err.splitlines()) == 1


def test_the_command_writes_the_page_and_the_table(config_file, tmp_path, capsys):
    main(
        [
            "sweep",
            str(config_file),
            "--layers",
            "1-2",
            "--pooling",
            "cls,mean",
            "--sizes",
            "40,all",
            "--out",
            str(tmp_path / "s"),
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert (
        "8 cells (8 computed" in err and (tmp_path / "s" / runner.PAGE).read_text().count('<g class="series"') == 4 * 14
    )  # 6 findings x 2 conditions + 2
    assert np.isfinite(read_json(tmp_path / "s" / runner.SWEEP)["cells"][0]["findings"]["separability"]["all"]["value"])
