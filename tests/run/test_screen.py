"""bfloat16 screening: its error bound holds for the real kernel, and the screened top-k is the float32 one."""

import numpy as np
import pytest
import torch

from illusion.run.screen import SPAN, UNIT, keys, ordered, reaching, rounding_bound
from illusion.run.topk import extremes
from tests.helpers.ranking import assert_brute_force_lists_but_near_ties


def adversarial(kind, rng):
    """Vectors and directions whose bfloat16 rounding errors line up (the bound's worst case) or are typical."""
    if kind == "aligned":  # every element rounds down by almost half a step, all products positive: errors add up
        x = 1 + (0.49 + 0.01 * rng.uniform(0, 1, (512, 384))) * 2.0**-8
        return x, 1 + (0.49 + 0.01 * rng.uniform(0, 1, (300, 384))) * 2.0**-8
    if kind == "positive":
        return rng.uniform(0.5, 1, (512, 384)), rng.uniform(0.5, 1, (300, 384))
    if kind == "normal":
        return rng.standard_normal((512, 384)), rng.standard_normal((300, 384))
    return 1e3 * rng.standard_normal((512, 768)), 1e-2 * rng.uniform(0, 1, (300, 768))


@pytest.mark.parametrize("kind", ["aligned", "positive", "normal", "large"])
def test_the_bound_covers_the_kernels_error(kind):
    x, d = (part.astype(np.float32) for part in adversarial(kind, np.random.default_rng(3)))
    low_d, low_x = torch.from_numpy(d).bfloat16(), torch.from_numpy(x).bfloat16()
    screened = torch.mm(low_d, low_x.T).float().numpy()
    exact = d.astype(np.float64) @ x.astype(np.float64).T
    norms, low_norms = np.linalg.norm(d.astype(np.float64), axis=1), np.linalg.norm(low_d.double().numpy(), axis=1)
    error_norms = np.linalg.norm(d.astype(np.float64) - low_d.double().numpy(), axis=1)
    worst = (2 * UNIT + UNIT**2) * norms[:, None] * np.linalg.norm(x.astype(np.float64), axis=1)  # bfloat16's worst case
    for rows in np.array_split(np.arange(len(x)), 4):  # the bound holds for each block of rows it is computed on
        found = rounding_bound(norms, error_norms, low_norms, x[rows], low_x[rows].float().numpy())
        bound = (1 + UNIT) * found[:, None] + UNIT * np.abs(exact[:, rows])
        error = np.abs(screened[:, rows] - exact[:, rows])
        assert (error <= bound).all()
        assert error.max() > 0.02 * bound.max()  # the data does exercise the bound
        if kind == "aligned":  # the rounding part of the bound is tight there
            assert error.max() > 0.95 * found.max()
        assert (found[:, None] <= worst[:, rows] * 1.01).all()  # never looser than the worst case


def test_ordered_keys_follow_the_values_of_every_finite_bfloat16():
    bits = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)
    values = torch.from_numpy(bits).view(torch.bfloat16).float().numpy()
    finite = np.isfinite(values)
    order = np.argsort(ordered(bits[finite]), kind="stable")
    assert (np.diff(values[finite][order]) >= 0).all()


def test_keys_round_outwards():
    values = np.random.default_rng(4).standard_normal(1000).astype(np.float32) * 100
    for up in (False, True):
        found = keys(values, up=up)
        bits = np.where(found >= 0, found, found ^ 0x7FFF).astype(np.int16)  # ordered() is its own inverse
        back = torch.from_numpy(bits).view(torch.bfloat16).float().numpy()
        assert (back >= values).all() if up else (back <= values).all()


def cases():
    rng = np.random.default_rng(5)
    normal = rng.standard_normal((6000, 48))
    yield "normal", normal, rng.standard_normal((300, 48))
    yield "far from the origin", normal + 40, rng.standard_normal((300, 48))
    yield "all scores negative", np.abs(normal) + 1, -np.abs(rng.standard_normal((300, 48)))
    yield "all scores positive", np.abs(normal) + 1, np.abs(rng.standard_normal((300, 48)))
    yield "neurons", normal * rng.uniform(0.01, 10, 48), np.eye(48)[rng.integers(0, 48, 300)]
    yield "near duplicates", rng.standard_normal(48) + 1e-3 * normal, rng.standard_normal((300, 48))


@pytest.mark.parametrize("rows_per_chunk", [700, 8192])
@pytest.mark.parametrize("name, vectors, directions", list(cases()), ids=[c[0] for c in cases()])
def test_screened_top_k_is_the_float32_one(name, vectors, directions, rows_per_chunk):
    vectors, directions = vectors.astype(np.float32), directions.astype(np.float32)
    screened = extremes(vectors, directions, 10, rows_per_chunk=rows_per_chunk, screen=True)
    plain = extremes(vectors, directions, 10, rows_per_chunk=rows_per_chunk, screen=False)
    exact = directions.astype(np.float64) @ vectors.astype(np.float64).T
    brute = directions @ vectors.T
    for index, score, order, brute_order in (
        (
            screened.top_index,
            screened.top_score,
            np.argsort(-exact, axis=1, kind="stable"),
            np.argsort(-brute, axis=1, kind="stable"),
        ),
        (
            screened.bottom_index,
            screened.bottom_score,
            np.argsort(exact, axis=1, kind="stable"),
            np.argsort(brute, axis=1, kind="stable"),
        ),
    ):
        np.testing.assert_allclose(score, np.take_along_axis(exact, order[:, :10], 1), rtol=1e-4, atol=1e-4)
        if name != "near duplicates":  # there, float32 rounding alone reorders sentences closer than its precision
            np.testing.assert_array_equal(index, order[:, :10])
        assert_brute_force_lists_but_near_ties(index, brute_order[:, :10], vectors, directions)
    np.testing.assert_allclose(screened.top_score, plain.top_score, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(screened.bottom_score, plain.bottom_score, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("largest", [True, False])
def test_reaching_finds_each_span_holding_a_value_beyond_its_line(largest):
    rng = np.random.default_rng(8)
    values = rng.standard_normal((40, 3 * SPAN)) * rng.choice([1e-3, 1, 1e3], (40, 1)) + rng.choice([-5, 0, 5], (40, 1))
    values[:, :5] = [0.0, -0.0, 1e-40, -1e-40, 0.0]
    bits = torch.from_numpy(values.astype(np.float32)).bfloat16().view(torch.int16).numpy()
    spans = ordered(bits).reshape(40, 3, SPAN)
    extreme = spans.max(2) if largest else spans.min(2)
    for line in (  # mixed signs (three passes), then one sign (one pass)
        keys(rng.standard_normal(40) * 5, up=not largest),
        keys(np.abs(rng.standard_normal(40)) * (5 if largest else -5), up=not largest),
        np.take_along_axis(extreme, rng.integers(0, 3, (40, 1)), 1)[:, 0].astype(np.int32),  # exactly at a span's extreme
    ):
        np.testing.assert_array_equal(
            reaching(bits, line, largest), extreme >= line[:, None] if largest else extreme <= line[:, None]
        )


def test_later_chunks_are_mostly_screened_out(monkeypatch):
    from illusion.run import screen

    full, pairs = [], []
    original_screen, original_merge = screen.Screen.screen, screen.Screen._merge_pairs

    def counting_screen(self, *args):
        rows = original_screen(self, *args)
        full.append(len(rows))
        return rows

    def counting_merge(self, running, rows, *args):
        pairs.append(len(rows))
        return original_merge(self, running, rows, *args)

    monkeypatch.setattr(screen.Screen, "screen", counting_screen)
    monkeypatch.setattr(screen.Screen, "_merge_pairs", counting_merge)
    rng = np.random.default_rng(6)
    vectors, directions = rng.standard_normal((20000, 48)).astype(np.float32), rng.standard_normal((300, 48)).astype(np.float32)
    extremes(vectors, directions, 10, rows_per_chunk=1000, screen=True)
    assert full[0] == 300 and full[-1] < 30 and sum(pairs) > 0
