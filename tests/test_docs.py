"""The documentation is generated or run, so it cannot drift: the CLI reference, the quick start, the links."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracegen.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_is_the_commands_own_help() -> None:
    reference = _script("cli_reference")
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference.reference(), \
        "docs/cli.md is out of date: run python scripts/cli_reference.py"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_a_reference_entry(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.help.strip()
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert f"## tracegen {name}\n" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_readme_quick_start_is_two_one_line_commands() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, re.DOTALL)
    assert [b.strip() for b in blocks] == ["pip install . && tracegen render", "pip install '.[test]' && pytest"]


def test_the_readme_fits_a_screen_and_its_links_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    for page in [README, *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
