"""Each rule written once: the role sets (in onewindow.security), the time limits (in
onewindow.cases.limits), the §45 special procedures (the inbox renders the engine's
list) and the identifier checksums (python-stdnum)."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

from stdnum.cn import ric, uscc
from stdnum.iso7064 import mod_37_36

from onewindow.validators import resident_id_problem, uscc_check_char, uscc_problem

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = ROOT / "platform" / "onewindow"
SOURCES = sorted([*PLATFORM.rglob("*.py"), *(p for p in (ROOT / "plugins").glob("*/onewindow_*/**/*.py"))])
ROLE_SETS = {
    frozenset({"approver", "chief_rep", "seal_admin"}): "DEPARTMENT_ROLES",
    frozenset({"approver", "chief_rep"}): "DECIDING_ROLES",
}
WEIGHTS = {
    (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2): "GB 11643 (stdnum.cn.ric)",
    (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28): "GB 32100 (stdnum.cn.uscc)",
}


def _literals(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, (ast.Set, ast.Tuple, ast.List))
            and node.elts
            and all(isinstance(e, ast.Constant) for e in node.elts)
        ):
            yield node.lineno, tuple(e.value for e in node.elts)


def test_role_sets_are_written_once_in_security():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {ROLE_SETS[frozenset(values)]} spelt out"
        for path in SOURCES
        if path.name != "security.py"
        for line, values in _literals(path)
        if frozenset(values) in ROLE_SETS and len(set(values)) == len(values)
    ]
    assert not found, "use onewindow.security.DEPARTMENT_ROLES / DECIDING_ROLES:\n" + "\n".join(found)


def test_checksum_weights_are_not_written_by_hand():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {WEIGHTS[values]}"
        for path in SOURCES
        for line, values in _literals(path)
        if values in WEIGHTS
    ]
    assert not found, "compute check characters with python-stdnum:\n" + "\n".join(found)


def test_time_limits_are_computed_in_one_module():
    calls = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((PLATFORM / "cases").glob("*.py"))
        if path.name not in {"limits.py", "clock.py"}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "add_workdays"
    ]
    assert not calls, "due dates and deadlines come from onewindow.cases.limits:\n" + "\n".join(calls)


def test_checksums_agree_with_python_stdnum_and_name_the_expected_character():
    rnd = random.Random(11)
    for _ in range(300):
        first17 = (
            "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(2))
            + "".join(rnd.choice("0123456789") for _ in range(6))
            + "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        )
        assert uscc_check_char(first17) == uscc.calc_check_digit(first17)
        assert uscc_problem(first17 + uscc_check_char(first17)) is None
    assert mod_37_36.is_valid("A12425GABC1234002M")
    assert resident_id_problem("440304200002291237") == "身份证号码校验码错误：最后一位应为 6，请核对号码"
    assert ric.calc_check_digit("440304200002291230") == "6"
    assert uscc_problem("91440300MA5G7K2L83") == "统一社会信用代码校验码错误：最后一位应为 2，请核对代码"


def test_the_case_page_offers_exactly_the_statutory_special_procedures(app, make_item, actor, login):
    from onewindow.app import db
    from onewindow.cases import engine
    from onewindow.cases.models import ApplicantType, Case, Channel, MaterialStatus
    from onewindow.models.items import Item

    item_id = make_item()
    with app.app_context():
        item = db.session.get(Item, item_id)
        application = engine.Application(
            item=item,
            applicant_type=ApplicantType.person,
            applicant_name="王五",
            applicant_id="440304200002291236",
            channel=Channel.window,
            data={},
        )
        engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})
    client = app.test_client()
    login(client, "admin")
    with app.app_context():
        case_id = db.session.query(Case).one().id
    page = client.get(f"/caseview/show/{case_id}").get_data(as_text=True)  # the department decides there
    select = re.search(r'<select[^>]*name="procedure"[^>]*>(.*?)</select>', page, flags=re.S)
    assert select, "the case page offers no special procedure"
    assert re.findall(r"<option>(.*?)</option>", select.group(1)) == list(engine.SPECIAL_PROCEDURES)
