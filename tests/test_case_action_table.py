"""One table of case actions: every engine transition has an entry, and every entry a
screen (a button on the case page, the inbox or the output window) for each role that
may do it."""

import datetime as dt
import inspect
import re

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.actions import ACTIONS, BY_NAME, WORKBENCH, available
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, Case, CaseState, Channel, MaterialStatus
from onewindow.cases.transitions import PUBLIC, TRANSITIONS
from onewindow.models import Staff
from onewindow.models.items import Item

PERSON = "440304200002291236"
#: Public functions of the engine façade that are not transitions of a case.
NOT_TRANSITIONS = {
    "validate_application",  # checks an application, changes nothing
    "recompute_due",  # recomputes due dates after a holiday arrangement changes
    "recompute_open_cases",
    "applicant_actor",
    "load_case",
    # creates a case with no window outcome (网上申请); reached through the API's and the
    # CLI's create with outcome "submit" and the online-application screens
    "submit",
    "submit_with_files",  # the same, with the application's files in its transaction (online hall)
    "submit_bundle_online",  # the same for a bundle (一件事): its parent and members (online hall)
    # the applicant's files for a bundle's correction, onto every member that needs them
    # (online hall; a member's own files go through add_material_files, which is not one either)
    "add_bundle_files",
}


def test_every_engine_transition_has_an_entry_in_the_table_of_transitions():
    functions = {
        name for name, obj in vars(engine).items() if inspect.isfunction(obj) and not name.startswith("_")
    } - NOT_TRANSITIONS
    missing = sorted(functions - set(TRANSITIONS))
    assert not missing, f"engine transitions missing from onewindow.cases.transitions.TRANSITIONS: {missing}"
    stale = sorted(set(TRANSITIONS) - functions - set(NOT_TRANSITIONS))
    assert not stale, f"entries of the table with no engine function: {stale}"


def test_every_transition_a_person_may_ask_for_has_a_screen_entry():
    """Window outcomes are drawn by the acceptance workbench; every other transition a
    person may ask for is an action of ``onewindow.cases.actions``."""
    missing = sorted(set(PUBLIC) - set(BY_NAME) - set(WORKBENCH))
    assert not missing, f"transitions with no screen: {missing}; add them to onewindow.cases.actions.ACTIONS"


def _application(item_id, channel=Channel.window):
    item = db.session.get(Item, item_id)
    return item, engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name="张三",
        applicant_id=PERSON,
        channel=channel,
    )


def _pages_of(case: Case) -> list[str]:
    """The pages that draw actions of a case in this state."""
    pages = [f"/caseview/show/{case.id}"]
    if case.state in (CaseState.submitted, CaseState.suspended, CaseState.approved):
        pages.append("/inbox/")
    if case.state in (CaseState.at_output, CaseState.posted):
        pages.append("/output/")
    return pages


def test_every_action_of_the_table_is_a_button_for_each_role_that_may_do_it(app, make_item, login, demo_logins):
    """Cases are walked through every state; at each, every demo user's ``available()``
    actions must be rendered as forms posting to that action, and across the walk every
    (action, role) of the table must have been drawn at least once."""
    clients = {}
    for n, username in enumerate(demo_logins):  # one address each: more logins than a minute's limit
        clients[username] = app.test_client()
        clients[username].environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        login(clients[username], username)
    drawn: set[tuple[str, str]] = set()

    def check(case_id):
        case = db.session.get(Case, case_id)
        for username, client in clients.items():
            staff = db.session.query(Staff).filter_by(username=username).one()
            actor = engine.Actor.of(staff)
            names = {a.name for a in available(case, actor)}
            if not names:
                continue
            html = "".join(client.get(p).get_data(as_text=True) for p in _pages_of(case))
            shown = set(re.findall(rf"/caseview/act/{case.id}/(\w+)", html))
            assert names <= shown, f"{username} ({case.state.name}): no button for {sorted(names - shown)}"
            drawn.update((n, role) for n in names for role in actor.roles & BY_NAME[n].roles)
            db.session.expire_all()

    deferrable = make_item(
        materials=[("营业执照", "required", "applicant", None), ("场地证明", "deferrable", "applicant", None)]
    )
    immediate = make_item(handling="immediate", promised=0)
    with app.app_context(), travel_to(dt.date(2026, 11, 23)):
        acceptor, approver, clerk = (
            engine.Actor.of(db.session.query(Staff).filter_by(username=u).one())
            for u in ("acceptor", "approver", "output_clerk")
        )
        item, application = _application(deferrable)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        statuses[item.materials[1].id] = MaterialStatus.deferred
        case = engine.accept_deferred(
            application, acceptor, statuses, commitment="十日内补交", supply_deadline=dt.date(2026, 11, 25)
        )
        check(case.id)  # in review, a deferred material outstanding
        engine.suspend(case, approver, engine.SPECIAL_PROCEDURES[0], "需要检验")
        check(case.id)
        engine.resume(case, approver, "检验合格")
        engine.approve_step(case, case.steps[0].id, approver, "同意")
        check(case.id)  # approved, the deferred material still outstanding
        deferred = next(m for m in case.materials if m.status == MaterialStatus.deferred)
        engine.supply_material(case, acceptor, deferred.material_id)
        engine.hand_to_output(case, approver, "许可证1份")
        check(case.id)  # at the output window
        engine.deliver_post(case, clerk, "SF1234567890")
        check(case.id)  # posted

        _, online = _application(deferrable, Channel.online)
        check(engine.submit(online, acceptor).id)  # to pre-review

        item, application = _application(immediate)
        spot = engine.accept(application, acceptor, {m.id: MaterialStatus.submitted for m in item.materials})
        check(spot.id)  # an immediate item, in review

        from test_bundle_cases import application as bundle_application
        from test_bundle_cases import every_material, register_company

        from onewindow.cases import bundles

        waiting = bundles.accept_bundle(bundle_application(), acceptor, every_material(but=("营业执照",)))
        check(waiting.id)  # a bundle in correction: refused or withdrawn as a whole
        parent = bundles.accept_bundle(bundle_application(), acceptor, every_material())
        register_company(parent.id, lambda u: engine.Actor.of(db.session.query(Staff).filter_by(username=u).one()))
        fire = next(c for c in parent.children if c.item.basic_code == "010626000000")
        fire_officer = engine.Actor.of(db.session.query(Staff).filter_by(username="approver_xf").one())
        engine.deny_step(fire, fire.steps[0].id, fire_officer, "不符合消防安全条件")
        check(parent.id)  # a member denied: the applicant's choice is due
        engine.bundle_withdraw_all(db.session.get(Case, parent.id), acceptor, "全部撤回")
        check(parent.id)  # at the output window with the denial: one signature for the bundle

    expected = {(a.name, role) for a in ACTIONS for role in a.roles}
    assert not expected - drawn, f"(action, role) never drawn as a button: {sorted(expected - drawn)}"
