"""Names and titles in any script: printed whole in the face they are set in, or refused per student, never boxes.

The shipped faces are checked against the repertoire they promise; the fonts of the system
are a set the tests control (a fontconfig configuration naming one folder, with a font
made here), so nothing depends on the fonts of the machine that runs them.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pikepdf
import pypdf
import pytest
from documents import class3_trace
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

from tracegen.assets import repertoire
from tracegen.fontmetrics import face
from tracegen.render import render_documents
from tracegen.render.coverage import missing, package
from tracegen.text import label

ROOT = Path(__file__).resolve().parents[2]
# Names every shipped face must draw itself: diacritics of Latvian, Lithuanian, Maltese, Croatian digraphs,
# Vietnamese, Romanian, Pinyin tones, a Hausa hooked letter, Greek with tonos, Cyrillic with Ukrainian letters.
LATIN_GREEK_CYRILLIC = ("Zoë Ångström-Øst", "Ģirts Ķēniņš", "Įeva Ųla", "Ħanna Ŧ", "ǅurđa", "Nguyễn Thị Thu Hằng",
                        "Ștefan Țurcanu", "Lǚ Xiǎo", "Ɓello Ƙano", "Αλέξανδρος Παπαδόπουλος", "Ґалина Їжакевич")
HEBREW = "שרה כהן"


def test_every_text_face_draws_the_whole_names_repertoire_with_real_glyphs() -> None:
    """Latin (Latin-1, Extended-A and -B, Vietnamese), Greek and Cyrillic, in regular, italic and bold alike."""
    for name in ("regular", "italic", "bold"):
        font = face(name)
        lacking = [f"U+{code:04X}" for code in sorted(repertoire()) if not font.has(chr(code))]
        assert not lacking, f"{name} lacks {' '.join(lacking[:20])}"
        blank = [chr(c) for c in repertoire() if unicodedata.category(chr(c)).startswith("L")
                 and font.extent(chr(c)) == (0.0, 0.0)]
        assert not blank, f"{name} draws nothing for {''.join(blank[:20])}"


def test_a_name_in_latin_greek_or_cyrillic_is_printed_in_the_shipped_faces_only() -> None:
    """No letter of such a name comes from a system font (upright, another design) inside the italic line."""
    student = label(" ".join(LATIN_GREEK_CYRILLIC), "s1")
    pdf = render_documents(class3_trace(), ("worksheet",), ("pdf",), student=student)[("worksheet", "pdf")]
    fonts = {str(font.get("/BaseFont")).split("+")[-1] for font in _fonts(pdf)}
    assert fonts and all(name.startswith(("TG", "/TG")) for name in fonts), fonts
    text = _squeezed(pypdf.PdfReader(io.BytesIO(pdf)).pages[1].extract_text())
    assert _squeezed(student) in text


def test_the_html_embeds_the_font_parts_its_names_need_and_no_others() -> None:
    plain = render_documents(class3_trace(), ("worksheet",), ("html",))[("worksheet", "html")].decode()
    assert "unicode-range" not in plain  # a document without such names carries only the cores
    student = label("Ґалина Ķēniņa Nguyễn", "s1")
    html = render_documents(class3_trace(), ("worksheet",), ("html",), student=student)[("worksheet", "html")].decode()
    drawn: set[int] = set()
    for rule in re.findall(r'@font-face \{ font-family: "TG Italic";[^}]*\}', html):
        data = re.search(r"base64,([A-Za-z0-9+/=]+)", rule)
        assert data is not None
        drawn |= set(TTFont(io.BytesIO(base64.b64decode(data.group(1)))).getBestCmap())
    assert {ord(c) for c in student} <= drawn
    assert html.count("unicode-range") == 3  # the italic's Latin-1/A, Extended, Cyrillic parts; not Greek
    assert len(html) < len(plain) + 100_000  # those three parts (71 kB of WOFF2), not all eleven (235 kB)


def test_a_long_name_wraps_and_every_page_keeps_the_whole_id() -> None:
    name = ("Maximiliana Alexandrovna-Konstantinopoulou " * 3)[:120]
    student = label(name, "s2026-000123")
    pdf = render_documents(class3_trace(), ("key",), ("pdf",), student=student)[("key", "pdf")]
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 3
    for number in range(1, len(pages) + 1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-", "-"], input=pdf,
                              capture_output=True, check=True).stdout.decode()
        assert "(s2026-000123)" in text, f"page {number}"
        assert _squeezed(name) in _squeezed(text), f"page {number}"


def test_packages_named_for_missing_scripts() -> None:
    assert package("李")[1:] == ("fonts-noto-cjk", "font-noto-sans-cjk")
    assert package("한")[1] == package("さ")[1] == "fonts-noto-cjk"
    assert package("ש")[1] == package("م")[1] == package("अ")[1] == package("ส")[1] == "fonts-noto-core"
    assert package("🦊")[1] == "fonts-noto-color-emoji"


def test_shipped_characters_need_no_system_font_and_controls_are_not_asked_for() -> None:
    assert missing(" ".join(LATIN_GREEK_CYRILLIC) + "\u2068\u2069\u200d\ufe0f") == []


# --- the system's fonts: a set the test controls -----------------------------------------


@pytest.fixture
def hebrew_only(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig knows one font: boxes for the Hebrew letters, made here."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    _box_font(folder / "boxes-hebrew.ttf", "Test Boxes Hebrew", [chr(c) for c in range(0x5D0, 0x5EB)])
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{folder}</dir><cachedir>{tmp_path / "cache"}'
                      "</cachedir></fontconfig>\n", "utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(config), "PYTHONPATH": str(ROOT)}


# Twelve scripts: the shipped faces draw four, the test's font Hebrew; the other seven need fonts it lacks.
ROSTER = ("student_id,name,latin\n"
          "s01,Zoë Ångström-Øst,\ns02,Αλέξανδρος Παπαδόπουλος,\ns03,Анна Кузнецова,\n"
          "s04,李小龙,Li Xiaolong\n" f"s05,{HEBREW},\n" "s06,สมชาย ใจดี,Somchai Jaidee\ns07,Nguyễn Thị Thu Hằng,\n"
          "s08,김민준,Kim Minjun\ns09,山田 さくら,Yamada Sakura\ns10,محمد عبد الله,Muhammad Abdullah\n"
          "s11,अनन्या शर्मा,Ananya Sharma\ns12,Sam 🦊 Lee,Sam Lee\n")
REFUSED = {"s04": ("李", "fonts-noto-cjk"), "s06": ("ส", "fonts-noto-core"), "s08": ("김", "fonts-noto-cjk"),
           "s09": ("さ", "fonts-noto-cjk"), "s10": ("م", "fonts-noto-core"), "s11": ("अ", "fonts-noto-core"),
           "s12": ("🦊", "fonts-noto-color-emoji")}


@pytest.mark.slow
def test_a_batch_refuses_each_unprintable_name_naming_its_characters_and_prints_the_others(
        tmp_path: Path, hebrew_only: dict[str, str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, "utf-8")
    out = tmp_path / "out"
    run = _batch(hebrew_only, "--roster", str(roster), "-o", str(out))
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert len(lines) == 8 and lines[-1].endswith("7 of 12 variants failed (the others were written); each is named "
                                                  "above")
    for student, (char, debian) in REFUSED.items():
        line = next(line for line in lines if f"student {student} " in line)
        assert f"{char} (U+{ord(char):04X})" in line and f"apt-get install {debian};" in line, line
    han = next(line for line in lines if "s04" in line)
    assert ("the name '李小龙' cannot be printed whole: no font here draws 李 (U+674E), 小 (U+5C0F), 龙 (U+9F99); "
            "install a font for Han (Debian/Ubuntu: apt-get install fonts-noto-cjk; macOS: brew install --cask "
            "font-noto-sans-cjk); or print a transliteration instead: --transliteration COLUMN") in han
    printed = _printed(out)
    assert set(printed) == {"s01", "s02", "s03", "s05", "s07"}
    for student in ("s01", "s02", "s03", "s07"):
        name = next(row.split(",")[1] for row in ROSTER.splitlines() if row.startswith(student))
        assert f"{name} ({student})" in printed[student]
    hebrew = (out / _folder(out, "s05") / "worksheet.pdf").read_bytes()
    assert set(HEBREW) - {" "} <= set(printed["s05"]) and "s05)" in printed["s05"]
    # Drawn right to left from the system's (the test's) font: the last letter first, on each of the lines
    # that name the student (page 1's header and its running head).
    letters = [1 + ord(c) - 0x5D0 for c in HEBREW if c != " "]
    assert [g for g in _glyphs_of(hebrew, "Boxes") if g in letters] == letters[::-1] * 2


@pytest.mark.slow
def test_a_transliteration_column_prints_instead_of_what_the_fonts_cannot(tmp_path: Path,
                                                                         hebrew_only: dict[str, str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, "utf-8")
    out = tmp_path / "out"
    run = _batch(hebrew_only, "--roster", str(roster), "-o", str(out), "--transliteration", "latin")
    assert run.returncode == 0, run.stderr
    printed = _printed(out)
    for student in REFUSED:
        latin = next(row.split(",")[2] for row in ROSTER.splitlines() if row.startswith(student))
        assert f"{latin} ({student})" in printed[student]
    assert "Zoë Ångström-Øst (s01)" in printed["s01"]  # printable names stay as they are
    manifest = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    assert {row["student_name"] for row in manifest if row["student_id"] == "s04"} == {"李小龙"}


def _batch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracegen", "batch", *args, "--to", "pdf", "--kind", "worksheet",
                           "-j", "2"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def _folder(out: Path, student: str) -> str:
    return next(row["variant"] for row in csv.DictReader((out / "manifest.csv").open(encoding="utf-8"))
                if row["student_id"] == student)


def _printed(out: Path) -> dict[str, str]:
    """Each written student's worksheet text, page 1 (pypdf), by student id."""
    rows = csv.DictReader((out / "manifest.csv").open(encoding="utf-8"))
    return {row["student_id"]: pypdf.PdfReader(out / row["file"]).pages[0].extract_text()
            for row in rows if row["file"].endswith("worksheet.pdf")}


def _fonts(pdf: bytes) -> list[pikepdf.Dictionary]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [pikepdf.Dictionary(dict(obj.items())) for obj in document.objects
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
                and obj.get("/Subtype") != "/Type0"]


def _glyphs_of(pdf: bytes, font: str) -> list[int]:
    """The glyph ids page 1 draws with the font whose name holds `font`, in the order they are drawn."""
    out: list[int] = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        names = {str(key): str(value.get("/BaseFont")) for key, value in page.Resources.Font.items()}
        current = ""
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "Tf":
                current = names.get(str(operands[0]), "")
            elif str(operator) in ("Tj", "TJ") and font in current:
                strings = operands[0] if str(operator) == "TJ" else [operands[0]]
                for item in strings:
                    if isinstance(item, pikepdf.String):
                        raw = bytes(item)
                        out += [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
    return out


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _box_font(path: Path, family: str, chars: list[str]) -> None:
    """A TrueType font drawing each of `chars` as a box (each a little wider than the one before)."""
    names = [".notdef", *(f"uni{ord(c):04X}" for c in chars)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    glyphs, metrics = {}, {}
    for i, name in enumerate(names):
        width = 400 + 10 * i
        pen = TTGlyphPen(None)
        pen.moveTo((50, 0))
        pen.lineTo((50, 600))
        pen.lineTo((width - 50, 600))
        pen.lineTo((width - 50, 0))
        pen.closePath()
        glyphs[name], metrics[name] = pen.glyph(), (width, 50)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.save(str(path))


def test_a_title_no_font_draws_is_bad_input_before_any_file(tmp_path: Path, hebrew_only: dict[str, str],
                                                           class3_dict: dict) -> None:
    spec = tmp_path / "han.json"
    spec.write_text(json.dumps({**class3_dict, "title": "第三课 Training by Hand"}), "utf-8")
    for command in (["render", str(spec), "--to", "html"], ["batch", str(spec), "--variants", "2", "--to", "html"]):
        run = subprocess.run([sys.executable, "-m", "tracegen", *command, "-o", str(tmp_path / "out")], text=True,
                             capture_output=True, env=hebrew_only, cwd=ROOT, timeout=120)
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("tracegen: error: the title '第三课 Training by Hand' cannot be printed whole: "
                                     "no font here draws 第 (U+7B2C), 三 (U+4E09), 课 (U+8BFE); install a font for Han")
        assert not (tmp_path / "out").exists()
