"""Blank forms and samples to download on the item guide (空白表格 / 示例样表): the pack
ships the files beside its YAML (``hall.forms``), install checks that each exists inside
the pack, is of an allowed type by its content and under the size limit; the guide page
offers them and the platform serves them without login."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from onewindow.app import db
from onewindow.catalogue.packs import load_pack

DEMO = Path(__file__).resolve().parents[1] / "item_packs" / "demo-county"
CODE = "011004000000"
MATERIAL = "个体工商户登记（备案）申请书"


def test_the_guide_offers_the_demo_packs_blank_form_and_sample_without_login(client):
    page = client.get(f"/hall/items/{CODE}").get_data(as_text=True)
    link = r'<a href="(/hall/items/[0-9A-Z]+/forms/\d+)" data-kind="(blank|sample)" title="[^"]+" download>([^<]+)</a>'
    links = re.findall(link, page)
    assert {kind for _href, kind, _text in links} == {"blank", "sample"}
    assert [text for _h, kind, text in links if kind == "blank"] == ["下载空白表格"]
    assert 'title="个体工商户登记（备案）申请书（空白表格）"' in page
    blank = next(href for href, kind, _t in links if kind == "blank")
    response = client.get(blank)  # an anonymous visitor
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == (DEMO / "forms" / "gtgsh-application-blank.pdf").read_bytes()
    assert "attachment" in response.headers["Content-Disposition"]


def test_a_form_is_served_only_under_its_own_item(app, client):
    from onewindow_hall.tables import FormFile

    with app.app_context():
        form_id = db.session.query(FormFile).filter_by(basic_code=CODE).first().id
    assert client.get(f"/hall/items/011001000000/forms/{form_id}").status_code == 404
    assert client.get(f"/hall/items/{CODE}/forms/999999").status_code == 404


def _pack_with(tmp_path, entry: dict, files: dict[str, bytes]):
    root = tmp_path / "pack"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("forms"))
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    hall = yaml.safe_load((root / "hall.yaml").read_text(encoding="utf-8"))
    hall["hall"]["forms"] = {CODE: [{"material": MATERIAL, "kind": "blank", "title": "申请书", **entry}]}
    (root / "hall.yaml").write_text(yaml.safe_dump(hall, allow_unicode=True), encoding="utf-8")
    return load_pack(root)


def _problems(pack) -> list[tuple[str, str]]:
    from onewindow_hall.profiles import validate_section

    found: list[tuple[str, str]] = []
    validate_section(pack, lambda file, where, field, message: found.append((where, message)))
    return found


PDF = (DEMO / "forms" / "gtgsh-application-blank.pdf").read_bytes()


@pytest.mark.parametrize(
    "entry, files, fragment",
    [
        ({"file": "forms/missing.pdf"}, {}, "no such file in the pack"),
        ({"file": "../outside.pdf"}, {"../outside.pdf": PDF}, "inside the pack's folder"),
        ({"file": "forms/fake.pdf"}, {"forms/fake.pdf": b"MZ\x90\x00 an executable"}, "its content is"),
        ({"file": "forms/big.pdf"}, {"forms/big.pdf": PDF + b"\0" * (2048 * 1024)}, "over the limit"),
        ({"file": "forms/a.pdf", "material": "清单外材料"}, {"forms/a.pdf": PDF}, "not in the item's materials"),
        ({"file": "forms/a.pdf", "kind": "template"}, {"forms/a.pdf": PDF}, "blank (空白表格) or sample"),
    ],
)
def test_a_bad_form_file_is_refused_naming_the_item_and_how_to_fix(app, tmp_path, entry, files, fragment):
    with app.app_context():
        problems = _problems(_pack_with(tmp_path, entry, files))
    assert problems, "the pack should be refused"
    where, message = problems[0]
    assert where == f"hall.forms.{CODE}" and fragment in message


def test_a_good_form_file_passes(app, tmp_path):
    with app.app_context():
        assert _problems(_pack_with(tmp_path, {"file": "forms/a.pdf"}, {"forms/a.pdf": PDF})) == []


def test_a_changed_form_file_changes_the_packs_checksum(tmp_path):
    """A county replaces a blank form: the pack is not "unchanged" (its install replaces the
    form, or asks for a higher version), though no YAML changed."""
    root = tmp_path / "pack"
    shutil.copytree(DEMO, root)
    before = load_pack(root).checksum
    form = root / "forms" / "gtgsh-application-blank.pdf"
    form.write_bytes(form.read_bytes() + b"\n% revised\n")
    assert load_pack(root).checksum != before
