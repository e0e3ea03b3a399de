"""A batch builds each document of a variant once per process (`documents.keeping`, `stamping.reusing`),
however often it measures, lays out and renders it; what it keeps is told apart by trace, kind, student and
cells, and is dropped when the batch ends."""

from __future__ import annotations

import os
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from tracegen.batching import run, stamping
from tracegen.engine.trace import trace
from tracegen.render import documents, render_documents
from tracegen.render.documents import PaperReady, keeping, pdf_rooms
from tracegen.spec.model import load_spec

CLASS3 = str(resources.files("tracegen").joinpath("examples", "class3.yaml"))


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Every document built, counted by (variant, kind, paper-ready cells or not)."""
    counted: Counter = Counter()
    real = documents.build

    def build(result, kind, student=None, digits=None):  # noqa: ANN001, ANN202 - build's own signature
        counted[(result.variants[0], kind, digits is not None)] += 1
        return real(result, kind, student, digits)

    monkeypatch.setattr(documents, "build", build)
    return counted


@pytest.mark.slow
def test_a_batch_builds_each_variants_documents_once(builds: Counter, tmp_path: Path) -> None:
    jobs = run.plan(load_spec(CLASS3), run.Options(count=2, formats=("md", "pdf")))
    outcomes: list[run.Outcome] = []
    run.execute(jobs, tmp_path, {}, 1, outcomes.append)  # measured, laid out, rendered: in this process
    assert [o.error for o in outcomes] == [None, None]
    ids = [job.variant.id for job in jobs]
    # the worksheet's Markdown has no cells, its paper-ready PDF has: two documents, each built once
    assert builds == Counter({(i, kind, cells): 1 for i in ids
                              for kind, cells in (("worksheet", False), ("worksheet", True), ("key", False))})
    before = sum(builds.values())
    stamping.measure(jobs[0].variant.spec, ids[0], ("key",), None)  # the batch is over: nothing kept
    assert sum(builds.values()) == before + 1


def test_kept_documents_are_told_apart_by_student_and_cells(builds: Counter) -> None:
    result = trace(load_spec(CLASS3))
    ready = PaperReady("0123456789", {"z1": 2})
    with keeping():
        ada, bob = (render_documents(result, ("worksheet",), ("md",), student=name)[("worksheet", "md")]
                    for name in ("Ada", "Bob"))
        cells = pdf_rooms(result, ("worksheet",), paper_ready=ready)["worksheet"]
        plain = pdf_rooms(result, ("worksheet",))["worksheet"]
        again = pdf_rooms(result, ("worksheet",), paper_ready=ready)["worksheet"]
        assert builds == Counter({("base", "worksheet", False): 3, ("base", "worksheet", True): 1})
    assert b"Ada" in ada and b"Bob" not in ada and b"Bob" in bob
    assert cells != plain and again == cells
    assert ada == render_documents(result, ("worksheet",), ("md",), student="Ada")[("worksheet", "md")]
    assert cells == pdf_rooms(result, ("worksheet",), paper_ready=ready)["worksheet"]  # built anew: the same
    assert builds[("base", "worksheet", True)] == 2


@pytest.mark.slow
def test_a_batchs_workers_build_each_variant_where_it_was_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    """With -j 2 a variant is measured, measured again and rendered by one worker (`run._Workers`), so its documents
    are built once in all; only a group's layout may be made by the other worker (one build more per group)."""
    log = tmp_path / "builds.log"
    real = documents.build

    def build(result, kind, student=None, digits=None):  # noqa: ANN001, ANN202 - build's own signature
        with log.open("a") as handle:  # the workers are forked: the parent's counter would not see them
            handle.write(f"{os.getpid()} {result.variants[0]} {kind}\n")
        return real(result, kind, student, digits)

    monkeypatch.setattr(documents, "build", build)
    jobs = run.plan(load_spec(CLASS3), run.Options(count=4, formats=("pdf",)))
    outcomes: list[run.Outcome] = []
    run.execute(jobs, tmp_path / "out", {}, 2, outcomes.append)
    assert sorted(o.error or "" for o in outcomes) == [""] * 4
    built = Counter(tuple(line.split()) for line in log.read_text().splitlines())
    assert len({pid for pid, _, _ in built}) == 2 and set(built.values()) == {1}  # each process built each once
    where = Counter((variant, kind) for _, variant, kind in built)
    assert set(where) == {(job.variant.id, kind) for job in jobs for kind in ("worksheet", "key")}
    assert sum(where.values()) <= len(where) + 2  # main's pool built about one in two twice (88 builds for 60)
