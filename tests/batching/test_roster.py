"""Hostile rosters (issue 11): ids outside the documented safe set are refused with file:line
before anything is written; names lose control characters and bidi controls, a right-to-left
name is isolated and a long one shortened, so every page prints the id as written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracegen
from tracegen import csvfiles, render
from tracegen.batching import roster
from tracegen.batching import run as batching
from tracegen.batching.roster import parse_roster
from tracegen.cli import cli
from tracegen.text import FSI, MAX_LABEL, PDI


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """A fast stand-in renderer that records (variant, student label) per variant rendered."""
    rendered: list[tuple[str, str]] = []

    def fake(trace, kinds=("worksheet", "key"), formats=("md",), *, student=None, paper="a4", fillable=False) -> dict:
        rendered.append((trace.variants[0], student))
        return {(k, f): f"{k} {student}\n".encode() for k in kinds for f in formats}

    monkeypatch.setattr(render, "render_documents", fake)
    return rendered


def batch(tmp_path: Path, text: str | bytes, *args: str) -> object:
    path = tmp_path / "class.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return CliRunner().invoke(cli, ["batch", "--roster", str(path), "--to", "md", "-j", "1", "-o",
                                    str(tmp_path / "out"), *args])


SAFE = "may use only ASCII letters, digits and . _ - @ + (at most 64 characters)"


@pytest.mark.parametrize(("rows", "message"), [
    ('s1,Ada\n"s\n2",Bob\n', f"3: student id 's\\n2' {SAFE}"),
    ("s1,Ada\ns 2,Bob\n", f"3: student id 's 2' {SAFE}"),
    ("../../etc,Eve\n", f"2: student id '../../etc' {SAFE}"),
    ("zoë,Zoë\n", f"2: student id 'zoë' {SAFE}"),
    ("s\u202e04,Eve\n", f"2: student id 's\\u202e04' {SAFE}"),
    ("s1,Ada\n" + "7" * 65 + ",Long\n", f"3: student id '{'7' * 39}…' (65 characters) {SAFE}"),
])
def test_ids_outside_the_safe_set_are_refused_with_their_line(tmp_path, rows, message):
    result = batch(tmp_path, "id,name\n" + rows)
    assert result.exit_code == 2
    assert result.stderr == f"tracegen: error: {tmp_path / 'class.csv'}:{message}\n"
    assert not (tmp_path / "out").exists()


def test_ids_in_the_safe_set_are_taken_as_written():
    ids = ["s104", "2023-0042", "ada.lovelace@uni.example", "A_b+c", "7" * 64]
    assert [s.id for s in parse_roster("id\n" + "\n".join(ids) + "\n")] == ids


def test_names_lose_control_and_bidi_characters_and_keep_letters():
    text = 'id,name\ns1,"Ada\x1b[31m Love\x07lace\x00"\ns2,"Bob\r\nBy"\ns40,"Eve\u202e"\ns41,"שרה כהן"\n'
    students = parse_roster(text)
    assert [s.name for s in students] == ["Ada [31m Love lace", "Bob By", "Eve", "שרה כהן"]
    assert [s.label for s in students] == ["Ada [31m Love lace (s1)", "Bob By (s2)", "Eve (s40)",
                                           f"{FSI}שרה כהן{PDI} (s41)"]


def test_a_long_name_is_shortened_and_the_id_kept(tmp_path, calls):
    name = "W" * 10_000
    assert batch(tmp_path, f"id,name\ns40,{name}\n").exit_code == 0
    label = calls[0][1]
    assert len(label) == MAX_LABEL and label.endswith("W… (s40)")
    rows = list(csv.DictReader((tmp_path / "out" / "manifest.csv").open(encoding="utf-8", newline="")))
    assert rows[0]["student_name"] == name  # the manifest keeps the roster's name


def test_the_id_prints_as_written_in_real_documents(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text('id,name\ns40,"Eve\u202e"\ns41,"שרה\u202b"\n', encoding="utf-8")
    opts = batching.Options(roster=path, kinds=("worksheet",), formats=("md", "html"), jobs=1)
    batching.run(batching.plan(tracegen.load_example(), opts), tmp_path / "out", opts)
    for folder in (p for p in (tmp_path / "out").iterdir() if p.is_dir()):
        for name in ("worksheet.md", "worksheet.html"):
            text = (folder / name).read_text(encoding="utf-8")
            assert "\u202e" not in text and "\u202b" not in text
            assert "Eve (s40)" in text or f"{FSI}שרה{PDI} (s41)" in text


def test_a_name_with_a_line_break_or_nul_does_not_redo_its_variant(tmp_path, calls):
    text = 'id,name\ns1,"Ada\r\nLovelace"\ns2,"Nul\x00l"\n'
    assert batch(tmp_path, text).exit_code == 0
    assert len(calls) == 2
    calls.clear()
    result = batch(tmp_path, text)
    assert result.exit_code == 0 and calls == []


def test_a_huge_cell_or_file_is_refused_with_its_line(tmp_path, monkeypatch):
    result = batch(tmp_path, "id,name\ns1,Ada\ns2," + "x" * 200_000 + "\n")
    assert result.exit_code == 2
    assert result.stderr == (f"tracegen: error: {tmp_path / 'class.csv'}:3: not a readable CSV row "
                             "(field larger than field limit (131072))\n")
    monkeypatch.setattr(csvfiles, "MAX_BYTES", 1 << 20)
    result = batch(tmp_path, "id,name\n" + "".join(f"s{i},Ada\n" for i in range(120_000)))
    assert result.exit_code == 2
    assert result.stderr == (f"tracegen: error: {tmp_path / 'class.csv'}: the roster file is larger than 1 MiB; "
                             "is this the right file?\n")


def test_more_students_than_a_batch_makes_are_refused(monkeypatch):
    monkeypatch.setattr(roster, "MAX_STUDENTS", 3)
    with pytest.raises(tracegen.RosterError, match=r"^roster:5: more than 3 students; split the class into batches$"):
        parse_roster("id\na\nb\nc\nd\n")


def test_a_transliteration_column_is_read_and_must_exist(tmp_path):
    text = "Student ID,Name,Latin Name\ns1,李小龙,Li Xiaolong\ns2,Ada,\n"
    students = parse_roster(text, "class.csv", transliteration="latin-name")
    assert [(s.name, s.transliteration) for s in students] == [("李小龙", "Li Xiaolong"), ("Ada", None)]
    result = batch(tmp_path, text, "--transliteration", "pinyin")
    assert result.exit_code == 2
    assert result.stderr == (f"tracegen: error: {tmp_path / 'class.csv'}: no column 'pinyin' for --transliteration "
                             "(the header has 'Student ID', 'Name', 'Latin Name')\n")
    assert not (tmp_path / "out").exists()


def test_a_transliteration_needs_a_roster(tmp_path):
    result = CliRunner().invoke(cli, ["batch", "--variants", "2", "--transliteration", "latin", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == "tracegen: error: --transliteration names a roster column: give --roster FILE.csv too\n"
