"""The sweep's grid: layers, poolings and sizes as typed on the command line, and the nested seeded subsamples."""

from __future__ import annotations

import numpy as np
import pytest

from illusion.errors import IllusionError
from illusion.sweep.grid import ALL, Grid, effective, parse_layers, parse_names, parse_sizes, subsample


@pytest.mark.parametrize("text, layers", [("1-6", (1, 2, 3, 4, 5, 6)), ("0,2-4", (0, 2, 3, 4)), ("3, 3,1", (3, 1)), ("0", (0,))])
def test_layers_are_numbers_and_ranges(text, layers):
    assert parse_layers(text) == layers


@pytest.mark.parametrize(
    "text, message", [("a", "e.g. 1-6"), ("-1", "counted from 0"), ("6-1", "backwards"), (",", "at least one")]
)
def test_bad_layers_say_how_to_write_them(text, message):
    with pytest.raises(IllusionError, match=message):
        parse_layers(text)


def test_sizes_run_smallest_first_with_all_last_and_none_below_k():
    assert parse_sizes("all,700,200", k=10) == ("200", "700", ALL)
    with pytest.raises(IllusionError, match="fewer sentences than k = 10"):
        parse_sizes("5,all", k=10)
    with pytest.raises(IllusionError, match="e.g. 200,700,all"):
        parse_sizes("many", k=10)
    assert parse_names("cls, mean,cls", "--pooling") == ("cls", "mean")


def test_subsamples_are_nested_seeded_sorted_and_whole_at_all():
    small, large = subsample(1000, "200", 0, "bible"), subsample(1000, "700", 0, "bible")
    assert len(small) == 200 and len(large) == 700 and set(small) <= set(large)
    assert np.all(np.diff(large) > 0)  # dataset order kept
    assert np.array_equal(small, subsample(1000, "200", 0, "bible"))
    assert not np.array_equal(small, subsample(1000, "200", 1, "bible"))  # another seed, another sample
    assert not np.array_equal(small, subsample(1000, "200", 0, "jokes"))  # each dataset its own draw
    assert np.array_equal(subsample(1000, ALL, 0, "bible"), np.arange(1000))
    assert np.array_equal(subsample(150, "200", 0, "bible"), np.arange(150))  # a size past the dataset keeps it all


def test_a_size_no_dataset_reaches_is_the_same_as_all():
    assert effective([700, 283], "700") == effective([700, 283], ALL) == (700, 283)
    assert effective([700, 283], "200") == (200, 200)


def test_the_grid_lists_every_cell_smallest_sizes_first():
    grid = Grid((1, 2), ("cls", "mean"), ("200", ALL))
    assert len(grid.cells()) == 8 and grid.cells()[:2] == [(1, "cls", "200"), (1, "mean", "200")]
    assert grid.views == [(1, "cls"), (1, "mean"), (2, "cls"), (2, "mean")]
