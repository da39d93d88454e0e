"""The explorer's static folder and server, without a browser: files, escaping, old runs, refusals, loopback."""

import json
import re
import subprocess
import sys
import threading
import urllib.request

import pytest

from illusion.cli import main
from illusion.common.numbers import figure, score
from illusion.errors import IllusionError
from illusion.explore.serve import server, url
from illusion.explore.site import script, write_site
from illusion.explore.words import bucket, words
from illusion.run.config import load_config
from illusion.run.pipeline import run
from tests.helpers.run_configs import write_text_run_config

SENTENCES = {
    "animals": ["the cat sat on the mat.", "a dog and a cat.", "</script><script>alert(1)</script> cats.", "dogs bark at night."],
    "scripture": ["god said let there be light.", "and there was light.", "the king was at war.", "let the king be."],
}


@pytest.fixture(scope="module")
def small_run(tiny_bert, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore-run")
    run(load_config(write_text_run_config(folder, SENTENCES, tiny_bert, k=2, controls=1)), folder / "run")
    return folder / "run"


def data(out, name):
    """A data file's content, read back as the page receives it."""
    text = (out / "data" / f"{name}.js").read_text(encoding="utf-8")
    prefix = f"EXPLORE.put({json.dumps(name)},"
    assert text.startswith(prefix) and text.endswith(");\n")
    return json.loads(text[len(prefix) : -3])


def test_data_files_cannot_close_their_script():
    text = script("d/0", ["</script><img src=x onerror=alert(1)>"])
    assert (
        "</script" not in text
        and "<img" not in text
        and json.loads(text[len('EXPLORE.put("d/0",') : -3]) == ["</script><img src=x onerror=alert(1)>"]
    )


def test_static_folder_holds_every_direction_sentence_and_word(small_run, tmp_path):
    out = write_site(small_run, tmp_path / "site")
    manifest = json.loads((small_run / "manifest.json").read_text())
    index = data(out, "index")
    assert index["columns"]["id"] == [d["id"] for d in manifest["directions"]] and index["profiles"]
    first = data(out, "d/0")[0]
    assert first["id"] == manifest["directions"][0]["id"] and len(first["sets"]) == 2
    assert [sum(h) for h in first["hist"]] == [4, 4]  # every sentence of each dataset in the histogram
    sentences = data(out, "s/0/0")
    topk = [json.loads(line) for line in (small_run / "topk.jsonl").read_text().splitlines()]
    top = next(r for r in topk if r["direction"] == first["id"] and r["dataset"] == "animals")["top"]
    assert [sentences[n][1] for n, *_ in first["sets"][0]["top"]] == [e["text"] for e in top]
    for word in words(top[0]["text"]):
        assert first["id"] in [index["columns"]["id"][n] for n, _ in data(out, f"w/{bucket(word)}")[word]]
    html = (out / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and '<script src="explore.js">' in html
    assert "http" not in (out / "explore.js").read_text().replace("http://www.w3.org/2000/svg", "")


def test_a_diagnosed_run_shows_each_figure_with_its_interval_as_the_report_does(small_run, tmp_path):
    import shutil

    from illusion.diagnostics.suite import write_diagnostics

    diagnosed = tmp_path / "run"
    shutil.copytree(small_run, diagnosed)
    diagnostics = write_diagnostics(diagnosed)
    out = write_site(diagnosed, tmp_path / "site")
    first, index = data(out, "d/0")[0], data(out, "index")
    bounds = diagnostics["uncertainty"]["directions"][first["id"]]
    assert first["shown"]["score"] == figure(diagnostics["illusion_score"]["directions"][first["id"]]["score"], bounds["score"])
    assert "95% CI" in first["shown"]["score"]
    assert first["shown"]["parts"]["separation"].startswith(score(first["parts"]["separation"]))
    assert index["reliability"] == diagnostics["uncertainty"]["reliability"]


def test_old_runs_without_profiles_still_open(small_run, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(small_run, old)
    for file in old.glob("profile-*"):
        file.unlink()
    first = data(write_site(old, tmp_path / "site"), "d/0")[0]
    assert "hist" not in first and first["sets"][0]["top"]


def test_static_refuses_a_folder_it_did_not_write_and_replaces_its_own(small_run, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep me")
    with pytest.raises(IllusionError, match="not an explorer folder"):
        write_site(small_run, tmp_path / "mine")
    write_site(small_run, tmp_path / "site")
    write_site(small_run, tmp_path / "site")  # again: its own folder is replaced
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep me"


def test_command_writes_the_static_folder(small_run, tmp_path, capsys):
    main(["explore", str(small_run), "--static", str(tmp_path / "site"), "--quiet"])
    assert (tmp_path / "site" / "index.html").is_file() and "index.html" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["explore", str(tmp_path / "site" / "data"), "--static", str(tmp_path / "other"), "--quiet"])
    assert "manifest.json" in capsys.readouterr().err


def test_server_listens_on_loopback(small_run, tmp_path):
    out = write_site(small_run, tmp_path / "site")
    httpd = server(out)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        assert httpd.server_address[0] == "127.0.0.1" and url(httpd).startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url(httpd) + "data/index.js") as response:
            assert response.read().startswith(b'EXPLORE.put("index",')
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_command_serves_on_loopback_prints_the_url_and_cleans_up(small_run):
    process = subprocess.Popen(
        [sys.executable, "-m", "illusion.cli", "explore", str(small_run), "--quiet"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        address = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(address) as response:
            assert b"illusion explore" in response.read()
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_driving_token_offsets_count_as_the_browser_does():
    from illusion.explore.sentences import SentenceTable, utf16

    assert utf16("a\U0001f600b", 2) == 3 and utf16("plain", 3) == 3
    table = SentenceTable(["x"])
    assert table.entry("x", {"id": 7, "text": "\U0001f600 cat", "score": 1.23456, "span": [2, 5]}) == [0, 1.2346, 3, 6]
    assert table.entry("x", {"id": 7, "text": "\U0001f600 cat", "score": 1.0, "span": [4, 99]}) == [
        0,
        1.0,
    ]  # out of range: unmarked
