"""The host: built-ins, real entry-point discovery from installed distributions (the `install` fixture), and broken plugins."""

import pytest

from illusion import DatasetPlugin, PluginError, Record, hookimpl
from illusion.host import Host
from illusion.registrations import KINDS

GOOD = """
from illusion import DatasetPlugin, Record, hookimpl

@hookimpl
def illusion_datasets():
    yield DatasetPlugin("greetings", "Two greetings.", lambda: [Record("1", "hello there my friend"), Record("2", "good morning to you")])
"""


def test_builtins_register_every_kind_without_problems():
    host = Host()
    for kind in KINDS:
        assert host.registrations(kind), kind
    assert host.problems == []
    assert host.distribution_of("dataset", "wikipedia").name == "illusion"


def test_entry_point_plugin_is_discovered_with_its_distribution(install):
    install("illusion-greetings", {"greetings_plugin": GOOD}, {"greetings_plugin": "greetings_plugin"}, "1.2.3")
    host = Host()
    assert str(host.distribution_of("dataset", "greetings")) == "illusion-greetings 1.2.3"
    assert [r.id for r in host.get("dataset", "greetings").load({"min_words": 1}, seed=0)] == ["1", "2"]
    assert host.problems == []


def test_autoload_can_be_blocked_or_selected(install, monkeypatch):
    install("illusion-greetings", {"greetings_plugin": GOOD}, {"greetings_plugin": "greetings_plugin"}, "1.2.3")
    monkeypatch.setenv("ILLUSION_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "greetings" not in Host().registrations("dataset")
    monkeypatch.delenv("ILLUSION_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setenv("ILLUSION_PLUGINS", "something-else")
    assert "greetings" not in Host().registrations("dataset")
    monkeypatch.setenv("ILLUSION_PLUGINS", "illusion-greetings")
    assert "greetings" in Host().registrations("dataset")


def test_import_failure_is_reported_and_skipped(install):
    install("illusion-broken", {"broken_plugin": "import not_a_module_anywhere\n"}, {"broken_plugin": "broken_plugin"})
    host = Host()
    [problem] = host.problems
    assert problem.distribution == "illusion-broken" and "ModuleNotFoundError" in problem.message
    assert "wikipedia" in host.registrations("dataset")


def test_bad_registration_is_reported_with_hook(install):
    install(
        "illusion-bad",
        {
            "bad_plugin": """
        from illusion import DatasetPlugin, hookimpl

        @hookimpl
        def illusion_datasets():
            return [DatasetPlugin("Bad Name", "x", list)]

        @hookimpl
        def illusion_direction_samplers():
            return ["not a registration"]
    """
        },
        {"bad_plugin": "bad_plugin"},
        "1.2.3",
    )
    host = Host()
    host.registrations("dataset")
    messages = {p.hook: p.message for p in host.problems}
    assert "must be lower-case" in messages["illusion_datasets"]
    assert "expected illusion.DirectionSamplerPlugin" in messages["illusion_direction_samplers"]
    assert all(p.distribution == "illusion-bad" for p in host.problems), host.problems


def test_unknown_hook_is_caught_with_a_suggestion(install):
    install(
        "illusion-typo",
        {
            "typo_plugin": """
        from illusion import hookimpl

        @hookimpl
        def illusion_dataset():
            return []
    """
        },
        {"typo_plugin": "typo_plugin"},
        "1.2.3",
    )
    [problem] = Host().problems
    assert problem.hook == "illusion_dataset" and "did you mean 'illusion_datasets'" in problem.message


def test_a_clash_leaves_the_builtin_the_plain_name_and_the_other_its_qualified_name(install):
    install(
        "illusion-copycat",
        {
            "copycat_plugin": """
        from illusion import DatasetPlugin, Record, hookimpl

        @hookimpl
        def illusion_datasets():
            yield DatasetPlugin("bible", "Another bible.", lambda: [Record("c1", "a copied verse of scripture")])
    """
        },
        {"copycat_plugin": "copycat_plugin"},
        "1.2.3",
    )
    host = Host()
    assert host.distribution_of("dataset", "bible").name == "illusion"
    assert host.get("dataset", "bible").description == "Verses of the King James Bible."
    assert host.get("dataset", "illusion:bible") is host.get("dataset", "bible")
    copied = host.get("dataset", "illusion-copycat:bible").load({"min_words": 1}, seed=0)
    assert [r.id for r in copied] == ["c1"]
    [problem] = host.problems
    assert problem.distribution == "illusion-copycat" and problem.shadowed
    assert "'bible' is already taken by illusion" in problem.message and "use 'illusion-copycat:bible'" in problem.message
    with pytest.raises(PluginError, match=r"illusion-nowhere provides no dataset 'bible' \(it is provided as illusion:bible"):
        host.get("dataset", "illusion-nowhere:bible")


def test_a_name_whose_plugin_failed_to_load_shows_that_plugins_error(install):
    install("illusion-ica", {"ica": "def broken(:\n"}, {"ica": "ica"}, "1.2.3")
    host = Host()
    with pytest.raises(PluginError) as caught:
        host.get("direction sampler", "ica")
    message = str(caught.value)
    assert message.startswith("unknown direction sampler 'ica': its plugin failed to load: illusion-ica (plugin 'ica')")
    assert "SyntaxError" in message and "did you mean" not in message
    with pytest.raises(PluginError, match=r"did you mean 'pca'.*; plugins that failed to load: illusion-ica .*SyntaxError"):
        host.get("direction sampler", "pcb")


def test_unknown_name_suggests_the_closest():
    with pytest.raises(PluginError, match=r"unknown dataset 'wikipedai'; did you mean 'wikipedia'\?"):
        Host().get("dataset", "wikipedai")


def test_programmatic_registration_and_trace(capsys):
    class Local:
        @hookimpl
        def illusion_datasets(self):
            yield DatasetPlugin("local", "In-process plugin.", lambda: [Record("a", "one two three four")])

    host = Host(trace=True)
    assert host.register(Local(), "local")
    assert "local" in host.registrations("dataset")
    assert "illusion trace: illusion_datasets [local]" in capsys.readouterr().err
