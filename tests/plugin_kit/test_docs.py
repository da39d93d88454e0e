"""The plugin-authoring docs: every hook with its exact signature, every public name and check, examples that run."""

from __future__ import annotations

import re
import tomllib

import pytest

import illusion
from illusion import testing
from illusion.conformance import CHECKS
from tests.helpers.docs import blocks, run_python_blocks
from tests.helpers.plugin_kit import DOCS, HOOKS, signature

TEXT = DOCS.read_text(encoding="utf-8")
HEADINGS = [line.lstrip("#").strip().strip("`") for line in TEXT.splitlines() if line.startswith("#")]


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_exact_signature(hook):
    assert signature(hook) in HEADINGS, f"docs/plugins.md needs a heading `{signature(hook)}`"


def test_every_documented_hook_exists():
    documented = {heading.split("(")[0] for heading in HEADINGS if re.match(r"illusion_\w+\(", heading)}
    assert documented == set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_version_history(hook):
    assert re.search(rf"^\| \d+\.\d+ \| .*`{hook}`", TEXT, re.MULTILINE), f"add {hook} to the table of hook API versions"


def test_the_current_hook_api_version_is_in_the_history():
    assert re.search(rf"^\| {re.escape(illusion.HOOK_API_VERSION)} \|", TEXT, re.MULTILINE)


def test_every_public_name_is_documented():
    documented = set(re.findall(r"`@?(?:illusion\.)?(\w+)", TEXT))
    assert [name for name in illusion.__all__ if name != "__version__" and name not in documented] == []


def test_every_contract_lists_its_checks_and_every_fixture_is_documented():
    contracts = [
        cls for cls in vars(testing).values() if isinstance(cls, type) and issubclass(cls, testing.Contract) and cls.kind
    ]
    assert {cls.kind for cls in contracts} == set(CHECKS)
    for cls in contracts:
        row = f"| `{cls.__name__}` | " + ", ".join(f"`{name}`" for name in CHECKS[cls.kind]) + " |"
        assert row in TEXT
    for name in {check for checks in CHECKS.values() for check in checks}:
        assert f"- `{name}`: " in TEXT, name
    fixtures = [name for name in vars(testing) if name.startswith("illusion_")]
    assert fixtures and [name for name in fixtures if f"`{name}`" not in TEXT] == []


def test_toml_examples_parse():
    for block in blocks(DOCS, "toml"):
        tomllib.loads(block)


def test_python_examples_run(tmp_path, monkeypatch):
    assert run_python_blocks(DOCS, tmp_path, monkeypatch) > 0
