"""The explorer's static folder and server, without a browser: files, escaping, old runs, refusals, loopback."""

import json
import re
import subprocess
import sys
import urllib.request

import pytest

from illusion.cli import main
from illusion.common.marks import word_span
from illusion.common.numbers import figure, score
from illusion.errors import IllusionError
from illusion.explore.build import SCALE
from illusion.explore.site import script, write_site
from illusion.explore.words import bucket, words
from tests.helpers.explore_runs import data, serving


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
    listed = first["sets"][0]["top"]
    assert [sentences[n][1] for n in listed["n"]] == [e["text"] for e in top]
    assert [s / SCALE for s in listed["s"]] == [round(e["score"], 4) for e in top]
    for word in words(top[0]["text"]):
        postings = data(out, f"w/{bucket(word)}")[word]
        assert first["id"] in [index["columns"]["id"][n] for n in postings[::2]]
    html = (out / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and '<script src="explore.js">' in html
    assert "http" not in (out / "explore.js").read_text().replace("http://www.w3.org/2000/svg", "")


def test_marks_are_whole_words_and_intervals_leave_out_the_listed_sentences(small_run, tmp_path):
    out = write_site(small_run, tmp_path / "site")
    topk = {(r["direction"], r["dataset"]): r for r in map(json.loads, (small_run / "topk.jsonl").read_text().splitlines())}
    blocks = [data(out, "s/0/0"), data(out, "s/1/0")]
    marked = 0
    for page in data(out, "d/0"):
        for d, (name, found) in enumerate(zip(["animals", "scripture"], page["sets"])):
            for side in ("top", "bottom"):
                listed, row = found[side], topk[page["id"], name][side]
                for n, a, b, entry in zip(listed["n"], listed["a"], listed["b"], row):
                    assert (a, b) == tuple(word_span(entry["text"], entry["span"]) or (-1, -1))
                    text = blocks[d][n][1]
                    if a >= 0:
                        marked += 1
                        assert (a == 0 or not text[a - 1].isalnum()) and (b == len(text) or not text[b].isalnum())
            shown = set(found["top"]["n"]) | set(found["bottom"]["n"])
            samples = [n for interval in page["samples"][d]["n"] for n in interval if n >= 0]
            assert not shown & set(samples)
    assert marked > 0


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
    with serving(write_site(small_run, tmp_path / "site")) as address:
        assert address.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(address + "data/index.js") as response:
            assert response.read().startswith(b'EXPLORE.put("index",')


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
    from illusion.explore.sentences import mark, utf16

    assert utf16("a\U0001f600b", 2) == 3 and utf16("plain", 3) == 3
    assert mark("\U0001f600 cat", [3, 5]) == (3, 6)  # "##at" grows to "cat", counted in UTF-16
    assert mark("\U0001f600 cat", [4, 99]) is None and mark("cat .", [4, 5]) is None  # out of range; no letter
