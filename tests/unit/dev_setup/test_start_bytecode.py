"""Whether `voiceqr serve` starts from bytecode: what `dev.py` and bench/start.py report."""

from __future__ import annotations

import importlib
import os
import py_compile
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from voiceqr.entrypoints.bytecode import modules_without_bytecode


@pytest.fixture
def module_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # an import must not fix it
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in ("compiled_for_the_test", "edited_for_the_test"):
        sys.modules.pop(name, None)


def test_a_module_imported_with_its_bytecode_is_not_reported(module_folder: Path) -> None:
    source = module_folder / "compiled_for_the_test.py"
    source.write_text("ANSWER = 42\n")
    py_compile.compile(str(source), cfile=importlib.util.cache_from_source(str(source)))
    importlib.import_module("compiled_for_the_test")

    imported, missing = modules_without_bytecode()

    assert imported > 1
    assert "compiled_for_the_test" not in missing


def test_a_module_edited_since_it_was_compiled_is_reported(module_folder: Path) -> None:
    source = module_folder / "edited_for_the_test.py"
    source.write_text("ANSWER = 42\n")
    py_compile.compile(str(source), cfile=importlib.util.cache_from_source(str(source)))
    source.write_text("ANSWER = 43  # edited\n")
    os.utime(source, (source.stat().st_atime, source.stat().st_mtime + 5))
    importlib.import_module("edited_for_the_test")

    assert "edited_for_the_test" in modules_without_bytecode()[1]
