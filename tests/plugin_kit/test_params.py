import pytest

from illusion import Param, PluginError
from illusion.params import ParamSet

PARAMS = ParamSet(
    (
        Param("count", int, 25, "how many"),
        Param("scale", float, 1.0),
        Param("name", str),
        Param("mode", str, "a", choices=("a", "b")),
        Param("items", list, [], item_type=int),
        Param("limit", int, None),
    )
)


def test_defaults_are_filled_and_values_kept():
    assert PARAMS.resolve({"name": "x", "scale": 2}, "sampler 'demo'") == {
        "count": 25,
        "scale": 2.0,
        "name": "x",
        "mode": "a",
        "items": [],
        "limit": None,
    }


def test_unknown_parameter_names_plugin_and_suggests():
    with pytest.raises(PluginError, match=r"sampler 'demo': unknown parameter 'cout'; did you mean 'count'\?"):
        PARAMS.resolve({"name": "x", "cout": 3}, "sampler 'demo'")


def test_required_parameter_is_reported():
    with pytest.raises(PluginError, match="parameter 'name' is required"):
        PARAMS.resolve({}, "dataset 'demo'")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"count": "3"}, "'count' must be an integer"),
        ({"count": True}, "'count' must be an integer"),
        ({"mode": "c"}, "choose one of 'a', 'b'"),
        ({"items": [1, "2"]}, "'items' item must be an integer"),
    ],
)
def test_bad_values_are_named(options, message):
    with pytest.raises(PluginError, match=message):
        PARAMS.resolve({"name": "x", **options}, "demo")


def test_parameter_declared_twice_is_refused():
    with pytest.raises(TypeError, match="declared twice: a"):
        ParamSet((Param("a"), Param("a")))
