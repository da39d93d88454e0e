import pytest

from illusion import ConfigError
from illusion.run.config import default_config_text, load_config


def test_default_config_follows_the_paper():
    config = load_config()
    assert config.k == 10 and len(config.datasets) >= 4
    assert [(s.plugin, s.options["count"]) for s in config.samplers] == [("neuron", 25), ("random", 33)]
    assert config.model.options["pooling"] == "cls" and config.model.options["layer"] == -1
    assert "seed = 0" in default_config_text()


def test_overrides_address_entries_by_name():
    config = load_config(None, ["k=5", "datasets.bible.n=40", "model.layer=2", "samplers.neuron.count=3", 'model.device="cpu"'])
    assert config.k == 5 and config.model.options["layer"] == 2 and config.model.options["device"] == "cpu"
    assert next(d for d in config.datasets if d.name == "bible").options["n"] == 40
    assert config.samplers[0].options["count"] == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("k = [", "not valid TOML"),
        ("kk = 3\n", "unknown key 'kk'; did you mean 'k'"),
        ("k = 'ten'\n[[datasets]]\nplugin='jokes'\nname='j'\n[[samplers]]\nplugin='random'\n", "'k' must be an integer"),
        ("[[samplers]]\nplugin='random'\n", "add at least one \\[\\[datasets\\]\\]"),
        ("[[datasets]]\nname='a'\n[[samplers]]\nplugin='random'\n", "datasets\\[0\\]: set plugin"),
        (
            "[[datasets]]\nplugin='jokes'\nname='j'\n[[datasets]]\nplugin='bible'\nname='j'\n[[samplers]]\nplugin='random'\n",
            "j appear more than once",
        ),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, message):
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert str(path) in str(error.value)


def test_bad_override_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="write it as key=value"):
        load_config(None, ["k"])
    with pytest.raises(ConfigError, match="no entries called 'nope'"):
        load_config(None, ["datasets.nope.n=3"])
    with pytest.raises(ConfigError, match="cannot read the configuration"):
        load_config(tmp_path / "missing.toml")


def test_a_qualified_sampler_is_labelled_by_its_plain_name(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        '[[datasets]]\nname = "b"\nplugin = "illusion:bible"\n\n[[samplers]]\nplugin = "illusion-extra:neuron"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert (config.samplers[0].name, config.samplers[0].plugin) == ("neuron", "illusion-extra:neuron")
    assert config.datasets[0].plugin == "illusion:bible"
