"""Extraction on a local Ray cluster fills the same activation store as a local run, with the same vectors."""

from __future__ import annotations

import numpy as np
import pytest

from illusion.errors import IllusionError
from illusion.run import store as store_module
from illusion.run.config import load_config
from illusion.run.pipeline import open_store, run
from tests.helpers.run_configs import write_run_config

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'ray>=2.9'")
from illusion.run.ray_extract import extract  # noqa: E402

pytestmark = pytest.mark.slow


def _config(tmp_path, tiny_bert, cache: str):
    path = write_run_config(
        tmp_path / f"{cache}.toml",
        {"model": str(tiny_bert), "max_length": 64},
        [{"name": "jokes", "plugin": "jokes"}, {"name": "bible", "plugin": "bible", "n": 300}],
        [{"plugin": "random", "count": 3}],
        controls=0,
        cache_dir=str(tmp_path / cache),
    )
    return load_config(path)


def test_ray_extraction_equals_local_extraction_and_a_run_reuses_it(tmp_path, tiny_bert, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK", 64)  # several shards per dataset
    on_ray, local = _config(tmp_path, tiny_bert, "ray"), _config(tmp_path, tiny_bert, "local")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 2**20)
    try:
        keys = extract(on_ray, workers=2)
        with pytest.raises(IllusionError, match="differs from this machine's"):  # vectors the run here would not find
            extract(on_ray, workers=1, worker_options={"dtype": "float16"})
    finally:
        ray.shutdown()
    run(local, tmp_path / "local-run")
    for name, key in keys.items():
        assert open_store(local).has(key), f"{name}: Ray wrote under a key the local run does not use"
        np.testing.assert_allclose(open_store(on_ray).load(key), open_store(local).load(key), rtol=1e-5, atol=1e-6)

    written = {key: open_store(on_ray).path(key).stat().st_mtime_ns for key in keys.values()}
    result = run(on_ray, tmp_path / "ray-run")
    assert {key: open_store(on_ray).path(key).stat().st_mtime_ns for key in keys.values()} == written  # reused, not recomputed
    assert len(result.topk) == 3 * 2
