"""The served explorer without a browser: its site kept in the cache, directions computed on demand, explanations."""

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from illusion.errors import IllusionError
from illusion.explore import site
from illusion.explore.build import SCALE
from illusion.explore.explanations import read_explanations
from illusion.explore.ondemand import OnDemand
from illusion.run.folder import EXPLANATIONS
from illusion.run.schema import ExplanationRow
from illusion.run.view import open_run
from tests.helpers.explore_runs import data, serving
from tests.helpers.explore_runs import explanation as explained


def explanation(direction: str, source: str, text: str) -> dict:
    """One row of explanations.jsonl, scored on the small run's datasets."""
    return explained(direction, source, text, {"animals": "holds", "scripture": "fails"})


def test_a_second_start_serves_the_cached_site_and_a_changed_run_is_written_again(small_run, tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    written = []
    write = site.write_site
    monkeypatch.setattr(site, "write_site", lambda *args, **kw: written.append(args[0]) or write(*args, **kw))
    first = site.cached_site(run, tmp_path / "cache")
    stamp = (first / "data" / "index.js").stat().st_mtime_ns
    again = site.cached_site(run, tmp_path / "cache")
    assert again == first and len(written) == 1 and (again / "data" / "index.js").stat().st_mtime_ns == stamp
    (run / EXPLANATIONS).write_text(json.dumps(explanation("neuron:0", "animals", "cats")) + "\n")
    changed = site.cached_site(run, tmp_path / "cache")
    assert changed == first and len(written) == 2 and data(changed, "index")["explanations"]
    assert [p.name for p in (tmp_path / "cache" / "explore").iterdir()] == [first.parent.name]  # one site per run
    (tmp_path / "taken").write_text("a file where the cache should be")
    with pytest.raises(IllusionError, match="cannot keep the explorer there.*ILLUSION_CACHE_DIR"):
        site.cached_site(run, tmp_path / "taken")


def test_a_computed_page_of_a_sampled_direction_matches_its_written_page(small_run, tmp_path):
    out = site.write_site(small_run, tmp_path / "site")
    written = data(out, "d/0")[0]
    computed = OnDemand(small_run).page(written["id"])
    assert computed["hist"] == written["hist"] and computed["range"] == written["range"]
    assert computed["pooled"] == written["pooled"] and computed["overlap"] == written["overlap"]
    blocks = [data(out, "s/0/0"), data(out, "s/1/0")]
    for d, (mine, theirs) in enumerate(zip(computed["sets"], written["sets"])):
        for side in ("top", "bottom"):
            assert [s / SCALE for s in mine[side]["s"]] == pytest.approx([s / SCALE for s in theirs[side]["s"]], abs=2e-4)
            assert mine[side]["n"] == [blocks[d][n][1] for n in theirs[side]["n"]]
        samples = [[blocks[d][n][1] if n >= 0 else -1 for n in row] for row in written["samples"][d]["n"]]
        assert computed["samples"][d]["n"] == samples


def test_any_neuron_of_the_layer_opens_and_a_bad_spec_says_why(small_run, tmp_path):
    run = open_run(small_run)
    unsampled = next(f"neuron:{n}" for n in range(run.dim) if f"neuron:{n}" not in run.direction_ids)
    asked = []
    pages = OnDemand(
        small_run,
        explain=lambda view, spec: (
            asked.append(spec) or [ExplanationRow.model_validate(explanation(spec, "animals", "<b>x</b>"))]
        ),
    )
    page = pages.page(unsampled)
    activations = run.activations(unsampled)
    top = activations[activations.dataset == "animals"].sort_values("activation", ascending=False)
    assert page["sets"][0]["top"]["n"] == top.text.tolist()[: run.k] and page["computed"].startswith("neuron ")
    assert sum(page["hist"][0]) == (activations.dataset == "animals").sum()
    assert asked == [unsampled] and page["explanations"][0]["explanation"] == "<b>x</b>"
    assert page["explained"].startswith("Computed on demand for this page by keywords with the defaults of `illusion explain`")
    for bad, why in [
        ("neuron:99999", "outside this layer"),
        ("banana:3", "no direction 'banana:3'"),
        ("file:/nowhere.npy", "nowhere"),
    ]:
        assert why in OnDemand(small_run).page(bad)["error"]


def test_the_server_computes_what_the_folder_does_not_hold(small_run, tmp_path):
    out = site.write_site(small_run, tmp_path / "site")
    vector = np.zeros(open_run(small_run).dim, dtype=np.float32)
    vector[1] = -1.0
    np.save(tmp_path / "mine.npy", vector[None, :])

    def ask(address: str, spec: str) -> dict:
        name = "x/" + urllib.parse.quote(spec, safe="")
        with urllib.request.urlopen(address + f"data/{name}.js") as response:
            text = response.read().decode()
        prefix = f"EXPLORE.put({json.dumps(name)},"
        assert text.startswith(prefix)
        return json.loads(text[len(prefix) : -3])

    with serving(out, OnDemand(small_run)) as address:
        found = ask(address, f"file:{tmp_path / 'mine.npy'}")
        assert found["id"] == f"file:{tmp_path / 'mine.npy'}" and len(found["sets"]) == 2
        assert "error" in ask(address, "</script><script>alert(1)</script>")
    with serving(out) as address, pytest.raises(urllib.error.HTTPError, match="404"):  # a static server: not computed
        ask(address, "neuron:1")


def test_a_computed_page_of_an_explained_direction_shows_the_file_s_rows(small_run, tmp_path):
    run = Path(shutil.copytree(small_run, tmp_path / "run"))
    identifier = open_run(run).direction_ids[0]
    (run / EXPLANATIONS).write_text(json.dumps(explanation(identifier, "animals", "cats")) + "\n")
    asked = []
    page = OnDemand(run, explain=lambda view, spec: asked.append(spec) or []).page(identifier)
    assert asked == [] and "explained" not in page and page["explanations"] == read_explanations(run)[identifier]


def test_the_server_refuses_other_sites(small_run, tmp_path):
    out = site.write_site(small_run, tmp_path / "site")

    def status(address: str, headers: dict) -> int:
        request = urllib.request.Request(address + "data/x/neuron%3A1.js", headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with serving(out, OnDemand(small_run)) as address:
        assert status(address, {"Sec-Fetch-Site": "same-origin"}) == 200
        assert status(address, {"Sec-Fetch-Site": "cross-site"}) == 403  # a page elsewhere including the script
        port = urllib.parse.urlsplit(address).port
        assert status(address, {"Host": f"attacker.example:{port}"}) == 403  # a name rebound to loopback
        assert status(address, {"Host": f"localhost:{port}"}) == 200


def test_explanations_are_read_by_direction_and_a_bad_line_is_named(tmp_path):
    assert read_explanations(tmp_path) == {}
    rows = [explanation("neuron:1", "animals", "cats"), explanation("neuron:1", "scripture", "kings")]
    (tmp_path / EXPLANATIONS).write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"direction": "neuron:1"}\n')
    with pytest.raises(IllusionError, match=rf"{EXPLANATIONS}, line 3: no condition; rerun `illusion explain`"):
        read_explanations(tmp_path)
    (tmp_path / EXPLANATIONS).write_text("".join(json.dumps(r) + "\n" for r in rows))
    found = read_explanations(tmp_path)["neuron:1"]
    assert [r["source"] for r in found] == ["animals", "scripture"] and found[0]["scores"][1]["verdict"] == "fails"
    assert set(found[0]) == {"explainer", "source", "explanation", "detector", "scores", "transfer_gap"} | {
        "transfer_gap_low",
        "transfer_gap_high",
    }


def test_shading_marks_most_the_run_s_own_driving_token(small_run):
    run = open_run(small_run)
    pages = OnDemand(small_run)
    identifier = run.direction_ids[0]
    found = pages.shading(identifier)
    listed = run.topk(direction=identifier)
    checked = 0
    for d, name in enumerate(run.datasets):
        for side, sign in (("top", 1), ("bottom", -1)):
            rows = listed[(listed.dataset == name) & (listed.side == side)].sort_values("rank")
            assert len(found["sets"][d][side]) == len(rows)
            for tokens, start, end in zip(found["sets"][d][side], rows.span_start, rows.span_end):
                assert all(-1 <= share <= 1 for *_, share in tokens) and max(abs(t[2]) for t in tokens) == 1
                strongest = max(tokens, key=lambda t: sign * t[2])
                assert strongest[:2] == [start, end]
                checked += 1
    assert checked == 2 * 2 * run.k
    unsampled = next(f"neuron:{n}" for n in range(run.dim) if f"neuron:{n}" not in run.direction_ids)
    computed, page = pages.shading(unsampled), pages.page(unsampled)
    assert [len(s["top"]) for s in computed["sets"]] == [len(s["top"]["n"]) for s in page["sets"]]
    assert "outside this layer" in pages.shading("neuron:99999")["error"]
