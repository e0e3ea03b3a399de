"""Shared fixtures: the Class 3 spec as the seed slides give it, spec-file writers, and one headless Chromium."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser import Browser, BrowserMissing

import tracegen

# The seed slides' network (slide 5), written out here rather than read from the packaged
# example, so the tests also catch a drift of the example file.
CLASS3: dict[str, Any] = {
    "title": "Class 3: Training by Hand",
    "network": {
        "layers": [
            {"units": 2, "activation": "relu", "W": [[1, -1, 1], [-2, 0, 1]], "b": [0, 1]},
            {"units": 1, "activation": "sigmoid", "W": [[1, -1]], "b": [0]},
        ]
    },
    "loss": "bce",
    "data": {"x": [1, 0, 1], "y": 1},
    "training": {"learning_rate": 0.1, "epochs": 3, "optimizer": "sgd", "update": ["W", "b"]},
    "display": {"decimals": 3},
}


@pytest.fixture(scope="session", autouse=True)
def layout_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The commands' PDF layout cache lives in a folder of the test session, never the user's (subprocesses too)."""
    folder = tmp_path_factory.mktemp("layout-cache")
    before = os.environ.get("TRACEGEN_CACHE_DIR")
    os.environ["TRACEGEN_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        del os.environ["TRACEGEN_CACHE_DIR"]
    else:
        os.environ["TRACEGEN_CACHE_DIR"] = before


@pytest.fixture
def class3_dict() -> dict[str, Any]:
    """A fresh, mutable copy of the Class 3 spec as plain data."""
    return copy.deepcopy(CLASS3)


@pytest.fixture
def class3_spec() -> tracegen.Spec:
    return tracegen.Spec.from_dict(copy.deepcopy(CLASS3))


@pytest.fixture(scope="session")
def class3_trace() -> tracegen.Trace:
    return tracegen.trace(tracegen.Spec.from_dict(copy.deepcopy(CLASS3)))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def to_toml(data: dict[str, Any]) -> str:
    """A tiny TOML writer for spec dicts (tomllib only reads); nested tables go inline."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in value.items())
    return "\n".join(lines) + "\n"


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    """write_spec(data, suffix=".yaml", name="spec") -> path; `data` may be a dict or raw text."""

    def write(data: dict[str, Any] | str, suffix: str = ".yaml", name: str = "spec") -> Path:
        path = tmp_path / f"{name}{suffix}"
        if isinstance(data, str):
            text = data
        elif suffix == ".json":
            text = json.dumps(data)
        elif suffix == ".toml":
            text = to_toml(data)
        else:
            text = yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the session; missing, it fails with what to install (never skips)."""
    try:
        browser = Browser()
    except BrowserMissing as error:
        message = str(error)
    else:
        yield browser
        browser.close()
        return
    pytest.fail(message, pytrace=False)  # outside `except`: one line, no chained traceback


@pytest.fixture
def forbid(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """forbid((module, "name"), ...): the test fails if one of these functions runs, e.g. the
    engine, when a refusal must come before any work."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("work started that the refusal should have come before")

    def apply(*targets: tuple[object, str]) -> None:
        for owner, name in targets:
            monkeypatch.setattr(owner, name, fail)

    return apply
