"""What a warm run keeps is never another run's: edge cases of the derived values and the driving-token cache (a
shared cache between configurations, a read-only cache, sources reached through a symbolic link)."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from illusion import Param
from illusion.host import Host
from illusion.run import derived as derived_module
from illusion.run.config import PluginChoice, load_config
from illusion.run.derived import Derived, files_digest
from illusion.run.pipeline import load_dataset
from tests.helpers.run_configs import write_text_run_config
from tests.helpers.word_runs import cli, word_sentences


def test_marks_after_a_float32_run_on_the_same_cache_are_those_of_a_cold_float16_run(tiny_bert, tmp_path):
    config = write_text_run_config(tmp_path, word_sentences(), tiny_bert, seed=1, k=3, controls=1)

    def run(out, cache, *settings):
        sets = [part for item in (f'cache_dir="{tmp_path / cache}"', *settings) for part in ("--set", item)]
        assert cli("run", config, "--out", tmp_path / out, "-q", "--no-diagnostics", *sets) == 0
        return (tmp_path / out / "marks.jsonl").read_text()

    run("first", "shared", "k=4")  # float32 vectors: the own directions of more sentences get their tokens cached
    assert run("warm", "shared", 'store_dtype="float16"') == run("cold", "alone", 'store_dtype="float16"')


def test_a_read_only_cache_keeps_nothing_but_the_records_are_still_read(tmp_path, monkeypatch):
    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(derived_module, "write_text", read_only)
    monkeypatch.setattr(derived_module, "atomic_writer", read_only)
    config = load_config(None, ["k=1", f'cache_dir="{tmp_path / "cache"}"'])
    (tmp_path / "lines.txt").write_text("one two\nthree four\n")
    choice = PluginChoice("lines", "text", {"path": str(tmp_path / "lines.txt"), "min_words": 1})
    derived = Derived(tmp_path / "cache")
    assert [r.text for r in load_dataset(Host(), choice, config, derived).records] == ["one two", "three four"]
    assert derived.put("k", {"a": 1}, [1]) is False
    derived.put_arrays("k", {"a": 1}, {"x": [1]})  # nothing kept, no error
    assert derived.get_arrays("k", {"a": 1}, ["x"]) is None


def test_a_file_edited_under_a_linked_folder_of_a_source_changes_its_digest(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere" / "lines.txt").write_text("one two\n")
    (tmp_path / "elsewhere" / "back").symlink_to(tmp_path / "corpus", target_is_directory=True)  # a cycle: walked once
    before = files_digest([tmp_path / "corpus"])
    (tmp_path / "elsewhere" / "lines.txt").write_text("one two three\n")
    assert files_digest([tmp_path / "corpus"]) != before


def test_a_source_folder_anywhere_counts_its_files(tmp_path):
    folder = tmp_path / "__pycache__" / "corpus"
    folder.mkdir(parents=True)
    (folder / "lines.txt").write_text("one two\n")
    before = files_digest([folder])
    (folder / "lines.txt").write_text("one two three\n")
    assert files_digest([folder]) != before


def test_the_records_of_a_dataset_plugin_without_a_code_file_are_read_again(tmp_path):
    import types

    from illusion import DatasetPlugin, Record, hookimpl

    config = load_config(None, ["k=1", f'cache_dir="{tmp_path / "cache"}"'])
    (tmp_path / "lines.txt").write_text("one two\n")
    derived = Derived(tmp_path / "cache")
    for version in ("one two", "three four"):  # the same name, options and sources; its code edited in between
        lines = DatasetPlugin(
            "lines",
            "Lines.",
            lambda path, text=version: [Record("1", text)],
            params=[Param("path", str)],
            sources=lambda path: [path],
        )
        host = Host()
        host.register(types.SimpleNamespace(illusion_datasets=hookimpl(lambda lines=lines: [lines])), "lines")
        choice = PluginChoice("lines", "lines", {"path": str(tmp_path / "lines.txt"), "min_words": 1})
        assert [r.text for r in load_dataset(host, choice, config, derived).records] == [version]


def test_a_package_installed_in_a_site_folder_of_the_base_python_counts(tmp_path, monkeypatch):
    import site
    import sys

    from tests.helpers.plugin_kit import add_distribution

    base = tmp_path / "base-site-packages"  # a --system-site-packages venv's base, or Debian's /usr/lib/python3/dist-packages
    base.mkdir()
    folders = [*site.getsitepackages(), str(base)]
    monkeypatch.setattr(site, "getsitepackages", lambda: folders)
    monkeypatch.setattr(sys, "path", [*sys.path, str(base)])
    before = derived_module.installed_packages()
    add_distribution(base, "scikit-learn", "9.9", {})
    assert derived_module.installed_packages() != before


def test_kept_top_k_copied_from_another_k_is_made_again(tmp_path):
    import numpy as np

    from illusion.run import warm

    derived = Derived(tmp_path / "cache")
    vectors = np.random.default_rng(0).standard_normal((20, 4)).astype(np.float32)
    directions = np.eye(2, 4, dtype=np.float32)
    warm.ranked(derived, "key", vectors, directions, 3)
    [three] = (tmp_path / "cache").rglob("*.npz")
    four = warm.ranked(derived, "key", vectors, directions, 4)
    [other] = [file for file in (tmp_path / "cache").rglob("*.npz") if file != three]
    shutil.copyfile(three, other)  # the k = 3 lists where the k = 4 ones were kept
    again = warm.ranked(derived, "key", vectors, directions, 4)
    np.testing.assert_array_equal(again.top_index, four.top_index)


def test_a_warm_read_of_kept_records_warns_as_the_cold_read_did(tmp_path):
    from illusion.errors import IllusionWarning

    config = load_config(None, ["k=1", f'cache_dir="{tmp_path / "cache"}"'])
    (tmp_path / "lines.txt").write_text("one two\nthree four\n")
    choice = PluginChoice("lines", "text", {"path": str(tmp_path / "lines.txt"), "min_words": 1, "n": 5})
    derived, host = Derived(tmp_path / "cache"), Host()
    for _ in ("cold", "warm"):
        with pytest.warns(IllusionWarning, match="n = 5 sentences asked for, but only 2 are left"):
            assert len(load_dataset(host, choice, config, derived).records) == 2


def test_the_code_digest_of_a_step_changes_with_the_code_it_calls(tmp_path, monkeypatch):
    import illusion
    from illusion.run import derived as derived_module

    copy = tmp_path / "illusion"  # a checkout of illusion's source, as an editable install reads it
    shutil.copytree(Path(illusion.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(illusion, "__file__", str(copy / "__init__.py"))
    before = derived_module.code_digest()
    seeds = copy / "common" / "seeds.py"  # check_indices draws its sentences with rng_for from here
    seeds.write_text(seeds.read_text() + "\n# seeded otherwise from here on\n")
    derived_module._source.cache_clear()  # the next run: a new process, which reads the source again
    assert derived_module.code_digest() != before
