"""Helpers for the construction approval tests: a demo project driven through the real
case engine and the plugin's service, as the screens do."""

import datetime as dt

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.core import Actor
from onewindow.models import Department

DRC = "11369921102583171C"  # 发改局
NR = "113699211027415555"  # 自然资源局
HOUSING = "11369921102662363Q"  # 住建局
FIRE = "11369921102899934R"  # 消防救援大队
ECO = "11369921103137501X"  # 生态环境局
OWNER = "91440300MA5G7K2L82"
MON = dt.date(2026, 11, 23)
FORM = {  # 一表制: the fields every construction item of the demo pack asks for
    "company_name": "云溪新材料有限公司",
    "credit_code": OWNER,
    "contact_name": "王五",
    "contact_id": "440304200002291236",
    "phone": "13800000000",
    "address": "云溪县工业园区1号",
    "project_name": "年产5万吨新材料项目",
    "project_code": "2026-369921-47-01-000123",
    "total_investment": "12000",
    "site": "云溪县工业园区",
}
ADMIN = Actor("admin", frozenset({"admin"}))


@pytest.fixture
def site(app):
    with app.app_context():
        yield app


def dept_actor(code: str, role: str = "approver") -> Actor:
    """A department officer of ``code`` (the demo has approvers of 市场监管局 only)."""
    dept = db.session.query(Department).filter_by(credit_code=code).one()
    return Actor(f"{role}_{code[-4:]}", frozenset({role}), department_id=dept.id)


def project(code="2026-369921-47-01-000123"):
    from onewindow_construction import service

    with travel_to(MON):
        created = service.create_project(
            code=code,
            name="年产5万吨新材料项目",
            owner_name="云溪新材料有限公司",
            owner_credit_code=OWNER,
            site="云溪县工业园区",
            total_investment=12000,
            by="acceptor",
        )
    db.session.commit()
    return created


def open_cases(p, phase, acceptor, codes=None, on=MON):
    from onewindow_construction import service

    with travel_to(on):
        cases = service.open_phase_cases(p, phase, dict(FORM), acceptor, basic_codes=codes)
    return cases


def approve_all(cases, on=MON):
    """Every department approves its steps (the admin actor may act for any department)."""
    with travel_to(on):
        for case in cases:
            while case.state.name == "in_review":
                step = next(s for s in case.steps if s.state.name == "active")
                engine.approve_step(case, step.id, ADMIN, "符合要求，同意")


def sign_all(phase, on=MON):
    from onewindow_construction import service

    with travel_to(on):
        for task in phase.joint_tasks:
            for signoff in task.signoffs:
                service.sign_off(task, dept_actor(signoff.department.credit_code), "同意")
    db.session.commit()


def add_and_pay(p, stage, fees, receipt, on=MON):
    from onewindow_construction import service

    with travel_to(on):
        for name, amount in fees:
            service.add_fee(p, stage, name, amount, "acceptor", basis="云价费字〔2026〕1号")
        service.pay_stage(p, stage, receipt, "acceptor")
    db.session.commit()
