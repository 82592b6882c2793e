"""Plugins on and off: disabling a plugin whose tables hold data keeps the platform
running (serve's schema check, `onewindow init`, `onewindow db check`, the other plugins'
cases); its screens, jobs and hooks are gone; enabling it again brings them back with
its data. `onewindow plugins disable|enable` persist the choice; `purge` drops the data."""

from decimal import Decimal

import pytest
from area1_helpers import PERSON, RE, accept, application, item_by_form
from click.testing import CliRunner
from construction_helpers import open_cases, project
from intermediary_helpers import agency
from sqlalchemy import inspect
from test_enterprise_registration import establishment

from onewindow.app import db
from onewindow.cases.core import Actor
from onewindow.cases.models import Case, StepState
from onewindow.cli import cli
from onewindow.migrate import current_heads, pending_diff, upgrade
from onewindow.models import Department
from onewindow.scheduling.registry import collect_jobs

BUILT_IN = ["construction", "enterprise", "intermediary", "public_security", "realestate", "supervision"]
ADMIN = Actor("admin", frozenset({"admin"}))
UNIT = "369921001001GB00001F00010001"


def populate(acceptor) -> dict[str, list[str]]:
    """A few cases (and rows) per plugin on the demo organisation; plugin key → case numbers."""
    from onewindow_enterprise.service import ESTABLISH
    from onewindow_public_security.service import PASSPORT
    from onewindow_realestate.models import PropertyUnit
    from onewindow_realestate.service import TRANSFER

    db.session.add(
        PropertyUnit(
            unit_number=UNIT,
            location="云溪县云溪镇人民路1号1栋101室",
            area=Decimal("85.50"),
            use="住宅",
            right_type="国有建设用地使用权/房屋所有权",
            owner_name="王五",
            owner_id=PERSON,
            mortgaged=False,
            department=db.session.query(Department).filter_by(credit_code=RE).one(),
        )
    )
    db.session.commit()
    agency(1)
    transfer = {
        "applicant_name": "王五",
        "id_number": PERSON,
        "property_address": "云溪县云溪镇人民路1号1栋101室",
        "unit_number": UNIT,
        "phone": "13800000000",
        "buyer_name": "赵六",
        "buyer_id": "11010519491231002X",
        "price": "1000000",
    }
    passport = {
        "applicant_name": "王五",
        "id_number": PERSON,
        "phone": "13800000000",
        "address": "云溪县人民路1号",
        "gender": "男",
        "birth_date": "2000-02-29",
    }
    cases = {
        "construction": [c.number for c in open_cases(project(), "initiation", acceptor, ["110401000000"])],
        "enterprise": [accept(acceptor, application(item_by_form(ESTABLISH), establishment())).number],
        "public_security": [
            accept(acceptor, application(item_by_form(PASSPORT), passport, window_code="C05")).number for _ in range(2)
        ],
        "realestate": [accept(acceptor, application(item_by_form(TRANSFER), transfer)).number],
    }
    assert all(cases.values())
    return cases


def plugin_views(app, key: str) -> list[str]:
    return [type(v).__name__ for v in app.appbuilder.baseviews if type(v).__module__.startswith(f"onewindow_{key}.")]


def plugin_tables(app, key: str) -> set[str]:
    with app.app_context():
        return {t for t in inspect(db.engine).get_table_names() if t.startswith(f"{key}_")}


def serve_check_passes(app) -> None:
    """What `onewindow serve` checks before it starts (and `onewindow init` must not die)."""
    upgrade(app)
    applied, expected = current_heads(app)
    assert applied == expected, f"serve would refuse: applied {sorted(applied)}, expected {sorted(expected)}"
    assert pending_diff(app) == []  # `onewindow db check`


def case_works(app, client, number: str) -> None:
    """The case opens in the workbench and the engine moves it on (plugins' hooks run)."""
    assert client.get(f"/workbench/case/{number}").status_code == 200, number
    from onewindow.cases import engine

    with app.app_context():
        case = db.session.query(Case).filter_by(number=number).one()
        step = next(s for s in case.steps if s.state == StepState.active)
        engine.approve_step(case, step.id, ADMIN, "符合条件，同意")
        assert next(s for s in case.steps if s.id == step.id).state == StepState.approved


@pytest.mark.parametrize("key", BUILT_IN)
def test_disabling_and_enabling_a_plugin_keeps_the_platform_and_the_other_plugins_cases_working(
    key, app, make_app, actor, login
):
    with app.app_context():
        cases = populate(actor("acceptor"))
    tables = plugin_tables(app, key)
    assert tables, f"plugin {key} has no tables to keep"

    off = make_app(config={"PLUGINS_DISABLED": [key]})
    serve_check_passes(off)
    host = off.extensions["onewindow"].plugins
    assert host.pm.get_plugin(key) is None  # its hooks are gone
    assert plugin_views(off, key) == []  # its screens and menus are gone
    assert not [j for j in collect_jobs(host) if key in j.source]  # its jobs are gone
    assert plugin_tables(off, key) == tables  # its data stays
    client = off.test_client()
    login(client, "admin")
    for number in cases.get(key, []):  # its own cases stay readable
        assert client.get(f"/workbench/case/{number}").status_code == 200, number
    for other, numbers in cases.items():
        if other != key:
            for number in numbers:
                case_works(off, client, number)

    on = make_app()
    serve_check_passes(on)
    assert plugin_views(on, key)
    assert on.extensions["onewindow"].plugins.pm.get_plugin(key) is not None
    client = on.test_client()
    login(client, "admin")
    for number in cases.get(key, []):
        case_works(on, client, number)


def test_plugins_disable_and_enable_persist_the_choice_in_the_instance_file(tmp_path, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_PLUGINS_DISABLED", raising=False)
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "onewindow.toml").write_text(
        '# county settings\nAPP_NAME = "云溪县一窗通"\n\n[plugins.intermediary]\nmin_bidders = 5\n', encoding="utf-8"
    )
    runner, env = CliRunner(), {"ONEWINDOW_INSTANCE": str(instance)}
    result = runner.invoke(cli, ["plugins", "disable", "realestate"], env=env)
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 1 and "disabled" in result.output
    runner.invoke(cli, ["plugins", "disable", "construction"], env=env)
    from onewindow.config import build

    settings, sections = build(instance)
    assert settings["PLUGINS_DISABLED"] == ["realestate", "construction"]
    assert settings["APP_NAME"] == "云溪县一窗通" and sections == {"intermediary": {"min_bidders": 5}}
    assert "# county settings" in (instance / "onewindow.toml").read_text(encoding="utf-8")
    result = runner.invoke(cli, ["plugins", "enable", "realestate"], env=env)
    assert result.exit_code == 0 and "enabled" in result.output
    assert build(instance)[0]["PLUGINS_DISABLED"] == ["construction"]


def test_plugins_disable_refuses_an_unknown_key_naming_the_installed_ones(tmp_path):
    result = CliRunner().invoke(cli, ["plugins", "disable", "realstate"], env={"ONEWINDOW_INSTANCE": str(tmp_path)})
    assert result.exit_code == 1
    assert "'realstate'" in result.output and "realestate" in result.output.split("installed:")[1]
    assert not (tmp_path / "onewindow.toml").exists()


def test_purge_drops_a_disabled_plugins_tables_only_when_confirmed(ow_database, tmp_path, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_PLUGINS_DISABLED", raising=False)
    env = {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "inst")}
    runner = CliRunner()
    refused = runner.invoke(cli, ["plugins", "purge", "realestate", "--yes"], env=env)
    assert refused.exit_code == 1 and "plugins disable realestate" in refused.output
    runner.invoke(cli, ["plugins", "disable", "realestate"], env=env)
    unconfirmed = runner.invoke(cli, ["plugins", "purge", "realestate"], env=env)
    assert unconfirmed.exit_code == 1 and "--yes" in unconfirmed.output
    purged = runner.invoke(cli, ["plugins", "purge", "realestate", "--yes"], env=env)
    assert purged.exit_code == 0, purged.output
    assert "realestate_transfer" in purged.output
    from onewindow.app import create_app

    app = create_app({"DATABASE_URL": ow_database}, instance_path=tmp_path / "inst")
    assert plugin_tables(app, "realestate") == set()
    serve_check_passes(app)  # the platform runs on without the plugin
    runner.invoke(cli, ["plugins", "enable", "realestate"], env=env)
    app = create_app({"DATABASE_URL": ow_database}, instance_path=tmp_path / "inst")
    serve_check_passes(app)  # `onewindow init` brings the tables back, empty
    assert "realestate_transfer" in plugin_tables(app, "realestate")
