"""Start-up: each command imports what it needs (timings are in docs/BENCHMARKS.md; here, what gets loaded)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tracegen

HEAVY = ("pandas", "numpy", "weasyprint", "jinja2", "fontTools")


def loaded_after(code: str) -> list[str]:
    """The heavy libraries a fresh process has loaded after running `code`."""
    probe = f"import sys\n{code}\nsys.stderr.write(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stderr.split()


def test_the_command_line_and_the_errors_load_nothing_heavy() -> None:
    assert loaded_after("import tracegen.errors") == []
    assert loaded_after("import tracegen.cli") == []
    assert loaded_after("from tracegen.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass") == []


def test_checking_a_spec_loads_numpy_but_not_pandas_or_weasyprint() -> None:
    example = Path(tracegen.__file__).parent / "examples" / "class3.yaml"
    code = f"from tracegen.cli import main\ntry:\n    main(['check', {str(example)!r}])\nexcept SystemExit:\n    pass"
    assert loaded_after(code) == ["numpy"]


def test_every_public_name_is_importable_and_listed() -> None:
    for name in tracegen.__all__:
        assert getattr(tracegen, name) is not None
    namespace: dict[str, object] = {}
    exec("from tracegen import *", namespace)  # noqa: S102 - the star import the contract's users write
    assert set(tracegen.__all__) <= set(namespace)
    assert set(tracegen.__all__) <= set(dir(tracegen))


@pytest.mark.slow
def test_rendering_a_trace_loads_no_pandas() -> None:
    """The trace keeps its columns as arrays; pandas (and pyarrow with it, ~0.3 s) loads only for `Trace.df`."""
    code = ("import tracegen, tracegen.render\nfrom tracegen.document import build\n"
            "t = tracegen.trace(tracegen.load_example())\n"
            "docs = tracegen.render.render_documents(t, formats=('md', 'html'))\n"
            "assert all(len(doc) > 1000 for doc in docs.values()) and len(docs) == 4\n"
            "for kind in ('worksheet', 'key'):\n"
            "    text, blocks = tracegen.render.markup(build(t, kind), 'pdf')\n"
            "    assert text.startswith('<!DOCTYPE html>') and blocks\n")
    assert "pandas" not in loaded_after(code)
    assert "pandas" in loaded_after(code + "t.df\n")  # the probe sees pandas when it loads


@pytest.mark.slow
def test_a_batch_from_the_command_line_loads_no_pandas(tmp_path) -> None:
    """`tracegen batch` writes its folders, manifest and answers without pandas (a quarter second of its start);
    `tracegen.batch` still returns the manifest as a DataFrame."""
    out = tmp_path / "batch"
    code = (f"from tracegen.cli import main\ntry:\n    main(['batch', '--variants', '2', '--to', 'md', '-j', '1', "
            f"'-o', {str(out)!r}])\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n")
    assert "pandas" not in loaded_after(code)
    assert sorted(path.name for path in out.iterdir()) == sorted(["answers.csv", "manifest.csv", *(
        line.split(",")[0] for line in (out / "answers.csv").read_text().splitlines()[1:])])
    api = f"import tracegen\ntracegen.batch(tracegen.load_example(), {str(tmp_path / 'api')!r}, variants=2, to='md')\n"
    assert "pandas" in loaded_after(api)
