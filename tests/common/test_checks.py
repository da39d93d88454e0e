"""The one type check for user-written values: plain-word names, lossless conversions, the caller's error class."""

import pytest

from illusion.common.checks import expect_type
from illusion.errors import ConfigError, PluginError


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [(3, float, 3.0), ((1, 2), list, [1, 2]), ("a", str, "a"), ({"x": 1}, dict, {"x": 1}), (False, bool, False)],
)
def test_accepted_values_come_back_converted_losslessly(value, kind, expected):
    result = expect_type(value, kind, "k")
    assert result == expected and type(result) is kind


@pytest.mark.parametrize(
    ("value", "kind", "error", "message"),
    [
        (True, int, PluginError, "'n' must be an integer, not True"),
        (True, float, ConfigError, "'n' must be a number, not True"),
        ("ten", int, ConfigError, "'n' must be an integer, not 'ten'"),
        ([], dict, ConfigError, "'n' must be a table, not \\[\\]"),
        (1, str, PluginError, "'n' must be a string, not 1"),
    ],
)
def test_wrong_types_raise_the_callers_error_in_plain_words(value, kind, error, message):
    with pytest.raises(error, match=message):
        expect_type(value, kind, "'n'", error)
