import os
import stat

import pytest

from illusion import IllusionError
from illusion.common.files import atomic_writer, read_jsonl, write_json


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write("partial")
        raise RuntimeError("interrupted")
    assert target.read_text() == '{\n  "a": 1\n}\n'
    assert os.listdir(tmp_path) == ["out.json"]


def test_written_files_follow_the_umask(tmp_path):
    write_json(tmp_path / "x.json", [])
    mode = stat.S_IMODE((tmp_path / "x.json").stat().st_mode)
    current = os.umask(0)
    os.umask(current)
    assert mode == 0o666 & ~current


def test_malformed_jsonl_names_the_line(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"a": 1}\n\n{"a": \n')
    with pytest.raises(IllusionError, match="rows.jsonl, line 3: not valid JSON"):
        read_jsonl(tmp_path / "rows.jsonl")
    with pytest.raises(IllusionError, match="no such top-k file"):
        read_jsonl(tmp_path / "missing.jsonl", "top-k file")
