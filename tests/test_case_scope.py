"""The department scope of the case lists: a department sees exactly the cases it leads or
has a step in (``cases.scope``), now read from ``ow_case_department``, which the
database's triggers keep (migration 0020). Compared with the rule written out as before
(``lead department = D OR id IN (D's steps)``) on seeded data, through the engine and
through every kind of write the triggers must follow."""

import datetime as dt
import random

import pytest
from sqlalchemy import delete, insert, or_, select, update

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import Case, CaseDepartment, CaseStep
from onewindow.cases.scope import case_condition
from onewindow.models import Department, Staff
from tests.test_cases_lifecycle import accepted

PERSON = "440304200002291236"
AMR = "11369921102345608H"  # 市场监管局: approver
TAX = "11369921102820747H"  # 税务局: approver_sw
RE = "113699211024247953"  # 不动产登记中心: approver_re


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _old_rule(dept_id: int):
    """The rule as the scope wrote it before migration 0020."""
    return or_(
        Case.department_id == dept_id, Case.id.in_(select(CaseStep.case_id).where(CaseStep.department_id == dept_id))
    )


def _approvers() -> dict[int, Staff]:
    """One department approver per department (the demo has one for each)."""
    staff = db.session.query(Staff).filter(Staff.username.like("approver%")).all()
    return {s.department_id: s for s in staff if s.department_id is not None}


def _assert_scope_is_the_old_rule(approvers) -> None:
    for dept_id, user in approvers.items():
        seen = set(db.session.scalars(select(Case.id).where(case_condition(user))))
        rule = set(db.session.scalars(select(Case.id).where(_old_rule(dept_id))))
        assert seen == rule, (dept_id, sorted(seen - rule), sorted(rule - seen))
    # and no pair is left behind that the rule no longer holds (a stale row would widen a scope)
    pairs = {tuple(r) for r in db.session.execute(select(CaseDepartment.department_id, CaseDepartment.case_id))}
    leads = {tuple(r) for r in db.session.execute(select(Case.department_id, Case.id))}
    steps = {tuple(r) for r in db.session.execute(select(CaseStep.department_id, CaseStep.case_id))}
    assert pairs == leads | steps


def test_a_department_sees_the_cases_it_leads_or_has_a_step_in_and_no_others(ctx, make_item, actor):
    joint_item, own_item = make_item(steps=[(AMR, 3, True, False), (TAX, 2, False, False)]), make_item()
    acceptor, approver = actor("acceptor"), actor("approver")
    approvers = _approvers()
    ids = {code: db.session.query(Department.id).filter_by(credit_code=code).scalar() for code in (AMR, TAX, RE)}
    joint = accepted(joint_item, acceptor)
    own = accepted(own_item, acceptor)  # AMR's alone

    def sees(code):
        return set(db.session.scalars(select(Case.id).where(case_condition(approvers[ids[code]]))))

    assert sees(AMR) >= {joint.id, own.id}
    assert joint.id in sees(TAX) and own.id not in sees(TAX)  # TAX has a (waiting) step in the joint case only
    assert not sees(RE) & {joint.id, own.id}
    _assert_scope_is_the_old_rule(approvers)

    # a department's correction notice removes every step (the case is routed afresh when
    # accepted again): TAX has no step left and no longer sees the case; AMR leads it
    material = joint.materials[0].material_id
    with travel_to(dt.date(2026, 11, 24)):
        engine.return_for_correction(joint, joint.steps[0].id, approver, {material: "复印件不清"})
    db.session.expire_all()
    assert joint.id not in sees(TAX) and joint.id in sees(AMR)
    _assert_scope_is_the_old_rule(approvers)


def test_the_scope_follows_every_write_to_cases_and_steps(ctx, make_item):
    """Random cases and steps written with Core statements (as the engine, an import or SQL by
    hand do), then moved, re-pointed and deleted: after each change every department's scope
    is exactly the old rule's."""
    rng = random.Random(20261203)
    item_id = make_item()
    approvers = _approvers()
    depts = sorted(approvers)
    conn = db.session.connection()
    now = dt.datetime(2026, 11, 23, 9, 30)

    def case_row(n: int) -> dict:  # the columns without a default
        person = {"applicant_type": "person", "applicant_name": "张三", "applicant_id": PERSON}
        lead = rng.choice(depts)
        return {
            "number": f"T{n:042d}",
            "query_code": "ABCDEFGH",
            "item_id": item_id,
            "department_id": lead,
            **person,
        } | {"state": "in_review", "channel": "window", "data": {}, "received_at": now}

    conn.execute(insert(Case.__table__), [case_row(n) for n in range(120)])
    case_ids = list(db.session.scalars(select(Case.id).where(Case.number.like("T%"))))
    steps = []
    for case_id in case_ids:
        for position in range(1, rng.randint(0, 4) + 1):  # 0–4 steps, a department may repeat
            steps.append(
                {
                    "case_id": case_id,
                    "position": position,
                    "department_id": rng.choice(depts),
                    "is_lead": position == 1,
                    "parallel": False,
                    "task": "",
                    "days": 5,
                    "silence_consents": False,
                    "state": "waiting",
                }
            )
    conn.execute(insert(CaseStep.__table__), steps)
    _assert_scope_is_the_old_rule(approvers)

    step_ids = list(db.session.scalars(select(CaseStep.id).join(Case).where(Case.number.like("T%"))))
    rng.shuffle(step_ids)
    for step_id in step_ids[:40]:  # a step given to another department
        conn.execute(update(CaseStep.__table__).where(CaseStep.id == step_id).values(department_id=rng.choice(depts)))
    for step_id in step_ids[40:60]:  # a step moved to another case
        conn.execute(update(CaseStep.__table__).where(CaseStep.id == step_id).values(case_id=rng.choice(case_ids)))
    _assert_scope_is_the_old_rule(approvers)

    for case_id in rng.sample(case_ids, 30):  # another lead department
        conn.execute(update(Case.__table__).where(Case.id == case_id).values(department_id=rng.choice(depts)))
    conn.execute(update(Case.__table__).where(Case.id == case_ids[0]).values(state="approved"))  # no department change
    _assert_scope_is_the_old_rule(approvers)

    conn.execute(delete(CaseStep.__table__).where(CaseStep.id.in_(step_ids[60:100])))  # single steps
    conn.execute(delete(CaseStep.__table__).where(CaseStep.case_id.in_(case_ids[:20])))  # all of some cases' steps
    _assert_scope_is_the_old_rule(approvers)

    conn.execute(delete(Case.__table__).where(Case.id.in_(case_ids[100:])))  # cases go (their steps cascade)
    _assert_scope_is_the_old_rule(approvers)
    db.session.commit()
    _assert_scope_is_the_old_rule(approvers)
