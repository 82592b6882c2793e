"""One environment prefix, ``ONEWINDOW_``; the old ``OW_`` names still work, with a warning."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from onewindow import config
from onewindow.environ import RenamedVariableWarning, getenv
from onewindow.licences import crypto

ROOT = Path(__file__).resolve().parents[1]
#: Where an old name may still be written: the code that reads it, and this test.
COMPATIBILITY = {"platform/onewindow/environ.py", "tests/test_environment_prefix.py"}


def test_a_variable_is_read_under_the_onewindow_prefix():
    assert getenv("TEST_DATABASE_URL", environ={"ONEWINDOW_TEST_DATABASE_URL": "sqlite://"}) == "sqlite://"
    assert getenv("TEST_DATABASE_URL", "fallback", environ={}) == "fallback"


def test_the_old_ow_name_is_still_read_with_a_warning_naming_the_new_one():
    with pytest.warns(RenamedVariableWarning, match="OW_TEST_DATABASE_URL .*rename it to ONEWINDOW_TEST_DATABASE_URL"):
        assert getenv("TEST_DATABASE_URL", environ={"OW_TEST_DATABASE_URL": "sqlite://"}) == "sqlite://"


def test_the_new_name_wins_over_the_old_one_without_a_warning(recwarn):
    both = {"ONEWINDOW_SEAL_KEK": "new", "OW_SEAL_KEK": "old"}
    assert getenv("SEAL_KEK", environ=both) == "new"
    assert not [w for w in recwarn if issubclass(w.category, RenamedVariableWarning)]


def test_the_seal_key_is_taken_from_its_old_name_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_SEAL_KEK", raising=False)
    monkeypatch.setenv("OW_SEAL_KEK", "11" * 32)
    with pytest.warns(RenamedVariableWarning, match="ONEWINDOW_SEAL_KEK"):
        assert crypto.load_kek("22" * 32, tmp_path) == bytes.fromhex("11" * 32)


def test_the_variables_that_are_not_configuration_keys_do_not_stop_the_platform():
    environ = {
        "ONEWINDOW_TEST_DATABASE_URL": "sqlite://",
        "ONEWINDOW_TEST_ARTIFACTS": "/tmp/a",
        "ONEWINDOW_SEAL_KEK": "11" * 32,
        "ONEWINDOW_DEFAULT_LOCALE": "en",
    }
    assert config.load_env(environ) == {"DEFAULT_LOCALE": "en"}


def test_no_file_of_the_repository_names_an_old_ow_variable():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    old = re.compile(r"\bOW_[A-Z][A-Z_]+")
    found = []
    for name in files:
        path = ROOT / name
        if name in COMPATIBILITY or not path.is_file() or path.suffix not in {".py", ".sh", ".md", ".toml", ""}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if "old name" not in line:  # a mention of the compatibility itself
                found += [f"{name}:{number}: {m.group(0)}" for m in old.finditer(line)]
    assert not found, "rename to ONEWINDOW_…: " + ", ".join(found)
