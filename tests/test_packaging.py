"""The layout rules of STACK.md: platform/ is a source root, never a package."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_platform_folder_is_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_module_still_works_from_repo_root():
    out = subprocess.run(
        [sys.executable, "-c", "import platform, sqlalchemy, onewindow; print(platform.python_implementation())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() in {"CPython", "PyPy"}
