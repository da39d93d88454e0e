"""`illusion run --ray` on a local two-node Ray cluster gives the single-machine run's answers; failures are clear and resumable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from illusion.diagnostics.suite import write_diagnostics
from illusion.errors import IllusionError
from illusion.run.config import load_config
from illusion.run.data import load_run_data
from illusion.run.folder import CONTROLS, PROFILE_HISTOGRAMS, PROFILE_SAMPLES, PROFILE_SENTENCES, RunFolder
from illusion.run.pipeline import run
from illusion.run.ray_passes import SHARDS
from tests.helpers.run_configs import write_run_config
from tests.helpers.tiny_models import WORDS

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'ray>=2.9'")
from illusion.run.ray_run import run_on_ray  # noqa: E402

pytestmark = pytest.mark.slow
SAMPLERS = ({"plugin": "neuron", "count": 3}, {"plugin": "random", "count": 2}, {"plugin": "pca", "count": 2})


@pytest.fixture(scope="module")
def cluster():
    """One head and one worker node, one CPU each: started once for the module (Ray starts slowly)."""
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 80 * 2**20})
    nodes.add_node(num_cpus=1, object_store_memory=80 * 2**20)
    ray.init(address=nodes.address, log_to_driver=False)
    yield nodes
    ray.shutdown()
    nodes.shutdown()


def _config(folder, tiny_bert, cache="cache"):
    rng = np.random.default_rng(0)
    for name, files in (("notes", 3), ("rows", 2)):
        (folder / name).mkdir(exist_ok=True)
        for number in range(files):
            lines = [" ".join(rng.choice(WORDS[:18], size=rng.integers(4, 12))) for _ in range(40)]
            if name == "notes":
                (folder / name / f"{number}.txt").write_text("\n".join(lines) + "\n")
            else:
                (folder / name / f"{number}.jsonl").write_text("".join(json.dumps({"text": line}) + "\n" for line in lines))
    datasets = [
        {"name": "notes", "plugin": "text", "path": str(folder / "notes" / "*.txt"), "min_words": 1},
        {"name": "rows", "plugin": "table", "path": str(folder / "rows" / "*.jsonl"), "min_words": 1, "n": 50},
    ]
    model = {
        "plugin": "transformer",
        "model": str(tiny_bert),
        "device": "cpu",
        "batch_size": 1,
    }  # no padding: vectors as on workers
    path = write_run_config(folder / "run.toml", model, datasets, SAMPLERS, k=3, controls=2, cache_dir=str(folder / cache))
    return load_config(path)


def test_a_run_on_two_ray_nodes_equals_the_single_machine_run(cluster, tmp_path, tiny_bert):
    import torch

    config = _config(tmp_path, tiny_bert)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a one-CPU worker: the same sums in the same order
    try:
        single = run(config, tmp_path / "single")
    finally:
        torch.set_num_threads(threads)
    spread = run_on_ray(config, tmp_path / "ray", sample=1000)  # the sample holds every sentence: diagnostics compare
    assert spread.manifest.ray.shards == {"notes": 3, "rows": 2} and not (tmp_path / "ray" / SHARDS).exists()
    assert {d.name: d.size for d in spread.manifest.datasets} == {"notes": 120, "rows": 50}
    assert set(spread.manifest.ray.bytes) == {"count", "encode", "top-k", "details"}
    here, there = RunFolder(tmp_path / "single"), RunFolder(tmp_path / "ray")
    assert here.topk() == there.topk()  # ids, scores and driving tokens
    assert here.read_json("stats.json") == there.read_json("stats.json")
    for name in (CONTROLS, PROFILE_SENTENCES):
        assert here.read_jsonl(name) == there.read_jsonl(name)
    for name in (PROFILE_HISTOGRAMS, PROFILE_SAMPLES):
        np.testing.assert_array_equal(here.read_npy(name), there.read_npy(name))
    expected = write_diagnostics(tmp_path / "single", datasets=single.datasets)
    found = write_diagnostics(tmp_path / "ray", datasets=spread.datasets)
    differing = {key for key in expected if expected[key] != found[key]}
    assert differing - {"created"} == {"run_id", "timings"}  # "created" is a clock time: the two may fall in different seconds
    reloaded = load_run_data(tmp_path / "ray")  # as `illusion diagnose` reads the run: its datasets read in shards again
    assert reloaded.records == {d.name: d.records for d in single.datasets}


def test_a_failed_shard_is_named_and_a_second_start_resumes_the_finished_ones(cluster, tmp_path, tiny_bert):
    config = _config(tmp_path, tiny_bert)
    broken = tmp_path / "rows" / "1.jsonl"
    good = broken.read_text()
    broken.write_text(good + "{not json\n")
    with pytest.raises(IllusionError, match=r"a Ray worker failed on shard rows\[1.jsonl\]: .*line 41: not valid JSON"):
        run_on_ray(config, tmp_path / "ray")
    assert len(list((tmp_path / "ray" / SHARDS).rglob("*.pkl"))) == 4  # the count pass of every other shard, kept
    broken.write_text(good)
    again = run_on_ray(config, tmp_path / "ray")
    assert again.manifest.ray.resumed == 4 and len(again.topk) == 7 * 2


def test_a_worker_without_the_model_is_a_clear_error(cluster, tmp_path, tiny_bert):
    config = _config(tmp_path, tiny_bert)
    with pytest.raises(
        IllusionError, match=r"a Ray worker failed on shard notes\[0.txt\].*same illusion, plugins, data files and model"
    ):
        run_on_ray(config, tmp_path / "ray", worker_options={"model": str(tmp_path / "nowhere")})
    with pytest.raises(IllusionError, match="a Ray worker's model differs from this machine's"):
        run_on_ray(config, tmp_path / "other", worker_options={"dtype": "float16"})


def test_the_command_refuses_ray_options_that_cannot_work(tmp_path, tiny_bert):
    from click.testing import CliRunner

    from illusion.cli import cli

    path = tmp_path / "run.toml"
    _config(tmp_path, tiny_bert)
    alone = CliRunner().invoke(cli, ["run", str(path), "--out", str(tmp_path / "r"), "--worker-option", "device=cuda"])
    assert alone.exit_code == 2 and "--worker-option" in alone.output and "only with --ray" in alone.output
    no_sample = CliRunner().invoke(cli, ["run", str(path), "--out", str(tmp_path / "r"), "--ray", "local", "--ray-sample", "0"])
    assert no_sample.exit_code == 2 and "--ray-sample must be at least 1" in no_sample.output


def test_the_command_writes_the_whole_run_folder_on_the_cluster(cluster, tmp_path, tiny_bert):
    import subprocess
    import sys

    _config(tmp_path, tiny_bert)
    command = [sys.executable, "-m", "illusion.cli", "run", str(tmp_path / "run.toml"), "-q", "--out", str(tmp_path / "out")]
    done = subprocess.run([*command, "--ray", cluster.address], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    folder = RunFolder(tmp_path / "out")
    assert folder.has("diagnostics.json") and folder.has("report.html") and not folder.has(SHARDS)
    assert folder.manifest().ray.shards == {"notes": 3, "rows": 2}
