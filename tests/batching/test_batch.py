"""`tracegen batch`: output layout, manifest and answers, rosters, resume, failures, determinism."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import tracegen
from tracegen import csvfiles, render
from tracegen.batching import run as batching
from tracegen.batching.roster import parse_roster, read_roster
from tracegen.batching.run import Options
from tracegen.cli import cli

SECRET = "a-class-secret-of-more-than-16-bytes\n"
ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{6,}$")
HOSTILE = ["<script>alert(1)</script>", "../../x", r"$\input{/etc/passwd}$", "Zoë Ñandú 李小龍 محمد", "W" * 600]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fast stand-in renderer (in-process, -j 1) that records which variants it rendered."""
    rendered: list[str] = []

    def fake(trace: tracegen.Trace, kinds=("worksheet", "key"), formats=("md",), *, student=None,
             fillable=False) -> dict:
        rendered.append(trace.variants[0])
        return {(k, f): f"{k} {trace.variants[0]} {student}\n".encode() for k in kinds for f in formats}

    monkeypatch.setattr(render, "render_documents", fake)
    return rendered


def run(out: Path, spec: tracegen.Spec | None = None, **options) -> batching.BatchSummary:
    options.setdefault("formats", ("md",))
    options.setdefault("jobs", 1)
    opts = Options(**options)
    return batching.run(batching.plan(spec or tracegen.load_example(), opts), out, opts)


def manifest(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def hashes(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def write_roster(tmp_path: Path, text: str | bytes, name: str = "class.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# --- layout, manifest, answers ------------------------------------------------------------


def test_layout_and_manifest_hashes_match_the_files(tmp_path: Path, calls: list[str]) -> None:
    summary = run(tmp_path, count=4, kinds=("worksheet", "key"), formats=("md", "html"))
    assert (summary.total, summary.written, summary.skipped) == (4, 4, 0)
    rows = manifest(tmp_path)
    assert list(rows[0]) == ["variant", "student_id", "student_name", "seed_material", "file", "sha256",
                             "active", "inactive", "kinks", "zero_gradients", "loss_first", "loss_last", "ties",
                             "draws"]
    ids = list(dict.fromkeys(row["variant"] for row in rows))
    assert len(ids) == 4 and all(ID.match(i) for i in ids) and ids == calls
    assert [row["seed_material"] for row in rows[::5]] == [f"seed=0/variant={i}" for i in range(1, 5)]
    assert [row["file"] for row in rows[:5]] == [f"{ids[0]}/{name}" for name in
                                                 ("spec.yaml", "worksheet.md", "worksheet.html", "key.md", "key.html")]
    on_disk = hashes(tmp_path)
    assert {row["file"]: row["sha256"] for row in rows} == {k: v for k, v in on_disk.items() if "/" in k}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*ids, "answers.csv", "manifest.csv"])


def test_a_batch_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path, calls: list[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    during: list[tuple[tuple[int, ...], int]] = []
    real = batching.execute
    monkeypatch.setattr(batching, "execute", lambda *a: during.append((gc.get_threshold(), gc.get_freeze_count()))
                        or real(*a))
    before = gc.get_threshold()
    gc.unfreeze()
    run(tmp_path, count=2)
    assert during[0][0][0] == batching.GC_THRESHOLD > before[0] and during[0][1] > 0  # fewer, smaller collections
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    assert len(calls) == 2


def test_answers_equal_the_trace_of_each_variants_spec_yaml(tmp_path: Path, calls: list[str]) -> None:
    run(tmp_path, count=5, seed=11)
    answers = pd.read_csv(tmp_path / "answers.csv", dtype={"variant": str})
    assert len(answers) == 5
    for _, row in answers.iterrows():
        spec = tracegen.load_spec(tmp_path / row["variant"] / "spec.yaml")
        blanks = tracegen.trace(spec).blanks()
        assert list(answers.columns) == ["variant", *blanks["blank"]]
        assert row.iloc[1:].astype(float).tolist() == blanks["value"].tolist()  # exact, not approximate
    text = (tmp_path / "answers.csv").read_text(encoding="utf-8")
    assert "e1:y_hat:0:0:0" in text.splitlines()[0] and "e1:dW1:-1:0:2" in text.splitlines()[0]


def test_tracegen_trace_of_spec_yaml_reproduces_the_variant(tmp_path: Path, calls: list[str]) -> None:
    run(tmp_path, count=1, seed=3)
    vid = calls[0]
    variant = batching.plan(tracegen.load_example(), Options(count=1, seed=3))[0].variant
    result = CliRunner().invoke(cli, ["trace", str(tmp_path / vid / "spec.yaml")])
    assert result.exit_code == 0
    expected = tracegen.trace(variant.spec, variant="base").export("csv").decode()  # the file does not hold the id
    assert result.output == expected


def test_same_seed_gives_byte_identical_batches_and_another_seed_does_not(tmp_path: Path, calls: list[str]) -> None:
    run(tmp_path / "a", count=6, seed=42)
    run(tmp_path / "b", count=6, seed=42)
    run(tmp_path / "c", count=6, seed=43)
    assert hashes(tmp_path / "a") == hashes(tmp_path / "b")
    assert not set(calls[:6]) & set(calls[12:])


# --- rosters ------------------------------------------------------------------------------


def test_roster_tolerates_bom_crlf_blank_lines_and_extra_columns(tmp_path: Path) -> None:
    text = "\ufeffEmail,Student ID,Name,Group\r\n\r\na@x,s1,Ada Lovelace,1\r\n,,,\r\nb@x, s2 ,,2\r\n\r\n"
    students = read_roster(write_roster(tmp_path, text))
    assert [(s.id, s.name, s.line) for s in students] == [("s1", "Ada Lovelace", 3), ("s2", None, 5)]


def test_roster_accepts_semicolons_and_id_without_name(tmp_path: Path) -> None:
    assert [(s.id, s.name) for s in parse_roster("name;id\nAda;7\n")] == [("7", "Ada")]
    assert [(s.id, s.name) for s in parse_roster("student\n1\n2\n")] == [("1", None), ("2", None)]


@pytest.mark.parametrize(("text", "message"), [
    ("id,name\ns1,Ada\n,Bob\n", "class.csv:3: missing student id (column 'id')"),
    ("id,name\ns1,Ada\n\ns2,Bob\ns1,Cy\n", "class.csv:5: duplicate student id 's1' (first on line 2)"),
    ("name,group\nAda,1\n", "class.csv:1: no student id column; expected a header with one of student_id, id, "
                            "student (found 'name', 'group')"),
    ("id,name\n", "class.csv: no students (the roster has a header but no rows)"),
    ("\n\n", "class.csv: the roster is empty (expected a header with a student_id column)"),
    (b"id,name\ns1,Ada\ns2,B\xe9a\n", "class.csv:3: not UTF-8 text (save the roster as 'CSV UTF-8')"),
])
def test_bad_rosters_exit_2_naming_file_and_line(tmp_path: Path, text: str | bytes, message: str) -> None:
    path = write_roster(tmp_path, text)
    result = CliRunner().invoke(cli, ["batch", "--roster", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr == f"tracegen: error: {path.parent}/{message}\n"
    assert not (tmp_path / "out").exists()


def test_hostile_names_never_reach_paths(tmp_path: Path, calls: list[str]) -> None:
    rows = "\n".join(f'{i},"{name}"' for i, name in enumerate(HOSTILE)) + '\na.b,"x"\n'
    run(tmp_path / "out", roster=write_roster(tmp_path, "student_id,name\n" + rows))
    created = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    assert created - {"class.csv", "out"} == {
        f"out/{p}" for p in hashes(tmp_path / "out")} | {f"out/{vid}" for vid in calls}
    assert all(ID.match(vid) for vid in calls) and not (tmp_path.parent / "x").exists()
    names = [row["student_name"] for row in manifest(tmp_path / "out")[::3]]
    assert names == [*HOSTILE, "x"]


def test_adding_a_student_changes_no_one_elses_variant(tmp_path: Path, calls: list[str]) -> None:
    run(tmp_path / "a", roster=write_roster(tmp_path, "id\ns1\ns2\n", "a.csv"))
    run(tmp_path / "b", roster=write_roster(tmp_path, "id\ns0\ns1\ns3\ns2\n", "b.csv"))
    before = {r["student_id"]: r["variant"] for r in manifest(tmp_path / "a")}
    after = {r["student_id"]: r["variant"] for r in manifest(tmp_path / "b")}
    assert before == {k: after[k] for k in before}


# --- secrets --------------------------------------------------------------------------------


def test_secret_file_derivation_is_stable_and_differs_from_the_seed(tmp_path: Path, calls: list[str]) -> None:
    roster = write_roster(tmp_path, "id\ns1\ns2\n")
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    run(tmp_path / "a", roster=roster, secret_file=secret)
    run(tmp_path / "b", roster=roster, secret_file=secret)
    run(tmp_path / "c", roster=roster)
    assert hashes(tmp_path / "a") == hashes(tmp_path / "b")
    keyed, plain = manifest(tmp_path / "a"), manifest(tmp_path / "c")
    assert keyed[0]["seed_material"].startswith("secret=") and keyed[0]["seed_material"].endswith("/student=s1")
    assert SECRET.strip() not in (tmp_path / "a" / "manifest.csv").read_text()
    assert {r["variant"] for r in keyed}.isdisjoint(r["variant"] for r in plain)


@pytest.mark.parametrize(("args", "message"), [
    ([], "give either --variants N or --roster FILE.csv (exactly one)"),
    (["--variants", "0"], "--variants: expected a whole number from 1 to 100000, got 0"),
    (["--variants", "2", "--seed", "1", "--secret-file", "s"], "give either --seed or --secret-file, not both"),
    (["--variants", "2", "-j", "0"], "--jobs: expected at least 1 worker, got 0"),
    (["--variants", "2", "--secret-file", "short"],
     "--secret-file: short holds 5 bytes; use at least 16 random ones, "
     "e.g. `head -c 32 /dev/urandom | base64 > short`"),
    (["--variants", "2", "--secret-file", "big"],
     "--secret-file: big is larger than 64 KiB; a secret is 16 to a few hundred random bytes (is this the "
     "right file?)"),
    (["--variants", "2", "--secret-file", "/dev/zero"],  # was read up to the cap: a device is no file
     "--secret-file: cannot read /dev/zero: not a regular file but a device"),
])
def test_bad_options_exit_2_with_one_line_and_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("short").write_text("12345\n")
    Path("big").write_bytes(b"s" * 70_000)
    result = CliRunner().invoke(cli, ["batch", *args, "-o", "out"])
    assert (result.exit_code, result.stderr) == (2, f"tracegen: error: {message}\n")
    assert not Path("out").exists()


def test_unmeetable_constraints_exit_2_naming_the_spec_and_write_nothing(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    data = tracegen.load_example().to_dict()
    data["variants"]["constraints"] = {"max_output_z": 0.001}
    monkeypatch.chdir(tmp_path)
    Path("tight.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", "tight.yaml", "--variants", "30", "-o", "out"])
    assert result.exit_code == 2
    assert result.stderr.startswith("tracegen: error: tight.yaml: variants.constraints.max_output_z: variant "
                                    "seed=0/variant=1: "
                                    "no draw in 1000 tries met the constraints; most often failed: max_output_z "
                                    "(1000 of 1000 draws), ")
    assert not Path("out").exists()


# --- resume, interruption, failures -------------------------------------------------------


def test_rerun_redoes_only_the_damaged_variants_and_force_redoes_all(tmp_path: Path, calls: list[str]) -> None:
    run(tmp_path, count=5)
    first, before = list(calls), hashes(tmp_path)
    (tmp_path / first[1] / "key.md").unlink()
    (tmp_path / first[3] / "worksheet.md").write_bytes(b"tampered")
    calls.clear()
    summary = run(tmp_path, count=5)
    assert calls == [first[1], first[3]] and (summary.written, summary.skipped) == (2, 3)
    assert hashes(tmp_path) == before
    calls.clear()
    run(tmp_path, count=5)
    assert calls == []
    run(tmp_path, count=5, force=True)
    assert calls == first


def test_a_damaged_manifest_means_everything_is_redone(tmp_path: Path, calls: list[str]) -> None:
    run(tmp_path, count=3)
    (tmp_path / "manifest.csv").write_text("variant,file\nnot,ours\n")
    calls.clear()
    assert run(tmp_path, count=3).written == 3 and len(calls) == 3


def test_a_changed_spec_or_roster_name_is_redone(tmp_path: Path, calls: list[str]) -> None:
    run(tmp_path, roster=write_roster(tmp_path, "id,name\ns1,Ada\ns2,Bob\n"))
    calls.clear()
    run(tmp_path, roster=write_roster(tmp_path, "id,name\ns1,Ada\ns2,Bobby\n"))
    assert len(calls) == 1
    calls.clear()
    retitled = tracegen.load_example().with_title("Class 3, again")
    run(tmp_path, spec=retitled, roster=tmp_path / "class.csv")
    assert len(calls) == 2


def test_an_interrupted_run_leaves_whole_files_and_resumes(tmp_path: Path, calls: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fake = render.render_documents

    def interrupted(trace: tracegen.Trace, *args, **kwargs) -> dict:
        if len(calls) == 3:
            raise KeyboardInterrupt
        return fake(trace, *args, **kwargs)

    monkeypatch.setattr(render, "render_documents", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, count=6)
    assert {row["variant"] for row in manifest(tmp_path)} == set(calls[:3])
    assert not list(tmp_path.rglob("*.tmp")) and not (tmp_path / "answers.csv").exists()
    done = list(calls[:3])
    monkeypatch.setattr(render, "render_documents", fake)
    calls.clear()
    assert run(tmp_path, count=6).skipped == 3
    assert not set(calls) & set(done) and len(calls) == 3


def test_one_failing_variant_is_reported_and_the_others_are_written(tmp_path: Path, calls: list[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake = render.render_documents

    def flaky(trace: tracegen.Trace, *args, **kwargs) -> dict:
        if len(calls) == 1:
            calls.append(trace.variants[0])
            raise tracegen.RenderError("no fonts\nhere")
        return fake(trace, *args, **kwargs)

    monkeypatch.setattr(render, "render_documents", flaky)
    result = CliRunner().invoke(cli, ["batch", "--variants", "3", "-j", "1", "--to", "md", "-o", str(tmp_path)])
    bad = calls[1]
    assert result.exit_code == 1
    assert result.stderr == (f"tracegen: error: 1 of 3 variants failed (the others were written): "
                             f"{bad}: RenderError: no fonts here\n")
    assert not (tmp_path / bad).exists()
    assert {row["variant"] for row in manifest(tmp_path)} == set(calls) - {bad}
    assert len(pd.read_csv(tmp_path / "answers.csv")) == 2


def test_piped_output_is_quiet(tmp_path: Path, calls: list[str]) -> None:
    result = CliRunner().invoke(cli, ["batch", "--variants", "2", "-j", "1", "--to", "md", "-o", str(tmp_path)])
    assert (result.exit_code, result.output) == (0, "")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.slow
def test_a_terminal_gets_a_progress_bar_and_a_summary(tmp_path: Path) -> None:
    terminal, child = os.openpty()
    args = ["batch", "--variants", "2", "-j", "1", "--to", "md", "--kind", "key", "-o", str(tmp_path)]
    done = subprocess.run([sys.executable, "-m", "tracegen", *args], stderr=child, stdout=subprocess.PIPE, timeout=120)
    os.close(child)
    shown = os.read(terminal, 65536).decode()
    os.close(terminal)
    assert done.returncode == 0 and done.stdout == b""
    assert "100%" in shown and f"2 variants in {tmp_path} (2 written, 0 unchanged)" in shown


# --- the real renderer ----------------------------------------------------------------------


def read_docs(out: Path, fmt: str) -> Callable[[str], str]:
    return lambda vid: (out / vid / f"worksheet.{fmt}").read_text(encoding="utf-8")


def test_real_documents_print_the_variant_and_escape_hostile_names(tmp_path: Path) -> None:
    roster = write_roster(tmp_path, "id,name\n" + "".join(f'{i},"{n}"\n' for i, n in enumerate(HOSTILE)))
    run(tmp_path / "out", roster=roster, kinds=("worksheet",), formats=("md", "html"), jobs=2)
    rows = manifest(tmp_path / "out")[::3]
    html, md = read_docs(tmp_path / "out", "html"), read_docs(tmp_path / "out", "md")
    for row in rows:
        assert row["variant"] in html(row["variant"]) and row["variant"] in md(row["variant"])
    script, _, latex, unicode, long = (row["variant"] for row in rows)
    assert "<script>alert" not in html(script) and "&lt;script&gt;" in html(script)
    assert r"$\input{" not in md(latex)  # no live TeX in Markdown; HTML maths is pre-rendered, so text is text
    assert "李小龍" in html(unicode) and "李小龍" in md(unicode)
    assert HOSTILE[-1][:40] in html(long)  # printed (the renderer may shorten it)


@pytest.mark.slow
def test_real_pdf_batch_is_byte_identical_across_runs(tmp_path: Path) -> None:
    for name in ("a", "b"):
        run(tmp_path / name, count=1, kinds=("key",), formats=("pdf",))
    assert hashes(tmp_path / "a") == hashes(tmp_path / "b")
    pdf = next((tmp_path / "a").glob("*/key.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)"])
def test_roster_text_cannot_become_a_spreadsheet_formula(cell: str) -> None:
    assert csvfiles.spreadsheet_safe(cell) == "'" + cell
    assert csvfiles.spreadsheet_safe("Ada Lovelace") == "Ada Lovelace"


def test_documents_name_the_student_with_their_id() -> None:
    # Two students may share a name, and a name in a script the PDF fonts lack would leave
    # nothing readable: the id always stands beside the name.
    ada, anon = parse_roster("student_id,name\ns1,Ada\ns2,\n")
    assert (ada.label, anon.label) == ("Ada (s1)", "s2")


def _worker_of(variant: int) -> int:
    """A task for `_Workers`: the worker's process id; the task on variant 0 kills its worker."""
    if variant == 0:
        os._exit(1)
    return os.getpid()


def test_a_variants_tasks_stay_with_its_worker_and_a_dead_workers_waiting_tasks_go_to_another(tmp_path: Path) -> None:
    team = batching._Workers(2, str(tmp_path))
    try:
        first = dict(team.each(_worker_of, [(i, (i + 1,)) for i in range(4)]))  # none dies: variants 1 to 4
        where = {i: future.result() for i, future in first.items()}
        assert len(set(where.values())) == 2 and where[0] == where[2] and where[1] == where[3]
        again = dict(team.each(_worker_of, [(i, (i + 1,)) for i in (3, 2, 1, 0)]))
        assert {(3, 2, 1, 0)[i]: future.result() for i, future in again.items()} == where  # each where it was
        ended = dict(team.each(_worker_of, [(i, (i,)) for i in range(6)]))  # variant 0 kills its worker
        failed = {i for i, future in ended.items() if future.exception() is not None}
        assert failed in ({0, 2}, {0})  # what the dead worker was running or had been handed; 4 waited for it
        assert {ended[i].result() for i in {1, 2, 3, 4, 5} - failed} == {where[1]}
    finally:
        team.stop()


@pytest.mark.slow
def test_a_stamped_batchs_workers_trace_nothing_and_import_no_weasyprint(tmp_path: Path) -> None:
    """With two workers, the variants the plan traced (for the paper-ready cells) and WeasyPrint (imported before
    they fork) are the parent's: in a fresh process, each variant is traced once and WeasyPrint imported once, both
    in the parent, and the PDFs are still made."""
    log = tmp_path / "log"
    code = f"""
import os, tracegen
from tracegen.batching import stamping
from tracegen.render.pdf import loader

def logged(what, call):
    def wrapped(*args, **kwargs):
        with open({str(log)!r}, "a") as out:
            out.write(f"{{what}} {{os.getpid()}}\\n")
        return call(*args, **kwargs)
    return wrapped

stamping.trace, loader._import = logged("trace", stamping.trace), logged("import", loader._import)
tracegen.batch(tracegen.load_example(), {str(tmp_path / "batch")!r}, variants=3, to="pdf", jobs=2)
print(os.getpid())
"""
    parent = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert sorted(log.read_text().splitlines()) == [f"import {parent}"] + [f"trace {parent}"] * 3
    assert len(list((tmp_path / "batch").glob("*/*.pdf"))) == 6
