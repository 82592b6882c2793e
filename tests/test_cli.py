"""The `onewindow` command line: fixed command names, --help everywhere, one clear error line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from onewindow.cli import cli

COMMANDS = [
    [],
    ["init"],
    ["serve"],
    ["user"],
    ["user", "create"],
    ["plugins"],
    ["db"],
    ["db", "upgrade"],
    ["db", "check"],
    ["db", "revision"],
    ["backup"],
    ["restore"],
]


@pytest.fixture
def cli_env(ow_database, tmp_path):
    return {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "inst")}


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "onewindow")
def test_every_command_has_help(args):
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_plugins_command_lists_key_version_status(cli_env):
    result = CliRunner().invoke(cli, ["plugins"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "core" in result.output and "loaded" in result.output


def test_user_create_with_department(cli_env):
    result = CliRunner().invoke(
        cli,
        [
            "user",
            "create",
            "--username",
            "li4",
            "--password",
            "s3cret-pass",
            "--role",
            "approver",
            "--department",
            "11369921102503987F",
        ],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert "created user li4" in result.output


def test_user_create_refuses_unknown_role_with_the_choices(cli_env):
    result = CliRunner().invoke(
        cli, ["user", "create", "--username", "x", "--password", "s3cret-pass", "--role", "boss"], env=cli_env
    )
    assert result.exit_code == 1
    assert "--role boss 不是角色；可选：admin, acceptor" in result.output


def test_department_role_requires_a_department(cli_env):
    result = CliRunner().invoke(
        cli, ["user", "create", "--username", "x", "--password", "s3cret-pass", "--role", "seal_admin"], env=cli_env
    )
    assert result.exit_code == 1
    assert "请用 --department 给出部门的统一社会信用代码" in result.output


def test_unreachable_database_is_one_line_and_exit_1(tmp_path):
    env = {"ONEWINDOW_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x", "ONEWINDOW_INSTANCE": str(tmp_path)}
    result = CliRunner().invoke(cli, ["plugins"], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("onewindow: error: database")


def test_serve_refuses_an_uninitialised_database(tmp_path):
    env = {"ONEWINDOW_INSTANCE": str(tmp_path)}
    result = CliRunner().invoke(cli, ["serve", "--port", "0"], env=env)
    assert result.exit_code == 1 and "run `onewindow init` first" in result.output


def test_init_demo_on_empty_database_prints_logins_and_is_repeatable(tmp_path):
    env = {**os.environ, "ONEWINDOW_INSTANCE": str(tmp_path / "inst")}
    env.pop("ONEWINDOW_DATABASE_URL", None)
    first = subprocess.run(
        [sys.executable, "-m", "onewindow.cli", "init", "--demo"], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert "admin" in first.stdout and "departments +15" in first.stdout
    second = subprocess.run(
        [sys.executable, "-m", "onewindow.cli", "init", "--demo"], env=env, capture_output=True, text=True
    )
    assert "departments +0" in second.stdout
    admin_line = next(line for line in first.stdout.splitlines() if line.split()[:2] == ["admin", "admin"])
    password = admin_line.split()[2]
    assert f"admin\t{password}\tadmin" in (Path(tmp_path / "inst" / "demo-logins.txt")).read_text()
