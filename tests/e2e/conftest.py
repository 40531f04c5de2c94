"""The end-to-end scenarios run on both engines: every test here that uses the `store` fixture
runs on SQLite and on PostgreSQL (skipped when no server answers), unless it (or its module)
chose its engines or reads the SQLite file directly (it asks for `db_url`)."""

from __future__ import annotations

import inspect

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" not in metafunc.fixturenames:
        return
    if any(
        m.name == "parametrize" and "store" in str(m.args[0])
        for m in metafunc.definition.iter_markers()
    ):
        return
    if hasattr(metafunc.module, "store"):  # the module's own store fixture chose the engines
        return
    if "db_url" in inspect.signature(metafunc.function).parameters:
        return
    metafunc.parametrize("store", ["sqlite", "postgres"], indirect=True)
