"""Chinese by default, English selectable; every UI string of ours has a Chinese translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "platform/onewindow/translations/zh/LC_MESSAGES/messages.po"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _extracted_ids():
    ids = set()
    for folder in [ROOT / "platform", ROOT / "plugins"]:
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            folder,
            METHODS,
            keywords={"_": None, "_l": None, "lazy_gettext": None, "gettext": None},
        ):
            if isinstance(message, tuple):
                message = message[0]
            if message:
                ids.add(message)
    return ids


def test_every_ui_string_has_a_chinese_translation():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string}
    # FAB's own strings (e.g. "Welcome") are translated by FAB's catalogue.
    missing = sorted(_extracted_ids() - translated - {"Welcome"})
    assert not missing, f"run scripts/update_catalog.py and translate: {missing}"


def test_admin_ui_is_chinese_by_default(client, login):
    login(client, "admin")
    page = client.get("/regionview/list/").get_data(as_text=True)
    for text in ["组织机构", "行政区划", "区划代码", "服务区", "窗口", "云溪县"]:
        assert text in page


def test_english_is_selectable(client, login):
    login(client, "admin")
    client.get("/lang/en")
    page = client.get("/regionview/list/").get_data(as_text=True)
    assert "Organisation" in page and "Division code" in page
    assert "组织机构" not in page


def test_enum_labels_are_translated(client, login):
    login(client, "admin")
    page = client.get("/zoneview/list/").get_data(as_text=True)
    assert "企业登记" in page and "自助服务" in page
