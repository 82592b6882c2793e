"""Installing item packs: all-or-nothing, idempotent, versioned upgrades, guarded uninstall."""

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import inspect, text

from onewindow.app import db
from onewindow.catalogue.commands import pack as pack_cli
from onewindow.catalogue.install import PackRefused, install, plan, uninstall
from onewindow.catalogue.packs import load_pack
from onewindow.cli import State
from onewindow.demo import DEMO_DIR
from onewindow.errors import ValidationError
from onewindow.models.items import Item, ItemAction, ItemEvent, ItemStatus, Pack, PackAction, PackEvent

ESTABLISH = "011001000000"  # 企业设立登记
DEREGISTER = "011005000000"  # 个体工商户注销登记


def copy_demo(tmp_path: Path, **manifest) -> Path:
    target = tmp_path / "demo-county"
    shutil.copytree(DEMO_DIR, target)
    if manifest:
        path = target / "pack.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.update(manifest)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def edit_items(pack_dir: Path, file: str, change) -> None:
    path = pack_dir / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["items"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def row_counts() -> dict[str, int]:
    names = inspect(db.engine).get_table_names()
    return {n: db.session.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}


def test_init_demo_installs_the_demo_pack(app):
    with app.app_context():
        installed = db.session.query(Pack).filter_by(key="demo-county").one()
        assert installed.version == "1.0.0" and installed.item_count >= 60
        assert db.session.query(Item).filter_by(pack_key="demo-county", is_current=True).count() == installed.item_count
        assert db.session.query(ItemEvent).filter_by(action=ItemAction.setup).count() == installed.item_count
        event = db.session.query(PackEvent).filter_by(pack_key="demo-county").one()
        assert event.action == PackAction.install and event.actor == "pack:demo-county@1.0.0" or "init" in event.actor


def test_installing_the_same_pack_again_changes_nothing(app):
    with app.app_context():
        before = row_counts()
        result = install(load_pack(DEMO_DIR), app, db.session, "admin")
        assert result.plan.mode == "unchanged"
        assert row_counts() == before


def test_a_broken_pack_is_refused_and_leaves_the_database_untouched(app, tmp_path):
    pack_dir = copy_demo(tmp_path, key="other-county")
    edit_items(pack_dir, "items/enterprise.yaml", lambda items: items[0].update(promised_days=99))
    with app.app_context():
        before = row_counts()
        with pytest.raises(PackRefused) as refused:
            install(load_pack(pack_dir), app, db.session, "admin")
        assert "promised_days" in str(refused.value)
        assert row_counts() == before


def test_a_failure_during_install_rolls_everything_back(make_app, throwaway_plugin, tmp_path):
    plugin = throwaway_plugin(
        """
        from onewindow.plugins import hookimpl

        @hookimpl
        def install_pack(pack, session):
            raise RuntimeError("disk full")
    """,
        key="failing",
    )
    app = make_app(plugins=[("failing", plugin)])
    pack_dir = copy_demo(tmp_path, version="1.1.0")
    edit_items(pack_dir, "items/enterprise.yaml", lambda items: items[0].update(promised_days=2))
    with app.app_context():
        before = row_counts()
        with pytest.raises(RuntimeError):
            install(load_pack(pack_dir), app, db.session, "admin")
        assert row_counts() == before


def test_upgrade_versions_changed_items_and_keeps_cancelled_ones(app, tmp_path):
    pack_dir = copy_demo(tmp_path, version="1.1.0")

    def change(items):
        establish = next(it for it in items if it["basic_code"] == ESTABLISH)
        establish["promised_days"] = 2
        establish["routing"]["steps"][0]["days"] = 2
        establish["change"] = {"action": "change", "reason": "县政府办〔2026〕12号：承诺时限调整"}
        items[:] = [it for it in items if it["basic_code"] != DEREGISTER]
        items.append({**establish, "basic_code": "011009000000", "name": "农民专业合作社设立登记"})
        del items[-1]["change"]

    edit_items(pack_dir, "items/enterprise.yaml", change)
    with app.app_context():
        new_pack = load_pack(pack_dir)
        lines = plan(new_pack, db.session).lines(new_pack)
        db.session.rollback()
        assert lines[0] == "upgrade demo-county 1.0.0 → 1.1.0"
        changed = next(line for line in lines if line.startswith(f"  ~ item {ESTABLISH} 企业设立登记: version 1 → 2"))
        assert set(changed.split("changed: ")[1].split(", ")) == {"promised_days", "routing"}
        assert any(line.startswith(f"  - item {DEREGISTER}") and "cancelled" in line for line in lines)
        assert "  + item 011009000000 农民专业合作社设立登记 (new)" in lines
        install(new_pack, app, db.session, "admin")
        versions = db.session.query(Item).filter(Item.basic_code == ESTABLISH).order_by(Item.version).all()
        assert [(v.version, v.is_current, v.status) for v in versions] == [
            (1, False, ItemStatus.superseded),
            (2, True, ItemStatus.active),
        ]
        assert versions[1].promised_days == 2 and versions[0].promised_days == 1  # cases keep their version
        event = db.session.query(ItemEvent).filter_by(item_id=versions[1].id).one()
        assert event.action == ItemAction.change and event.reason.startswith("县政府办〔2026〕12号")
        assert event.actor == "admin (pack:demo-county@1.1.0)" and "promised_days" in event.changes["fields"]
        gone = db.session.query(Item).filter_by(basic_code=DEREGISTER).one()
        assert gone.status == ItemStatus.cancelled and not gone.is_current
        assert db.session.query(ItemEvent).filter_by(item_id=gone.id, action=ItemAction.cancel).count() == 1
        assert db.session.query(Pack).filter_by(key="demo-county").one().version == "1.1.0"
        history = db.session.query(PackEvent).filter_by(pack_key="demo-county").order_by(PackEvent.id).all()
        assert [h.action for h in history] == [PackAction.install, PackAction.upgrade]


def test_downgrade_and_changed_content_under_the_same_version_are_refused(app, tmp_path):
    with app.app_context():
        older = copy_demo(tmp_path / "a", version="0.9.0")
        with pytest.raises(ValidationError, match="请将版本号提高到 1.0.0 以上"):
            install(load_pack(older), app, db.session, "admin")
        same = copy_demo(tmp_path / "b")
        edit_items(same, "items/enterprise.yaml", lambda items: items[0].update(guide="新的办事指南"))
        with pytest.raises(ValidationError, match="已安装 demo-county 1.0.0（内容不同）"):
            install(load_pack(same), app, db.session, "admin")


def test_uninstall_is_refused_while_a_case_refers_to_the_pack(app):
    with app.app_context():
        item_id = db.session.query(Item.id).filter_by(basic_code=ESTABLISH).scalar()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t_case (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES ow_item(id))"))
            conn.execute(text("INSERT INTO t_case (id, item_id) VALUES (1, :i)"), {"i": item_id})
        db.session.rollback()
        before = row_counts()
        with pytest.raises(ValidationError, match=r"有办件引用其事项（t_case 中 1 行）"):
            uninstall("demo-county", db.session, "admin")
        assert row_counts() == before
        db.session.rollback()  # end the read transaction before changing the schema
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE t_case"))
        assert uninstall("demo-county", db.session, "admin")["items_removed"] >= 60
        assert db.session.query(Item).count() == 0 and db.session.query(Pack).count() == 0
        assert db.session.query(ItemEvent).filter(ItemEvent.item_id.is_(None)).count() >= 60  # history kept
        assert db.session.query(PackEvent).filter_by(action=PackAction.uninstall).count() == 1


def test_cli_diff_then_install_then_uninstall(ow_database, tmp_path):
    pack_dir = copy_demo(tmp_path, version="1.0.1")
    edit_items(pack_dir, "items/enterprise.yaml", lambda items: items[0].update(promised_days=2))
    env = {"ONEWINDOW_DATABASE_URL": ow_database}
    state = State(str(tmp_path / "inst"))
    diff = CliRunner().invoke(pack_cli, ["diff", str(pack_dir)], env=env, obj=state)
    assert diff.exit_code == 0, diff.output
    assert "upgrade demo-county 1.0.0 → 1.0.1" in diff.output and "changed: promised_days" in diff.output
    done = CliRunner().invoke(pack_cli, ["install", str(pack_dir)], env=env, obj=state)
    assert done.exit_code == 0, done.output
    assert "upgraded demo-county 1.0.1: 0 new, 1 changed, 0 cancelled" in done.output
    again = CliRunner().invoke(pack_cli, ["install", str(pack_dir)], env=env, obj=state)
    assert "nothing changed" in again.output
    gone = CliRunner().invoke(pack_cli, ["uninstall", "demo-county"], env=env, obj=state)
    assert gone.exit_code == 0 and "uninstalled demo-county" in gone.output
