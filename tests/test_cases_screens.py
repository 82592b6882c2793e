"""The staff screens drive the same engine: window → department inbox → output window."""

import datetime as dt
import json
import re

from onewindow.app import db
from onewindow.cases.clock import travel_to
from onewindow.cases.models import Case, CaseState
from onewindow.models.items import Item

PERSON = "440304200002291236"


def _accept_form(item):
    from onewindow.models.org import Window

    a01 = db.session.query(Window).filter_by(code="A01").one()
    form = {
        "applicant_type": "person",
        "applicant_name": "张三",
        "applicant_id": PERSON,
        "channel": "window",
        "outcome": "accept",
        "window_id": str(a01.id),
    }
    form.update({f"m{m.id}": "submitted" for m in item.materials})
    return form


def test_case_goes_from_window_to_inbox_to_output(app, make_item, login):
    item_id = make_item()
    acceptor, approver, clerk = app.test_client(), app.test_client(), app.test_client()
    login(acceptor, "acceptor")
    login(approver, "approver")
    login(clerk, "output_clerk")
    with app.app_context():
        item = db.session.get(Item, item_id)
        form = _accept_form(item)
    with travel_to(dt.date(2026, 11, 23)):
        response = acceptor.post(f"/workbench/new/{item_id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        case = db.session.query(Case).one()
        pk, number, step_id = case.id, case.number, case.steps[0].id
    inbox = approver.get("/inbox/").get_data(as_text=True)
    assert number in inbox
    approver.post(f"/caseview/act/{pk}/approve_step", data={"step_id": step_id, "opinion": "同意"})
    assert f"/caseview/act/{pk}/hand_to_output" in approver.get("/inbox/").get_data(as_text=True)
    back = approver.post(
        f"/caseview/act/{pk}/hand_to_output", data={"result_description": "许可证1份", "next": "/inbox/"}
    )
    assert back.headers["Location"].endswith("/inbox/")  # back to the queue the action came from
    assert number in clerk.get("/output/").get_data(as_text=True)
    clerk.post(f"/caseview/act/{pk}/deliver_pickup", data={"signee_name": "张三", "signee_id": PERSON})
    with app.app_context():
        assert db.session.query(Case).one().state == CaseState.delivered


def test_engine_refusal_is_shown_to_the_acceptor_and_nothing_is_saved(app, make_item, client, login):
    item_id = make_item()
    login(client, "acceptor")
    with app.app_context():
        form = _accept_form(db.session.get(Item, item_id))
    form["applicant_id"] = "440304200002291237"
    page = client.post(f"/workbench/new/{item_id}", data=form).get_data(as_text=True)
    assert "最后一位应为 6" in page
    with app.app_context():
        assert db.session.query(Case).count() == 0


def _accepted(app, item_id, actor):
    """A case of the item accepted through the engine, every material handed in."""
    from onewindow.cases import engine
    from onewindow.cases.models import ApplicantType, MaterialStatus

    with app.app_context():
        item = db.session.get(Item, item_id)
        return engine.accept(
            engine.Application(item, ApplicantType.person, "张三", PERSON),
            actor("acceptor"),
            {m.id: MaterialStatus.submitted for m in item.materials},
        )


def test_other_departments_case_page_is_404(app, make_item, login, actor):
    pk = _accepted(app, make_item(), actor).id
    own, other = app.test_client(), app.test_client()
    login(own, "approver")
    login(other, "approver_re")
    assert own.get(f"/caseview/show/{pk}").status_code == 200
    assert other.get(f"/caseview/show/{pk}").status_code == 404
    listing = own.get("/caseview/list/").get_data(as_text=True)
    assert "440304********1236" in listing and PERSON not in listing


def test_a_failed_rejection_keeps_the_outcome_and_every_value(app, make_item, client, login):
    """不予受理 without reasons is refused; the form comes back with 不予受理 still chosen and
    everything typed kept, so the next 提交 cannot turn it into an acceptance."""
    item_id = make_item()
    login(client, "acceptor")
    with app.app_context():
        form = _accept_form(db.session.get(Item, item_id))
    form.update(outcome="reject", reasons="", basis="《行政许可法》第三十二条", phone="13800000000", channel="post")
    page = client.post(f"/workbench/new/{item_id}", data=form).get_data(as_text=True)
    assert "具体理由" in page
    assert re.search(r'name="outcome" value="reject"\s+checked', page)
    assert not re.search(r'name="outcome" value="accept"\s+checked', page)
    assert 'value="13800000000"' in page and 'value="《行政许可法》第三十二条"' in page
    assert re.search(r'<option value="post"\s+selected', page)
    with app.app_context():
        assert db.session.query(Case).count() == 0
    form["reasons"] = "申请事项不属于本机关职权范围"
    assert client.post(f"/workbench/new/{item_id}", data=form).status_code == 302
    with app.app_context():
        case = db.session.query(Case).one()
        assert case.state == CaseState.rejected and case.due_date is None
        notice = next(n for n in case.notices if n.kind == "rejection")
        assert notice.content["basis"] == "《行政许可法》第三十二条"


def test_correction_from_the_workbench_lists_only_the_materials_marked_missing_or_faulty(app, make_item, client, login):
    item_id = make_item()
    login(client, "acceptor")
    with app.app_context():
        item = db.session.get(Item, item_id)
        form = _accept_form(item)
        first, second, third = (m.id for m in item.materials)
    form.update(
        {
            "outcome": "request_correction",
            f"m{second}": "faulty",
            f"p{second}": "身份证复印件模糊",
            f"m{third}": "missing",
        }
    )
    assert client.post(f"/workbench/new/{item_id}", data=form).status_code == 302
    with app.app_context():
        case = db.session.query(Case).one()
        notice = next(n for n in case.notices if n.kind == "correction")
        listed = {entry["material"]: entry["problem"] for entry in notice.content["items"]}
    assert listed == {"身份证明": "身份证复印件模糊", "场所使用证明": "未提交"}


def test_the_window_is_preset_from_the_clerks_windows_and_required(app, make_item, client, login):
    item_id = make_item()  # 市场监管局: of the acceptor's windows F01 and A01, only A01 serves it
    login(client, "acceptor")
    page = client.get(f"/workbench/new/{item_id}").get_data(as_text=True)
    assert re.search(r'<option value="\d+"\s+selected>A01 ', page)
    with app.app_context():
        form = _accept_form(db.session.get(Item, item_id))
    del form["window_id"]
    page = client.post(f"/workbench/new/{item_id}", data=form).get_data(as_text=True)
    assert "请选择受理窗口" in page
    with app.app_context():
        assert db.session.query(Case).count() == 0


def _accepted_case(app, make_item, client, **item):
    item_id = make_item(**item)
    with app.app_context():
        form = _accept_form(db.session.get(Item, item_id))
    return item_id, form


def test_the_department_returns_a_case_for_correction_from_the_case_page(app, make_item, login):
    """退回补正: the approver reads the case (form data and materials) on its page and
    returns it listing the problem; the applicant gets a correction notice."""
    acceptor, approver = app.test_client(), app.test_client()
    login(acceptor, "acceptor")
    login(approver, "approver")
    item_id, form = _accepted_case(app, make_item, acceptor)
    assert acceptor.post(f"/workbench/new/{item_id}", data=form).status_code == 302
    with app.app_context():
        case = db.session.query(Case).one()
        pk, material = case.id, case.materials[1].material_id
    page = approver.get(f"/caseview/show/{pk}").get_data(as_text=True)
    assert 'id="ow-action-return_for_correction"' in page and 'id="ow-action-approve_step"' in page
    assert 'id="ow-case-data"' in page
    response = approver.post(
        f"/caseview/act/{pk}/return_for_correction", data={f"problem-{material}": "身份证明已过有效期"}
    )
    assert response.status_code == 302
    with app.app_context():
        case = db.session.get(Case, pk)
        assert case.state == CaseState.correction
        notice = [n for n in case.notices if n.kind == "correction"][-1]
        assert [(i["material"], i["problem"]) for i in notice.content["items"]] == [("身份证明", "身份证明已过有效期")]


def test_a_deferred_material_is_registered_from_the_case_page_and_the_result_released(app, make_item, login):
    acceptor, approver, clerk = app.test_client(), app.test_client(), app.test_client()
    for client, name in ((acceptor, "acceptor"), (approver, "approver"), (clerk, "output_clerk")):
        login(client, name)
    item_id, form = _accepted_case(app, make_item, acceptor)
    with app.app_context():
        deferred = db.session.get(Item, item_id).materials[2].id
    form.update(
        {
            "outcome": "accept_deferred",
            f"m{deferred}": "missing",
            "commitment": "三日内补交",
            "supply_deadline": "2026-11-26",
        }
    )
    with travel_to(dt.date(2026, 11, 23)):
        assert acceptor.post(f"/workbench/new/{item_id}", data=form).status_code == 302
        with app.app_context():
            case = db.session.query(Case).one()
            pk = case.id
        approver.post(f"/caseview/act/{pk}/approve_step", data={"opinion": "同意（模拟审批）"})
        page = acceptor.get(f"/caseview/show/{pk}").get_data(as_text=True)
        assert 'id="ow-action-supply_material"' in page
        acceptor.post(f"/caseview/act/{pk}/supply_material", data={"material_id": str(deferred)})
        approver.post(f"/caseview/act/{pk}/hand_to_output", data={"result_description": "许可证1份"})
    with app.app_context():
        case = db.session.get(Case, pk)
        assert not case.simulated and case.state == CaseState.at_output


def test_the_case_page_offers_nothing_to_a_role_that_may_not_act(app, make_item, login):
    acceptor, supervisor = app.test_client(), app.test_client()
    login(acceptor, "acceptor")
    login(supervisor, "supervisor")
    item_id, form = _accepted_case(app, make_item, acceptor)
    acceptor.post(f"/workbench/new/{item_id}", data=form)
    with app.app_context():
        pk = db.session.query(Case).one().id
    page = supervisor.get(f"/caseview/show/{pk}").get_data(as_text=True)
    assert 'id="ow-case-actions"' not in page
    supervisor.post(f"/caseview/act/{pk}/approve_step", data={"opinion": "同意"})
    with app.app_context():
        assert db.session.get(Case, pk).state == CaseState.in_review  # the engine refused


def test_every_queue_row_form_acts_on_its_own_case_and_version(app, make_item, actor, login):
    """The output window draws each action's form once a page and stamps it per row: each
    row's forms post to that row's case with that case's version, exactly as the case
    page's macro draws them for that case."""
    from flask import get_template_attribute

    from onewindow.cases import engine
    from onewindow.cases.actions import available
    from onewindow.cases.models import ApplicantType, MaterialStatus

    item_id = make_item()
    with app.app_context(), travel_to(dt.date(2026, 11, 23)):
        item = db.session.get(Item, item_id)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        for n in range(3):
            case = engine.accept(
                engine.Application(item, ApplicantType.person, f"申请人{n}", PERSON), actor("acceptor"), statuses
            )
            engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
            engine.hand_to_output(case, actor("approver"), "许可证1份")
        waiting = db.session.query(Case).filter(Case.state == CaseState.at_output).order_by(Case.id).all()
        for n, case in enumerate(waiting):
            case.version += 7 * n  # as after other workers' changes: every row its own version
        db.session.commit()
        cases = {c.id: c.version for c in waiting}
    assert len(set(cases.values())) == 3
    clerk = app.test_client()
    login(clerk, "output_clerk")
    page = clerk.get("/output/").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/caseview/act/(\d+)/(\w+)".*?</form>', page, re.S)
    assert {int(pk) for pk, _name in forms} == set(cases)
    for block in re.findall(r'<form method="post" action="/caseview/act/\d+/\w+".*?</form>', page, re.S):
        pk = int(re.search(r"/caseview/act/(\d+)/", block).group(1))
        assert f'name="version" value="{cases[pk]}"' in block
    stamped = re.sub(r'name="csrf_token" value="[^"]*"', "", page)
    with app.test_request_context("/output/"):
        from onewindow.cases.clock import today
        from onewindow.models import Staff

        clerk_actor = engine.Actor.of(db.session.query(Staff).filter_by(username="output_clerk").one())
        macro = get_template_attribute("cases/_macros.html", "action_form")
        drawn_any = 0
        for pk in cases:
            case = db.session.get(Case, pk)
            for action in available(case, clerk_actor, only=("deliver_pickup", "deliver_post", "refuse_at_output")):
                drawn = str(macro(case, action, (), today().isoformat(), next="/output/"))
                assert re.sub(r'name="csrf_token" value="[^"]*"', "", drawn) in stamped, (pk, action.name)
                drawn_any += 1
    assert drawn_any >= 3


def test_the_case_list_searches_by_item_and_department_offering_each_once(app, make_item, login, actor):
    """办件查询's search form offers every item (name and basic code, as the catalogue shows
    it) and every department; choosing an item lists only that item's cases."""
    from onewindow.models import Department

    numbers = {}
    for name in ("甲类检索事项", "乙类检索事项"):
        item_id = make_item(name=name)
        with app.app_context():
            case = _accepted(app, item_id, actor)
            item = db.session.get(Item, item_id)
            numbers[item_id] = (case.number, f"{item.name}（{item.basic_code}）")
    with app.app_context():
        departments = [d.name for d in db.session.query(Department)]
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/caseview/list/").get_data(as_text=True)
    # FAB hands the search fields to its filter script as JSON: label, field HTML, operators
    fields = json.loads(re.search(r"'#filter_form',\s*\{.*?\},\s*(\{.*?\}),\s*\{", page, re.S).group(1))
    for item_id, (_number, label) in numbers.items():
        assert fields["item"].count(f'<option value="{item_id}">{label}</option>') == 1
    offered = re.findall(r'<option value="\d+">([^<]+)</option>', fields["department"])
    assert sorted(offered) == sorted(departments)
    (a, (number_a, _)), (_b, (number_b, _)) = numbers.items()
    found = admin.get(f"/caseview/list/?_flt_0_item={a}").get_data(as_text=True)
    assert number_a in found and number_b not in found
