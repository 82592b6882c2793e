"""Every `onewindow` command, core and plugin, has --help and fails clearly on an empty instance.

The test walks the click command tree (plugin commands included, as `register_commands` adds
them), so a new command is covered without being listed. On an instance folder with no
database a command either works (exit 0) or ends with exactly one line on stderr,
`onewindow: error: …`, exit code 1 and no traceback; a command that needs the database names
`onewindow init`.
"""

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from onewindow.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DEMO_PACK = str(ROOT / "item_packs" / "demo-county")
NEEDS_INIT = "run `onewindow init`"

#: Arguments for commands whose required parameters need meaningful values, and what an empty
#: instance must answer: "ok" (exit 0), "init" (one error line naming `onewindow init`) or
#: "verdict" (exit 1 with the verdict on stdout, e.g. an offline verification that fails).
#: Commands not listed get arguments synthesised from their parameter types and must be
#: "ok" or fail with one error line.
SAMPLES = {
    "init": ([], "ok"),
    "plugins": ([], "ok"),
    "db upgrade": ([], "ok"),
    "pack validate": ([DEMO_PACK], "ok"),
    "licence verify": (["{tmp}/licence.json"], "verdict"),
    "serve": (["--port", "0"], "init"),
    "scheduler": ([], "init"),
    "calendar check": (["2026-12-01", "3"], "init"),
    "calendar import": ([str(ROOT / "item_packs" / "calendar" / "2026.json")], "init"),
    "pack install": ([DEMO_PACK], "init"),
    "pack diff": ([DEMO_PACK], "init"),
    "pack uninstall": (["demo-county"], "init"),
    "pack import-xlsx": (["{tmp}/input.json"], "init"),
    "user create": (["--username", "li4", "--password", "s3cret-pass", "--role", "acceptor"], "init"),
    "case show": (["11369921102345608H3000000000001202612010001"], "init"),
    "case transition": (["11369921102345608H3000000000001202612010001", "accept", "--as", "acceptor"], "init"),
    "case create": (["--as", "acceptor", "--json", "{}"], "init"),
    "licence export": (["1.2.156.3005.2.11100.11369921102345608H.000001.001.X", "{tmp}/out.json"], "init"),
    "supervision report": (["--month", "2026-11"], "init"),
    "archive export": (["11369921102345608H3000000000001202612010001"], "init"),
    "archive verify": (["{tmp}/input.json"], "verdict"),
}


def _walk(command, path, ctx):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), [*path, name], ctx)


def _every_command(instance: Path):
    ctx = click.Context(cli, info_name="onewindow")
    ctx.params["instance"] = str(instance)
    return [(path, command) for path, command in _walk(cli, [], ctx)]


def _synthesised(command: click.Command, tmp: Path) -> list[str]:
    """Plausible values for the required parameters of a command nobody listed."""
    args = []
    for param in command.params:
        if not param.required:
            continue
        kind = param.type
        if isinstance(kind, click.Choice):
            value = str(kind.choices[0])
        elif isinstance(kind, click.DateTime):
            value = "2026-12-01"
        elif isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
            value = "1"
        elif isinstance(kind, click.Path):
            value = str(tmp if kind.dir_okay and not kind.file_okay else tmp / "input.json")
        else:
            value = "x"
        args += [param.opts[0], value] if isinstance(param, click.Option) else [value]
    return args


def _run(args, instance: Path):
    return CliRunner().invoke(
        cli, ["--instance", str(instance), *args], env={"ONEWINDOW_DATABASE_URL": None, "ONEWINDOW_INSTANCE": None}
    )


def _assert_one_error_line(result, what):
    assert result.exit_code == 1, f"{what}: exit {result.exit_code}\n{result.output}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("onewindow: error: "), f"{what}: stderr {result.stderr!r}"
    return lines[0]


def _no_traceback(result, what):
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{what}: traceback instead of one error line") from result.exception


def test_the_walk_finds_core_and_plugin_commands(tmp_path):
    names = {" ".join(path) for path, _ in _every_command(tmp_path / "inst")}
    assert {
        "init",
        "serve",
        "pack validate",
        "pack uninstall",
        "calendar check",
        "case show",
        "licence verify",
        "scheduler",
        "supervision scan",
        "intermediary redraw",
    } <= names
    stale = sorted(set(SAMPLES) - names)
    assert not stale, f"SAMPLES lists commands that do not exist: {stale}"


def test_every_command_has_help(tmp_path):
    for path, command in _every_command(tmp_path / "inst"):
        result = _run([*path, "--help"], tmp_path / "inst")
        what = "onewindow " + " ".join(path)
        _no_traceback(result, what)
        assert result.exit_code == 0 and "Usage:" in result.output, f"{what} --help: {result.output}"
        if path:
            assert (command.help or "").strip(), f"{what} has no one-line description"


def test_every_command_on_an_empty_instance_works_or_fails_in_one_line(tmp_path):
    """Each command on its own fresh instance folder with no database."""
    checked = 0
    for number, (path, command) in enumerate(_every_command(tmp_path / "walk")):
        if isinstance(command, click.Group):
            continue
        name = " ".join(path)
        work = tmp_path / f"run{number}"
        work.mkdir()
        (work / "input.json").write_text("{}", encoding="utf-8")
        args, expected = SAMPLES.get(name, (None, "any"))
        args = [a.replace("{tmp}", str(work)) for a in args] if args is not None else _synthesised(command, work)
        result = _run([*path, *args], work / "inst")
        what = f"onewindow {name} {' '.join(args)}"
        _no_traceback(result, what)
        if expected == "ok":
            assert result.exit_code == 0, f"{what}: exit {result.exit_code}\n{result.output}"
        elif expected == "init":
            assert NEEDS_INIT in _assert_one_error_line(result, what), what
        elif expected == "verdict":
            assert result.exit_code == 1 and result.stdout.strip(), what
        elif result.exit_code != 0:
            _assert_one_error_line(result, what)
        checked += 1
    assert checked >= 25


def test_pack_validate_on_a_fresh_machine_checks_the_pack_on_its_own(tmp_path):
    """A county's first step, before `onewindow init`: the real entry point, a bare folder."""
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "onewindow.cli", "pack", "validate", DEMO_PACK],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "checked on its own" in done.stdout
    assert "pack demo-county 1.0.0 is valid" in done.stdout
    assert "Traceback" not in done.stderr


def test_pack_validate_on_its_own_reports_references_outside_the_pack(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("pack.yaml", "item_types.yaml"):
        (pack / name).write_text((Path(DEMO_PACK) / name).read_text(encoding="utf-8"), encoding="utf-8")
    (pack / "items").mkdir()
    # The demo's items without the organisation they name: their departments are unknown.
    for source in (Path(DEMO_PACK) / "items").glob("*.yaml"):
        (pack / "items" / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    result = _run(["pack", "validate", str(pack)], tmp_path / "inst")
    _no_traceback(result, "pack validate")
    line = _assert_one_error_line(result, "pack validate")
    assert "problem(s) in" in line
    assert "checked on its own" in result.stdout
    assert "11369921102345608H" in result.stdout


def test_pack_uninstall_on_an_empty_instance_says_run_init(tmp_path):
    result = _run(["pack", "uninstall", "demo-county"], tmp_path / "inst")
    _no_traceback(result, "pack uninstall")
    assert NEEDS_INIT in _assert_one_error_line(result, "pack uninstall")


@pytest.fixture
def db_cli(ow_database, tmp_path):
    """Run commands against the test's own migrated database."""

    def _invoke(*args):
        env = {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "inst")}
        return CliRunner().invoke(cli, list(args), env=env)

    engine = create_engine(ow_database)
    _invoke.engine = engine
    yield _invoke
    engine.dispose()


def _set_revisions(engine, drop: str, add: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": drop})
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": add})


def test_pack_validate_checks_against_the_installed_organisation(db_cli):
    result = db_cli("pack", "validate", DEMO_PACK)
    assert result.exit_code == 0, result.output
    assert "checked on its own" not in result.stdout


def test_an_outdated_database_is_named_with_the_command_to_run(db_cli):
    _set_revisions(db_cli.engine, "s0005_card_backfill_indexes", "s0004_card_open_bytewise")
    for args in (
        ["pack", "list"],
        ["pack", "validate", DEMO_PACK],
        ["user", "create", "--username", "x", "--password", "s3cret-pass", "--role", "acceptor"],
    ):
        result = db_cli(*args)
        line = _assert_one_error_line(result, " ".join(args))
        assert "the database schema is not up to date" in line and "s0004_card_open_bytewise" in line
        assert line.endswith("run `onewindow init` first")


def test_a_migration_no_loaded_part_provides_is_named(db_cli):
    _set_revisions(db_cli.engine, "s0005_card_backfill_indexes", "zz0001_gone_plugin")
    result = db_cli("pack", "list")
    line = _assert_one_error_line(result, "pack list")
    assert "zz0001_gone_plugin" in line and "that no loaded part of OneWindow provides" in line
    result = db_cli("init")
    _no_traceback(result, "init")
    assert "zz0001_gone_plugin" in _assert_one_error_line(result, "init")


def test_a_command_that_skips_the_check_still_names_the_missing_init(tmp_path):
    """The safety net: a missing table met by a command that did not check first."""
    from onewindow.cli import State

    @click.command("raw-query")
    @click.pass_obj
    def raw_query(state: State):
        """Read a table without checking the schema (test only)."""
        from onewindow.app import db

        with state.app.app_context():
            db.session.execute(text("SELECT count(*) FROM ow_pack")).scalar()

    cli.add_command(raw_query)
    try:
        result = _run(["raw-query"], tmp_path / "inst")
    finally:
        cli.commands.pop("raw-query")
    _no_traceback(result, "raw-query")
    assert NEEDS_INIT in _assert_one_error_line(result, "raw-query")
