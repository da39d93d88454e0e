"""bfloat16 screening: its error bound holds for the real kernel, and the screened top-k is the float32 one."""

import numpy as np
import pytest
import torch

from illusion.run.screen import UNIT, error_bound, keys, ordered
from illusion.run.topk import extremes


@pytest.mark.parametrize("kind", ["positive", "normal", "large"])
def test_the_bound_covers_the_kernels_error(kind):
    """All-positive data makes every rounding error add up: the worst case for the bound."""
    rng = np.random.default_rng(3)
    if kind == "positive":
        x, d = rng.uniform(0.5, 1, (512, 384)), rng.uniform(0.5, 1, (300, 384))
    elif kind == "normal":
        x, d = rng.standard_normal((512, 384)), rng.standard_normal((300, 384))
    else:
        x, d = 1e3 * rng.standard_normal((512, 768)), 1e-2 * rng.uniform(0, 1, (300, 768))
    x, d = x.astype(np.float32), d.astype(np.float32)
    screened = torch.mm(torch.from_numpy(d).bfloat16(), torch.from_numpy(x).bfloat16().T).float().numpy()
    exact = d.astype(np.float64) @ x.astype(np.float64).T
    norms_d, norms_x = np.linalg.norm(d.astype(np.float64), axis=1), np.linalg.norm(x.astype(np.float64), axis=1)
    bound = (1 + UNIT) * error_bound(norms_d[:, None], norms_x[None, :], x.shape[1]) + UNIT * np.abs(exact)
    error = np.abs(screened - exact)
    assert (error <= bound).all()
    assert error.max() > 0.05 * bound.max()  # the data does exercise the bound


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
    for index, score, order in (
        (screened.top_index, screened.top_score, np.argsort(-exact, axis=1, kind="stable")),
        (screened.bottom_index, screened.bottom_score, np.argsort(exact, axis=1, kind="stable")),
    ):
        np.testing.assert_allclose(score, np.take_along_axis(exact, order[:, :10], 1), rtol=1e-4, atol=1e-4)
        if name != "near duplicates":  # there, float32 rounding alone reorders sentences closer than its precision
            np.testing.assert_array_equal(index, order[:, :10])
    np.testing.assert_allclose(screened.top_score, plain.top_score, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(screened.bottom_score, plain.bottom_score, rtol=1e-5, atol=1e-4)


def test_later_chunks_are_mostly_screened_out(monkeypatch):
    from illusion.run import screen

    full, pairs = [], []
    original_screen, original_merge = screen.Screen.screen, screen.Screen._merge_pairs

    def counting_screen(self, *args):
        top, bottom = original_screen(self, *args)
        full.append(len(np.union1d(top, bottom)))
        return top, bottom

    def counting_merge(self, running, rows, *args):
        pairs.append(len(rows))
        return original_merge(self, running, rows, *args)

    monkeypatch.setattr(screen.Screen, "screen", counting_screen)
    monkeypatch.setattr(screen.Screen, "_merge_pairs", counting_merge)
    rng = np.random.default_rng(6)
    vectors, directions = rng.standard_normal((20000, 48)).astype(np.float32), rng.standard_normal((300, 48)).astype(np.float32)
    extremes(vectors, directions, 10, rows_per_chunk=1000, screen=True)
    assert full[0] == 300 and full[-1] < 30 and sum(pairs) > 0
