"""Layered configuration: defaults → instance file → ONEWINDOW_* environment; unknown keys refused."""

import pytest
from sqlalchemy import text

from onewindow.app import create_app, db
from onewindow.config import build
from onewindow.errors import StartupError


def test_default_database_is_sqlite_file_in_instance_folder(tmp_path):
    settings, _ = build(tmp_path, environ={})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'onewindow.db'}"


def test_environment_overrides_instance_file(tmp_path):
    (tmp_path / "onewindow.toml").write_text('APP_NAME = "from file"\nDEFAULT_LOCALE = "en"\n', encoding="utf-8")
    settings, _ = build(tmp_path, environ={"ONEWINDOW_APP_NAME": "from env"})
    assert settings["APP_NAME"] == "from env"
    assert settings["DEFAULT_LOCALE"] == "en"


def test_list_and_bool_values_from_environment(tmp_path):
    settings, _ = build(tmp_path, environ={"ONEWINDOW_PLUGINS_DISABLED": "a, b", "ONEWINDOW_DEBUG": "yes"})
    assert settings["PLUGINS_DISABLED"] == ["a", "b"]
    assert settings["DEBUG"] is True


def test_unknown_key_in_instance_file_names_file_and_key(tmp_path):
    (tmp_path / "onewindow.toml").write_text('DATABSE_URL = "sqlite://"\n', encoding="utf-8")
    with pytest.raises(StartupError) as err:
        build(tmp_path, environ={})
    assert "onewindow.toml" in str(err.value) and "'DATABSE_URL'" in str(err.value)


def test_unknown_environment_variable_is_refused(tmp_path):
    with pytest.raises(StartupError, match="ONEWINDOW_DATBASE_URL"):
        build(tmp_path, environ={"ONEWINDOW_DATBASE_URL": "x"})


def test_bad_boolean_says_what_is_expected(tmp_path):
    with pytest.raises(StartupError, match="DEBUG must be true or false"):
        build(tmp_path, environ={"ONEWINDOW_DEBUG": "maybe"})


def test_secret_key_is_generated_into_instance_folder_not_the_repo(tmp_path):
    first, _ = build(tmp_path, environ={})
    again, _ = build(tmp_path, environ={})
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] == again["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unreachable_database_stops_startup_with_one_line(tmp_path):
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
    with pytest.raises(StartupError) as err:
        create_app({"DATABASE_URL": url}, instance_path=tmp_path)
    message = str(err.value)
    assert "unreachable" in message and "ONEWINDOW_DATABASE_URL" in message
    assert "secret" not in message  # the password is never printed
    assert "\n" not in message


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    app = create_app({"TESTING": True}, instance_path=tmp_path)
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
