"""The fault zoo, installed as a real distribution: every broken plugin breaks only itself.

For each fault: the run's message names the plugin and the culprit, nothing broken is left in the
run folder or the activation store, ``illusion plugins NAME --check`` exits 1, and after the fix a
run on the same cache succeeds (and the fixed plugin passes its checks).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from illusion.cli import cli
from illusion.errors import IllusionWarning
from illusion.host import Host
from illusion.run import store as store_module
from illusion.run.config import load_config
from tests.helpers.fault_zoo import DISTRIBUTION, FAULTS, assert_cache_sound, install_zoo
from tests.helpers.run_configs import write_run_config


@pytest.fixture
def zoo(site):
    install_zoo(site)
    return site


def zoo_config(folder, fault=None, **dataset_options):
    """A run over the zoo's good parts and the built-in jokes, with ``fault`` in its role."""
    role = fault.role if fault else None
    if fault and fault.clashes_with:
        lines = {"plugin": fault.clashes_with, "n": 300}  # the plain name: the built-in, whatever else is installed
    else:
        lines = {"plugin": fault.name if role == "datasets" else "zoo-lines", **dataset_options}
    sampler = {"plugin": fault.name} if role == "samplers" else {"plugin": "neuron", "count": 3}
    return write_run_config(
        folder / "run.toml",
        {"plugin": fault.name if role == "model" else "zoo-words"},
        [{"name": "lines", **lines}, {"name": "jokes", "plugin": "jokes", "min_words": 1}],
        [sampler, {"plugin": "random", "count": 2}],
        cache_dir=str(folder / "cache"),
        diagnostics=False,
    )


def run(config, out):
    return CliRunner().invoke(cli, ["run", str(config), "--out", str(out), "--quiet"])


def check(name):
    return CliRunner().invoke(cli, ["plugins", name, "--check"])


@pytest.mark.slow
@pytest.mark.parametrize("name", FAULTS)
def test_a_fault_breaks_only_its_plugin_and_the_fix_runs_on_the_same_cache(zoo, tmp_path, name):
    fault = FAULTS[name]
    config = zoo_config(tmp_path, fault)
    broken = run(config, tmp_path / "broken")
    if fault.message:
        assert broken.exit_code == 1 and fault.message in str(broken.exception), (broken.output, broken.exception)
        assert not (tmp_path / "broken" / "manifest.json").exists()
    else:
        assert broken.exit_code == 0, broken.output
    assert "plugin problem illusion-fault-zoo (plugin 'ica'): failed to import zoo_ica: SyntaxError" in broken.output
    assert_cache_sound(tmp_path / "cache")
    checked = check(fault.broken_name)
    assert checked.exit_code == (1 if fault.check else 0) and fault.check in checked.output, checked.output

    install_zoo(zoo, fixed={name})
    fixed = run(config, tmp_path / "fixed")
    assert fixed.exit_code == 0, (fixed.output, fixed.exception)
    assert (tmp_path / "fixed" / "manifest.json").exists()
    assert_cache_sound(tmp_path / "cache")
    assert check(name).exit_code == 0


def test_the_good_plugins_of_the_zoo_pass_their_checks_beside_the_broken_ones(zoo):
    result = CliRunner().invoke(cli, ["plugins", "--check", "--json", "--dist", DISTRIBUTION])
    assert result.exit_code == 1
    [report] = json.loads(result.output)["distributions"]
    failed = {p["name"]: [o["check"] for o in p["outcomes"] if o["status"] == "failed"] for p in report["plugins"]}
    assert failed["zoo-lines"] == [] and failed["zoo-words"] == []
    passing = {name for name, fault in FAULTS.items() if not fault.check}
    assert {name for name, checks in failed.items() if checks} == set(FAULTS) - passing - {"ica", "zoo-clash"} | {"bible"}


def test_a_new_release_of_a_model_plugin_never_reuses_the_old_ones_vectors(zoo, tmp_path):
    """The author changed the code but not ``identity``: the store key carries the distribution's version."""
    config = zoo_config(tmp_path)
    assert run(config, tmp_path / "first").exit_code == 0
    install_zoo(zoo, version="1.1", sign=-1.0)
    result = run(config, tmp_path / "second")
    assert result.exit_code == 0, result.output
    first, second = (json.loads((tmp_path / out / "topk.jsonl").read_text().splitlines()[0]) for out in ("first", "second"))
    assert [e["score"] for e in second["top"]] != [e["score"] for e in first["top"]]
    entries = CliRunner().invoke(cli, ["cache", "--cache-dir", str(tmp_path / "cache")])
    assert entries.output.count("zoo-words  lines") == 2  # one entry per release


def test_the_default_run_ignores_an_installed_clash(zoo):
    host = Host()
    config = load_config()
    used = [("model layer", config.model.plugin)] + [("dataset", d.plugin) for d in config.datasets]
    used += [("direction sampler", s.plugin) for s in config.samplers]
    assert "bible" in {name for _, name in used}
    assert {host.distribution_of(kind, name).name for kind, name in used} == {"illusion"}
    assert host.distribution_of("dataset", f"{DISTRIBUTION}:bible").name == DISTRIBUTION


def test_the_listing_marks_the_shadowed_plugin_and_shows_problems_first(zoo):
    result = CliRunner().invoke(cli, ["plugins"], env={"COLUMNS": "80"})
    lines = result.output.splitlines()
    assert result.output.startswith("problem illusion-fault-zoo (plugin 'ica'): failed to import zoo_ica:")
    [shadowed] = [line for line in lines if line.startswith(f"  {DISTRIBUTION}:bible")]
    assert shadowed.endswith(f"{DISTRIBUTION} (shadowed)")
    assert [line for line in lines if len(line) > 80] == []


def test_asking_for_more_sentences_than_a_dataset_has_warns_with_both_numbers(zoo, tmp_path):
    config = zoo_config(tmp_path, n=1000)
    with pytest.warns(
        IllusionWarning, match=r"dataset 'lines' \(plugin 'zoo-lines'\): n = 1000 sentences asked for, but only 700 are left"
    ):
        result = run(config, tmp_path / "out")
    assert result.exit_code == 0


def test_no_cache_leaves_the_store_untouched(zoo, tmp_path):
    config = zoo_config(tmp_path)
    result = CliRunner().invoke(cli, ["run", str(config), "--out", str(tmp_path / "out"), "--quiet", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "cache").exists()
    cached = run(config, tmp_path / "cached")
    same = [json.loads(line)["top"] for line in (tmp_path / "out" / "topk.jsonl").read_text().splitlines()]
    assert same == [json.loads(line)["top"] for line in (tmp_path / "cached" / "topk.jsonl").read_text().splitlines()]
    assert cached.exit_code == 0 and np.load(next((tmp_path / "cache").rglob("vectors.npy"))).shape[1] == 16


def test_a_run_reaches_the_shadowed_plugin_by_its_qualified_name(zoo, tmp_path):
    config = write_run_config(
        tmp_path / "run.toml",
        {"plugin": "zoo-words"},
        [{"name": "theirs", "plugin": f"{DISTRIBUTION}:bible"}, {"name": "ours", "plugin": "bible", "n": 300}],
        [{"plugin": "illusion:random", "count": 2}],
        cache_dir=str(tmp_path / "cache"),
        diagnostics=False,
    )
    result = run(config, tmp_path / "out")
    assert result.exit_code == 0, (result.output, result.exception)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    used = {(p["name"], p["distribution"]) for p in manifest["plugins"]}
    assert {(f"{DISTRIBUTION}:bible", DISTRIBUTION), ("bible", "illusion"), ("illusion:random", "illusion")} <= used
    assert [d["size"] for d in manifest["datasets"]] == [700, 300]
    assert [d["id"] for d in manifest["directions"]] == ["random:0", "random:1"]


def test_changed_code_at_the_same_version_is_recomputed(zoo, tmp_path):
    """A reinstall (or an edited editable install) keeps the version: the store key carries a fingerprint of the code."""
    config = zoo_config(tmp_path)
    assert run(config, tmp_path / "first").exit_code == 0
    install_zoo(zoo, sign=-1.0)  # same version 1.0, other vectors
    result = run(config, tmp_path / "second")
    assert result.exit_code == 0, result.output
    first, second = (json.loads((tmp_path / out / "topk.jsonl").read_text().splitlines()[0]) for out in ("first", "second"))
    assert [e["score"] for e in second["top"]] != [e["score"] for e in first["top"]]
    fingerprints = [
        {
            p["fingerprint"]
            for p in json.loads((tmp_path / out / "manifest.json").read_text())["plugins"]
            if p["name"] == "zoo-words"
        }
        for out in ("first", "second")
    ]
    assert fingerprints[0] != fingerprints[1] and all(len(f) == 1 and "" not in f for f in fingerprints)
    install_zoo(zoo)  # the first code again: its vectors are still in the store
    again = run(config, tmp_path / "again")
    assert again.exit_code == 0
    assert (tmp_path / "again" / "topk.jsonl").read_text() == (tmp_path / "first" / "topk.jsonl").read_text()


def test_a_bad_later_chunk_names_the_datasets_row_and_keeps_the_good_chunks(zoo, tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK", 64)
    fault = FAULTS["zoo-late-nan"]
    config = zoo_config(tmp_path, fault)
    broken = run(config, tmp_path / "broken")
    assert broken.exit_code == 1
    assert str(broken.exception).endswith(
        "vectors hold NaN or infinite values (first in row 100); rows 64-127 were not stored; "
        "rows 0-63 are stored (a rerun of the same code resumes from there)"
    ), broken.exception
    [chunk] = (tmp_path / "cache").rglob("chunks/*.npy")
    assert chunk.name == "000000.npy" and np.isfinite(np.load(chunk)).all()
    listed = CliRunner().invoke(cli, ["cache", "--cache-dir", str(tmp_path / "cache")]).output
    assert "zoo-words  lines" in listed and "(partial)" in listed  # the partial entry says what it holds
    install_zoo(zoo, fixed={fault.name})
    assert run(config, tmp_path / "fixed").exit_code == 0
    # the fixed code has a key of its own: the broken code's good part is all that is left of it
    assert list((tmp_path / "cache").rglob("chunks")) == [chunk.parent]
    shutil.rmtree(chunk.parent.parent)
    assert_cache_sound(tmp_path / "cache")
