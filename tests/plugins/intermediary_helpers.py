"""Helpers for the intermediary supermarket tests: agencies, purchases and sign-ups
through the plugin's service, as the desk screens do."""

import datetime as dt

import pytest

from onewindow.app import db
from onewindow.cases.clock import travel_to
from onewindow.models import Department
from onewindow.validators import uscc_check_char

DRC = "11369921102583171C"  # 发改局
NR = "113699211027415555"  # 自然资源局
ECO = "11369921103137501X"  # 生态环境局
OWNER = "91440300MA5G7K2L82"
POSTED = dt.date(2026, 11, 23)  # Monday
CLOSES = dt.date(2026, 11, 27)  # Friday: sign-up window 23–27 Nov
AFTER = dt.date(2026, 11, 30)  # selection day


def uscc(n: int) -> str:
    """A valid synthetic credit code (GB 32100) for agency ``n``."""
    first17 = f"91369921MA{n:07d}"
    return first17 + uscc_check_char(first17)


def department_id(code: str) -> int:
    return db.session.query(Department).filter_by(credit_code=code).one().id


@pytest.fixture
def market(app):
    with app.app_context():
        yield app


def agency(n: int, types=("安全评价",), linked=(), name=None):
    from onewindow_intermediary import service

    created = service.register_agency(
        name=name or f"云溪第{n}评价咨询有限公司",
        credit_code=uscc(n),
        service_types=list(types),
        qualifications=["安全评价机构资质乙级"],
        staff=[f"评价师{n} 一级安全评价师"],
        linked_department_ids=[department_id(c) for c in linked],
        by="acceptor",
    )
    db.session.commit()
    return created


def purchase(method="lowest_price", ceiling=50000, service_type="安全评价", approving=ECO, title=None):
    from onewindow_intermediary import service

    with travel_to(POSTED):
        created = service.post_purchase(
            title=title or f"云溪化工仓储项目{service_type}（{method}）",
            owner_name="云溪化工有限公司",
            owner_credit_code=OWNER,
            service_type=service_type,
            budget_ceiling=ceiling,
            method=method,
            signup_opens=POSTED,
            signup_closes=CLOSES,
            approving_department_id=department_id(approving),
            by="acceptor",
        )
    db.session.commit()
    return created


def sign_up(purchase_, agency_, quote, quality=None, on=dt.date(2026, 11, 25)):
    from onewindow_intermediary import service

    with travel_to(on):
        bid = service.sign_up(purchase_, agency_, quote, "acceptor", quality)
    db.session.commit()
    return bid


def select(purchase_, seed=None, on=AFTER):
    from onewindow_intermediary import service

    with travel_to(on):
        chosen = service.select_agency(purchase_, "acceptor", seed=seed)
    db.session.commit()
    return chosen


def with_bids(method, quotes, qualities=None):
    """A purchase with one qualified agency per quote (agencies 1…n)."""
    p = purchase(method)
    for i, quote in enumerate(quotes, start=1):
        sign_up(p, agency(i), quote, None if qualities is None else qualities[i - 1])
    return p
