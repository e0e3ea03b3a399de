"""Every CLI command has help text and a section in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracegen.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_readme_section(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.help.strip()
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert re.search(rf"^### `tracegen {name}\b", README.read_text(encoding="utf-8"), re.MULTILINE)


def test_readme_quick_start_is_two_one_line_commands() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, re.DOTALL)
    assert [b.strip() for b in blocks] == ["pip install . && tracegen render", "pip install '.[test]' && pytest"]
