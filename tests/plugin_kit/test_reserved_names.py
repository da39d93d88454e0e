"""Parameter names that a run configuration already uses in a plugin's table are refused at registration."""

import pytest

from illusion import Param
from illusion.params import RESERVED_NAMES
from illusion.registrations import REGISTRATION_TYPES
from illusion.run.config import load_config


@pytest.mark.parametrize("registration", REGISTRATION_TYPES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("reserved", sorted(RESERVED_NAMES))
def test_a_parameter_named_like_a_config_key_is_refused(registration, reserved):
    with pytest.raises(TypeError, match=rf"'demo': parameter '{reserved}' is reserved: a run configuration's plugin table"):
        registration("demo", "A plugin with a clashing parameter.", lambda **_: None, [Param("count", int, 1), Param(reserved)])


def test_the_reserved_names_are_exactly_the_config_tables_own_keys():
    config = load_config()
    resolved = config.to_dict()
    tables = zip(
        [resolved["model"], *resolved["datasets"], *resolved["samplers"]], [config.model, *config.datasets, *config.samplers]
    )
    assert {key for table, choice in tables for key in table if key not in choice.options} == RESERVED_NAMES
