"""Pack validation: every problem at once, each naming file, item, field and how to fix it."""

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from onewindow.app import db
from onewindow.catalogue.commands import pack
from onewindow.catalogue.install import check
from onewindow.catalogue.packs import load_pack
from onewindow.catalogue.schema import SCHEMA_PATH, checker
from onewindow.cli import State
from onewindow.demo import DEMO_DIR

ENTERPRISE = "items/enterprise.yaml"
ESTABLISH = "011001000000"  # 企业设立登记


def copy_demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo-county"
    shutil.copytree(DEMO_DIR, target)
    return target


def edit_item(pack_dir: Path, file: str, code: str, change) -> None:
    path = pack_dir / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(next(it for it in data["items"] if it["basic_code"] == code))
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems(app, pack_dir: Path, display: str = "pack") -> list[str]:
    with app.app_context():
        report = check(load_pack(pack_dir, display=display), app, db.session)
        db.session.rollback()
    return report.lines()


def test_demo_pack_is_valid_and_has_sixty_items_in_six_areas(app):
    assert problems(app, DEMO_DIR) == []
    pack = load_pack(DEMO_DIR)
    assert len(pack.items) >= 60
    assert {it.get("service_area") for it in pack.items} == {
        "enterprise",
        "realestate",
        "public_security",
        "construction",
        "intermediary",
        None,
    }
    assert "中文博彩平台" not in "".join(p.read_text(encoding="utf-8") for p in DEMO_DIR.rglob("*.yaml"))


def test_demo_pack_files_conform_to_the_published_json_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    manifest = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/manifest", "properties": {}})
    files = jsonschema.Draft202012Validator(schema)
    for path in DEMO_DIR.rglob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        validator = manifest if path.name == "pack.yaml" else files
        assert [e.message for e in validator.iter_errors(document)] == [], path


BROKEN_ITEMS = [
    {"basic_code": 11001000000},  # a number, not text
    {"handling_type": "urgent"},
    {"visits_required": 2},
    {"materials": [{"name": "申请书", "necessity": "must", "form": "original", "source": "applicant"}]},
    {"routing": {"mode": "sequential", "steps": [{"department": "X", "days": -1}]}},
    {"unknown_field": 1},
    {"fields": [{"name": "Bad Name", "label": "x", "type": "text"}]},
]


@pytest.mark.parametrize("change", BROKEN_ITEMS, ids=lambda c: next(iter(c)))
def test_compiled_schema_agrees_with_jsonschema(change):
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    reference = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/item", "properties": {}})
    item = next(it for it in load_pack(DEMO_DIR).items if it["basic_code"] == ESTABLISH)
    assert not list(reference.iter_errors(item)) and not checker("item")(item)
    broken = {**item, **change}
    assert list(reference.iter_errors(broken)) and checker("item")(broken)


def test_catch_all_material_is_refused_naming_file_item_material_and_fix(app, tmp_path):
    pack_dir = copy_demo(tmp_path)
    edit_item(
        pack_dir,
        ENTERPRISE,
        ESTABLISH,
        lambda it: it["materials"].append(
            {"name": "其他相关材料", "necessity": "required", "form": "copy", "source": "applicant"}
        ),
    )
    found = problems(app, pack_dir, "item_packs/demo-county")
    assert found == [
        f'item_packs/demo-county/{ENTERPRISE}: item {ESTABLISH} 企业设立登记: material 7 "其他相关材料": '
        '"其他相关材料" is vague wording or a catch-all; list the documents by name'
    ]


@pytest.mark.parametrize("name", ["房屋产权证明等材料", "申请人有关证明", "其他材料", "根据情况需要的补充说明"])
def test_vague_wording_in_a_material_name_is_refused(app, tmp_path, name):
    pack_dir = copy_demo(tmp_path)
    edit_item(pack_dir, ENTERPRISE, ESTABLISH, lambda it: it["materials"][0].update(name=name))
    assert any("catch-all" in p and name in p for p in problems(app, pack_dir))


def test_promised_limit_above_legal_limit_is_refused(app, tmp_path):
    pack_dir = copy_demo(tmp_path)
    edit_item(pack_dir, ENTERPRISE, ESTABLISH, lambda it: it.update(promised_days=20, legal_days=15))
    found = problems(app, pack_dir)
    assert any("promised_days: 20 working days exceed the legal limit of 15" in p for p in found)


def test_immediate_item_promises_zero_or_one_day(app, tmp_path):
    pack_dir = copy_demo(tmp_path)
    edit_item(pack_dir, ENTERPRISE, "011004000000", lambda it: it.update(promised_days=3))
    assert any("item 011004000000" in p and "immediate item (即办件)" in p for p in problems(app, pack_dir))


@pytest.mark.parametrize("leads", [0, 2])
def test_routing_has_exactly_one_lead_department(app, tmp_path, leads):
    pack_dir = copy_demo(tmp_path)

    def change(it):
        for i, step in enumerate(it["routing"]["steps"]):
            step["lead"] = i < leads

    edit_item(pack_dir, "items/realestate.yaml", "070202000000", change)
    assert any(f"routing.steps: has {leads} lead departments; mark exactly one" in p for p in problems(app, pack_dir))


def test_every_broken_reference_is_reported_at_once(app, tmp_path):
    pack_dir = copy_demo(tmp_path)
    edit_item(
        pack_dir,
        ENTERPRISE,
        ESTABLISH,
        lambda it: it.update(
            department="91440300MA5G7K2L82", zone=9, windows=["Z99"], form_key="nobody.form", type="99"
        ),
    )
    found = "\n".join(problems(app, pack_dir))
    for text in [
        "department: 91440300MA5G7K2L82 is not a department",
        "zone: zone 9 is not declared",
        "windows: window Z99 is not declared",
        "form_key: no loaded plugin registers the form",
        "type: '99' is not in item_types",
    ]:
        assert text in found


def test_code_formats_and_checksums_are_checked(app, tmp_path):
    pack_dir = copy_demo(tmp_path)
    edit_item(pack_dir, ENTERPRISE, ESTABLISH, lambda it: it.update(department="11369921102345608J"))
    edit_item(pack_dir, ENTERPRISE, "011002000000", lambda it: it.update(basic_code="0110020000"))
    found = "\n".join(problems(app, pack_dir))
    assert "统一社会信用代码校验码错误" in found
    assert "'0110020000' is not a basic code" in found


def test_duplicate_codes_are_refused(app, tmp_path):
    pack_dir = copy_demo(tmp_path)
    edit_item(pack_dir, ENTERPRISE, "011002000000", lambda it: it.update(basic_code=ESTABLISH))
    assert any(
        "implementation code 11369921102345608H4011001000000 is also used by" in p for p in problems(app, pack_dir)
    )


def test_plugin_checks_its_own_section_through_the_hook(make_app, throwaway_plugin, tmp_path):
    plugin = throwaway_plugin(
        """
        from onewindow.plugins import hookimpl

        @hookimpl
        def validate_pack(pack, report):
            for i, row in enumerate(pack.sections.get("fees", [])):
                if row.get("amount", 0) < 0:
                    report(pack.file("fees.yaml"), f"fee {i + 1}", "amount", "must not be negative")
    """,
        key="fees",
    )
    app = make_app(plugins=[("fees", plugin)])
    pack_dir = copy_demo(tmp_path)
    (pack_dir / "fees.yaml").write_text("fees:\n  - {amount: -5}\n", encoding="utf-8")
    (pack_dir / "other.yaml").write_text("nobody: []\n", encoding="utf-8")
    found = problems(app, pack_dir)
    assert "pack/fees.yaml: fee 1: amount: must not be negative" in found
    assert any("pack/other.yaml: nobody: unknown section" in p for p in found)


def test_yaml_syntax_error_names_file_and_line(app, tmp_path):
    pack_dir = copy_demo(tmp_path)
    (pack_dir / "items" / "broken.yaml").write_text("items:\n  - name: [unclosed\n", encoding="utf-8")
    assert any(p.startswith("pack/items/broken.yaml: line ") and "not valid YAML" in p for p in problems(app, pack_dir))


def test_cli_validate_lists_every_problem_and_exits_1(ow_database, tmp_path):
    pack_dir = copy_demo(tmp_path)
    edit_item(pack_dir, ENTERPRISE, ESTABLISH, lambda it: it.update(promised_days=99))
    edit_item(pack_dir, "items/realestate.yaml", "070202000000", lambda it: it["materials"][0].update(name="等材料"))
    env = {"ONEWINDOW_DATABASE_URL": ow_database}
    state = State(str(tmp_path / "inst"))
    result = CliRunner().invoke(pack, ["validate", str(pack_dir)], env=env, obj=state)
    assert result.exit_code == 1
    assert f"{pack_dir}/{ENTERPRISE}: item {ESTABLISH}" in result.output
    assert "items/realestate.yaml: item 070202000000" in result.output
    assert "problem(s) in" in str(result.exception)
    ok = CliRunner().invoke(pack, ["validate", str(DEMO_DIR)], env=env, obj=state)
    assert ok.exit_code == 0 and "is valid" in ok.output
