"""Catalogue screens, the pack upload page, generated application forms and Excel exchange."""

import io
import shutil
import zipfile
from pathlib import Path

import yaml
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from onewindow.app import db
from onewindow.catalogue.forms import build_application_form
from onewindow.catalogue.install import check, install, plan
from onewindow.catalogue.xlsx import export_workbook, read_workbook
from onewindow.demo import DEMO_DIR
from onewindow.models.items import FieldType, FormField, Item, Pack

ESTABLISH = "011001000000"


def zipped(folder: Path) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in folder.rglob("*"):
            zf.write(path, Path(folder.name) / path.relative_to(folder))
    buffer.seek(0)
    return buffer


def test_acceptor_reads_an_item_with_its_materials_list(client, login, app):
    login(client, "acceptor")
    with app.app_context():
        item_id = db.session.query(Item.id).filter_by(basic_code=ESTABLISH).scalar()
    page = client.get(f"/itemview/show/{item_id}").get_data(as_text=True)
    for text in ["企业设立登记", "公司章程", "住所使用证明", "云溪县市场监督管理局"]:
        assert text in page
    assert "普通护照签发" in client.get("/itemview/list/").get_data(as_text=True)
    assert client.get("/packs/upload/").status_code in (302, 403)  # only the centre admin installs packs


def test_admin_uploads_a_pack_sees_report_and_diff_then_applies(client, login, app, tmp_path):
    login(client, "admin")
    broken = tmp_path / "broken" / "demo-county"
    shutil.copytree(DEMO_DIR, broken)
    items = broken / "items" / "enterprise.yaml"
    items.write_text(
        items.read_text(encoding="utf-8").replace("name: 公司章程", "name: 其他相关材料"), encoding="utf-8"
    )
    page = client.post(
        "/packs/upload/", data={"archive": (zipped(broken), "pack.zip")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "items/enterprise.yaml: item 011001000000 企业设立登记: material 2" in page
    assert "apply-pack" not in page
    good = tmp_path / "good" / "demo-county"
    shutil.copytree(DEMO_DIR, good)
    manifest = yaml.safe_load((good / "pack.yaml").read_text(encoding="utf-8"))
    manifest["version"] = "1.2.0"
    (good / "pack.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    page = client.post(
        "/packs/upload/", data={"archive": (zipped(good), "pack.zip")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "升级 demo-county 1.0.0 → 1.2.0" in page and "apply-pack" in page
    diff = page.split('id="pack-diff"')[1].split("</pre>")[0]
    assert "项事项 未变" in diff and "unchanged" not in diff  # the diff is in the screen's language
    token = page.split("/packs/upload/apply/")[1].split('"')[0]
    response = client.post(f"/packs/upload/apply/{token}")
    assert response.status_code == 302
    landed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "demo-county 1.2.0 已安装：" in landed and "unchanged" not in landed
    with app.app_context():
        assert db.session.query(Pack).filter_by(key="demo-county").one().version == "1.2.0"
    history = client.get("/packeventview/list/").get_data(as_text=True)
    assert "1.2.0" in history


def test_generated_form_checks_id_number_choices_and_pattern(app):
    fields = [
        FormField(position=1, name="company_name", label="企业名称", type=FieldType.text, required=True),
        FormField(
            position=2,
            name="company_type",
            label="企业类型",
            type=FieldType.select,
            required=True,
            choices=["有限责任公司（自然人独资）", "股份有限公司（非上市）"],
        ),
        FormField(position=3, name="registered_capital", label="注册资本（万元）", type=FieldType.number),
        FormField(position=4, name="legal_rep_id", label="法定代表人身份证号码", type=FieldType.id_number),
        FormField(position=5, name="credit_code", label="统一社会信用代码", type=FieldType.credit_code, required=False),
        FormField(position=6, name="phone", label="联系电话", type=FieldType.phone),
        FormField(position=7, name="postcode", label="邮政编码", type=FieldType.text, required=False, regex=r"^\d{6}$"),
    ]
    with app.app_context():
        item = Item(basic_code=ESTABLISH, name="企业设立登记", version=1, form_key=None, fields=fields)
        form_class = build_application_form(item)
        good = {
            "company_name": "云溪县青山茶业有限公司",
            "company_type": "有限责任公司（自然人独资）",
            "registered_capital": "50",
            "legal_rep_id": "11010519491231002X",
            "phone": "0793-7210001",
            "postcode": "344000",
        }
        assert form_class(MultiDict(good)).validate()
        bad = form_class(
            MultiDict(
                {
                    **good,
                    "legal_rep_id": "110105194912310021",
                    "company_type": "无限公司",
                    "postcode": "34400",
                    "phone": "12345",
                    "credit_code": "91440300MA5G7K2L83",
                }
            )
        )
        assert not bad.validate()
        assert "校验码错误" in bad.legal_rep_id.errors[0] and "校验码错误" in bad.credit_code.errors[0]
        assert bad.company_type.errors and bad.postcode.errors and bad.phone.errors
        assert form_class(MultiDict({**good, "company_name": ""})).validate() is False  # required


def test_item_with_a_plugin_form_key_gets_the_plugin_form(make_app, throwaway_plugin):
    plugin = throwaway_plugin(
        """
        from wtforms import Form, StringField
        from onewindow.plugins import hookimpl

        class OneForm(Form):
            name = StringField()

        @hookimpl
        def register_item_forms(register):
            register("oneform.test", OneForm)
    """,
        key="oneform",
    )
    app = make_app(plugins=[("oneform", plugin)])
    with app.app_context():
        item = Item(basic_code=ESTABLISH, name="企业设立登记", form_key="oneform.test", version=1)
        assert build_application_form(item).__name__ == "OneForm"


def test_excel_export_and_import_round_trip_with_the_same_validation(app, tmp_path):
    with app.app_context():
        target = tmp_path / "catalogue.xlsx"
        count = export_workbook(db.session, target)
        assert count >= 60
        wb = load_workbook(target)
        first = wb["items"]["A2"].value
        assert first == "010301000000"  # codes keep their leading zeros
        imported = read_workbook(target, db.session)
        assert check(imported, app, db.session).ok
        imported.manifest["version"] = "1.0.1"
        assert plan(imported, db.session).summary["changed"] == 0
        db.session.rollback()
        sheet = wb["materials"]
        original = sheet["B2"].value
        sheet["B2"] = "申请人需要的其他材料"
        header = [c.value for c in wb["items"][1]]
        legal = wb["items"].cell(row=2, column=header.index("legal_days") + 1).value
        wb["items"].cell(row=2, column=header.index("promised_days") + 1, value=legal + 15)
        wb["pack"]["B3"] = "1.0.1"
        wb.save(target)
        edited = read_workbook(target, db.session)
        lines = check(edited, app, db.session).lines()
        db.session.rollback()
        assert any(line.startswith(f"{target}#items row 2: item {first}") and "catch-all" in line for line in lines)
        assert any(
            f"promised_days: {legal + 15} working days exceed the legal limit of {legal}" in line for line in lines
        )
        sheet["B2"] = original
        wb["items"].cell(row=2, column=header.index("promised_days") + 1, value=legal)
        wb.save(target)
        result = install(read_workbook(target, db.session), app, db.session, "admin")
        assert (len(result.plan.changed), len(result.plan.cancelled)) == (1, 0)
