"""tracegen scan end to end on test paper (tests/scanning/paper.py): pages found in any order and
rotation, other batches reported, answers read as written, and graded as written."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import paper
import pytest
from click.testing import CliRunner
from scanbatch import batch_fixture  # noqa: F401  (the fixture class_batch)

import tracegen
from tracegen.cli import cli
from tracegen.csvfiles import unsafe
from tracegen.grading import grade
from tracegen.scanning.read import READ
from tracegen.scanning.run import scan


def scans(folder: Path, maps: dict[str, dict], answers: dict[str, dict[str, str]], out: Path, dpi: int,
          seed: int, rough: bool = True) -> list[Path]:
    """Every page of every variant, written with `answers` and scanned (shuffled, rotated when `rough`)."""
    rng = np.random.default_rng(seed)
    hand = paper.Hand(seed)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for variant, positions in maps.items():
        for info in positions["pages"]:
            page = paper.printed(folder, positions, info["page"], dpi)
            paper.write(page, positions, info["page"], answers.get(variant, {}), hand, dpi)
            scanner = paper.Scanner.random(rng) if rough else paper.Scanner(blur=0.4, noise=0.01, quality=85)
            path = out / f"scan-{rng.integers(10**9):09d}.jpg"  # a name that says nothing of the page
            path.write_bytes(scanner(page, rng))
            files.append(path)
    return files


def test_pages_found_and_matched_at_150_dpi_rotated(class_batch, tmp_path):
    folder, maps, _ = class_batch
    files = scans(folder, maps, {}, tmp_path / "in", 150, seed=1)
    scanned = scan(folder, (str(tmp_path / "in"),), model="standin")
    assert len(scanned.pages) == len(files) == sum(len(m["pages"]) for m in maps.values())
    assert all(page.status == READ for page in scanned.pages), [page.status for page in scanned.pages]
    found = sorted((page.variant, page.number) for page in scanned.pages)
    assert found == sorted((v, p["page"]) for v, m in maps.items() for p in m["pages"])
    # nothing written: every blank read as empty
    assert {d.text for d in scanned.decisions.values()} == {""}


def test_a_page_of_another_batch_is_reported_not_graded(class_batch, tmp_path):
    folder, maps, keys = class_batch
    variant = next(iter(maps))
    stranger = paper.layout("0000000000", variant, list(keys[variant]), 3)
    page = paper.render_page(stranger, 1, 200)
    paper.write(page, stranger, 1, keys[variant], paper.Hand(3), 200)
    (tmp_path / "other.jpg").write_bytes(paper.Scanner()(page, np.random.default_rng(3)))
    scanned = scan(folder, (str(tmp_path / "other.jpg"),), tmp_path / "out", model="standin")
    assert [page.status.split(":")[0] for page in scanned.pages] == ["a page of another batch (0000000000, not "
                                                                      f"{maps[variant]['batch']})"]
    assert scanned.decisions == {}
    rows = list(csv.reader((tmp_path / "out" / "responses.csv").open()))
    assert rows[1:] == []  # nobody's answers
    report = list(csv.DictReader((tmp_path / "out" / "report.csv").open()))
    assert report[0]["kind"] == "page" and "another batch" in report[0]["status"]
    assert {r["status"] for r in report if r["kind"] == "student"} == {"no page found"}


def _wrong(text: str, by: str) -> str:
    return f"{Decimal(text) + Decimal(by):f}"


def test_answers_read_as_written_never_as_the_key(class_batch, tmp_path):
    """Right answers are accepted; a wrong answer equal to a named mistake (a sign flip) reads as
    written; a wrong answer that is no candidate is read as written or flagged, never as the key."""
    folder, maps, keys = class_batch
    variant = next(iter(maps))
    written = dict(keys[variant])
    kinds = {b["id"]: [c["kind"] for c in b["cells"]] for b in maps[variant]["blanks"]}
    flipped = [b for b, t in written.items() if Decimal(t) != 0 and paper.fits(f"{-Decimal(t):f}", kinds[b])][:2]
    strays = [b for b, t in written.items() if b.startswith(("e1:W1", "e2:W2")) and b not in flipped
              and paper.fits(_wrong(t, "0.111"), kinds[b])][:4]
    assert flipped and strays
    for blank in flipped:
        written[blank] = f"{-Decimal(written[blank]):f}"
    for blank in strays:
        written[blank] = _wrong(written[blank], "0.111")
    scans(folder, {variant: maps[variant]}, {variant: written}, tmp_path / "in", 200, seed=5, rough=False)
    scanned = scan(folder, (str(tmp_path / "in"),), model="standin")
    decisions = {blank: d for (v, blank), d in scanned.decisions.items() if v == variant}
    accepted = {b: d.text for b, d in decisions.items() if d.accepted}
    assert all(Decimal(text) == Decimal(written[b]) for b, text in accepted.items()), \
        {b: (t, written[b]) for b, t in accepted.items() if Decimal(t) != Decimal(written[b])}
    right = [b for b in written if b not in flipped + strays]
    assert sum(b in accepted for b in right) >= 0.6 * len(right)
    for blank in strays:
        assert accepted.get(blank) != keys[variant][blank]
    # the sign flip is a candidate (a named mistake) and is read as written whenever it is accepted
    for blank in flipped:
        assert decisions[blank].text in (None, written[blank])
        assert written[blank] in [text for text, _ in decisions[blank].readings]


@pytest.mark.slow
def test_scan_then_grade_gives_the_marks_of_what_is_written(class_batch, tmp_path):
    """responses.csv plus the review's corrections (the truth typed for each flagged blank, and for
    the rare blank misread, which the stand-in reader may give) grade exactly as the written answers
    typed into a responses file."""
    folder, maps, keys = class_batch
    written = {v: dict(k) for v, k in keys.items()}
    variants = list(maps)
    kinds = {b["id"]: [c["kind"] for c in b["cells"]] for b in maps[variants[1]]["blanks"]}
    some = [b for b, t in written[variants[1]].items() if paper.fits(_wrong(t, "1.25"), kinds[b])][3:7]
    for blank in some:
        written[variants[1]][blank] = _wrong(written[variants[1]][blank], "1.25")
    written[variants[0]][list(written[variants[0]])[-1]] = ""  # one blank left empty
    scans(folder, maps, written, tmp_path / "in", 200, seed=7, rough=False)
    scanned = scan(folder, (str(tmp_path / "in"),), tmp_path / "out", model="standin")
    flagged = [(v, b) for (v, b), d in scanned.decisions.items() if not d.accepted]
    misread = [(v, b) for (v, b), d in scanned.decisions.items()
               if d.accepted and not (d.text == written[v][b] == "" or d.text and written[v][b]
                                      and Decimal(d.text) == Decimal(written[v][b]))]
    assert len(misread) <= 0.01 * len(scanned.decisions)  # how few: benchmarks/bench_scan.py measures it
    corrections = tmp_path / "corrections.csv"
    fixed = "".join(f"{v},{b},{written[v][b]}\n" for v, b in flagged + misread)
    corrections.write_text("variant,blank,value\n" + fixed)
    typed = io.StringIO()
    blanks = list(keys[variants[0]])
    typed.write(",".join(["variant", *blanks]) + "\n")
    for v in variants:
        typed.write(",".join([v, *(written[v][b] for b in blanks)]) + "\n")
    (tmp_path / "typed.csv").write_text(typed.getvalue())
    result = CliRunner().invoke(cli, ["grade", str(folder), str(tmp_path / "out" / "responses.csv"),
                                      "--corrections", str(corrections), "-o", str(tmp_path / "g1")])
    assert result.exit_code == 0, result.output
    scanned_book = grade(folder, tmp_path / "out" / "responses.csv", corrections=corrections).gradebook
    typed_book = grade(folder, tmp_path / "typed.csv").gradebook
    columns = ["variant", "score", "correct", "carried", "wrong", "blank"]
    assert scanned_book[columns].to_dict("records") == typed_book[columns].to_dict("records")
    assert typed_book["wrong"].sum() + typed_book["carried"].sum() >= 1  # the slips are there to be found


def test_review_page_is_self_contained(class_batch, tmp_path):
    folder, maps, keys = class_batch
    variant = next(iter(maps))
    scans(folder, {variant: maps[variant]}, {variant: keys[variant]}, tmp_path / "in", 150, seed=11)
    scanned = scan(folder, (str(tmp_path / "in"),), tmp_path / "out", model="standin")
    html = (tmp_path / "out" / "review.html").read_text()
    assert "<script src" not in html and "http" not in html.replace("http-equiv", "")
    flagged = sum(not d.accepted for d in scanned.decisions.values())
    assert flagged > 0  # 150 dpi, rotated: some blanks are left for a person
    assert html.count(" data-blank=") == html.count("data:image/png;base64,") == flagged
    assert 'id="save"' in html


@pytest.mark.parametrize("problem, expected", [
    (["nothing.pdf"], "nothing.pdf: no such file"),
    (["answers.csv"], "answers.csv: not a PDF or an image"),
])
def test_bad_scans_exit_2_with_one_line(class_batch, problem, expected, tmp_path, monkeypatch):
    folder, _, _ = class_batch
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, ["scan", str(folder), *problem, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert expected in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_without_the_extra_scan_names_it(monkeypatch):
    import importlib.util

    from tracegen import scanning

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "zxingcpp" else real(name))
    result = CliRunner().invoke(cli, ["scan", "batch", "page.pdf"])
    assert result.exit_code == 2
    assert "pip install 'tracegen[scan]'" in result.output and "zxingcpp" in result.output
    assert scanning.missing() is not None


def test_a_pdf_a_tiff_and_a_page_without_code(class_batch, tmp_path):
    """Scans come as a PDF of several pages and a TIFF of several pages; a blank sheet is reported."""
    from PIL import Image

    folder, maps, keys = class_batch
    files = scans(folder, maps, keys, tmp_path / "jpg", 150, seed=13)
    images = [Image.open(path).convert("L") for path in files]
    half = len(images) // 2
    images[0].save(tmp_path / "stack.pdf", save_all=True, append_images=images[1:half], resolution=150)
    images[half].save(tmp_path / "stack.tif", save_all=True, append_images=images[half + 1:])
    Image.new("L", (1240, 1754), 255).save(tmp_path / "empty.png")
    scanned = scan(folder, (str(tmp_path / "stack.pdf"), str(tmp_path / "stack.tif"), str(tmp_path / "empty.png")),
                   tmp_path / "out", model="standin")
    statuses = [(Path(p.file).name, p.status) for p in scanned.pages]
    assert [s for _, s in statuses[:-1]] == [READ] * len(images)
    assert statuses[-1][0] == "empty.png" and statuses[-1][1].startswith("no page code found")
    report = list(csv.DictReader((tmp_path / "out" / "report.csv").open()))
    assert [r["file"] for r in report if r["kind"] == "page"] == ["stack.pdf"] * half + ["stack.tif"] * (
        len(images) - half) + ["empty.png"]
    assert {r["status"] for r in report if r["kind"] == "student"} == {"complete"}


def test_a_missing_page_is_listed(class_batch, tmp_path):
    folder, maps, keys = class_batch
    variant = next(iter(maps))
    scans(folder, {variant: maps[variant]}, keys, tmp_path / "in", 150, seed=17)
    first = sorted((tmp_path / "in").iterdir())[0]
    scanned = scan(folder, (str(first),), tmp_path / "out", model="standin")
    number = scanned.pages[0].number
    rows = csv.DictReader((tmp_path / "out" / "report.csv").open())
    report = {r["variant"]: r for r in rows if r["kind"] == "student"}
    others = [str(p["page"]) for p in maps[variant]["pages"] if p["page"] != number]
    assert report[variant]["status"] == "missing pages" and report[variant]["missing_pages"] == " ".join(others)
    rows = list(csv.DictReader((tmp_path / "out" / "responses.csv").open()))
    on_page = {b["id"] for b in maps[variant]["blanks"] if b["page"] == number}
    assert [r["variant"] for r in rows] == [variant]
    assert all(rows[0][b] == "" for b in keys[variant] if b not in on_page)  # not guessed


def test_a_damaged_page_is_reported_and_the_rest_read(class_batch, tmp_path):
    folder, maps, keys = class_batch
    variant = next(iter(maps))
    files = scans(folder, {variant: maps[variant]}, {}, tmp_path / "in", 150, seed=23)
    data = files[0].read_bytes()
    files[0].write_bytes(data[:len(data) // 3])  # a transfer cut short
    scanned = scan(folder, (str(tmp_path / "in"),), model="standin")
    damaged = next(page for page in scanned.pages if page.file == str(files[0]))
    assert "cannot be read" in damaged.status
    assert sum(page.status == READ for page in scanned.pages) == len(files) - 1


def test_the_python_api_is_the_command(class_batch, tmp_path):
    """tracegen.scan writes the command's files byte for byte and returns them as DataFrames, which
    tracegen.grade takes as they are; `progress` hears the page count, then one step per page."""
    folder, maps, keys = class_batch
    variant = next(iter(maps))
    files = scans(folder, {variant: maps[variant]}, keys, tmp_path / "in", 150, seed=43, rough=False)
    heard: list[int] = []

    def progress(total: int):  # noqa: ANN202
        heard.append(total)
        return heard.append

    result = tracegen.scan(folder, tmp_path / "in", tmp_path / "api", jobs=1, progress=progress)
    assert heard == [len(files)] + [1] * len(files)
    run = CliRunner().invoke(cli, ["scan", str(folder), str(tmp_path / "in"), "-o", str(tmp_path / "cli"), "-j", "1"])
    assert run.exit_code == 0, run.output
    for name, frame in (("responses.csv", result.responses), ("report.csv", result.report)):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
        assert frame.equals(pd.read_csv(tmp_path / "cli" / name, dtype=str, keep_default_na=False).map(unsafe))
    students = result.report[result.report["kind"] == "student"]
    accepted, flagged = (students[c].astype(int).sum() for c in ("read", "flagged"))
    assert f"{len(files)} of {len(files)} pages read, {accepted} of {accepted + flagged} blanks accepted" in run.output
    assert result.responses["variant"].tolist() == [variant]
    read = {b: v for b, v in result.responses.iloc[0].items() if b in keys[variant] and v}
    assert len(read) >= 0.6 * len(keys[variant])
    book = tracegen.grade(folder, result.responses).gradebook.set_index("variant")
    assert book.loc[variant, "correct"] == sum(Decimal(v) == Decimal(keys[variant][b]) for b, v in read.items())


def test_the_python_api_without_the_extra_says_how_to_get_it(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "PIL" else real(name))
    with pytest.raises(tracegen.OptionError, match=r"^tracegen scan needs the scan extra \(PIL not installed\): "
                                                   r"pip install 'tracegen\[scan\]'$"):
        tracegen.scan(tmp_path, tmp_path / "page.png", tmp_path / "out")
    assert not (tmp_path / "out").exists()
