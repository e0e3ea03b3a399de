"""The scan tests' batch, a fixture imported by the test modules (not a conftest.py: its name would
hide the suite's own conftest from `from conftest import ...`)."""

from __future__ import annotations

import csv
from pathlib import Path

import paper
import pytest

import tracegen


@pytest.fixture(scope="session", name="class_batch")
def batch_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict], dict[str, dict[str, str]]]:
    """Two variants of the Class 3 example, paper-ready (or with the tests' own position maps where
    the worksheets are not), their position maps; and each variant's key as written
    (blank id -> text at the printed decimals)."""
    folder = tmp_path_factory.mktemp("scan") / "class"
    tracegen.batch(tracegen.load_example(), folder, variants=2, seed=2026, to="pdf", kind="worksheet", jobs=2)
    maps = paper.maps_of(folder)
    rows = list(csv.reader((folder / "answers.csv").open()))
    keys = {row[0]: {blank: paper.text_of(float(value), 3) for blank, value in zip(rows[0][1:], row[1:], strict=True)}
            for row in rows[1:]}
    return folder, maps, keys

