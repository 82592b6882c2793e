"""Helpers for the service-area plugin tests (enterprise, real estate, public security):
demo-pack items by form key and the engine calls a window would make."""

import datetime as dt

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, Channel, MaterialStatus
from onewindow.models import Window
from onewindow.models.items import Item

PERSON = "440304200002291236"  # valid synthetic resident ID (GB 11643)
PERSON2 = "11010519491231002X"
BAD_ID = "440304200002291237"  # wrong check digit
AMR = "11369921102345608H"  # 市场监管局
RE = "113699211024247953"  # 不动产登记中心
TAX = "11369921102820747H"  # 税务局
HR = "11369921102979125H"  # 人社局
HOUSING = "11369921102662363Q"  # 住建局
POLICE = "11369921102503987F"  # 公安局
MONDAY = dt.date(2026, 11, 23)


def item_by_form(form_key: str) -> Item:
    return db.session.query(Item).filter_by(form_key=form_key, is_current=True).one()


def item_by_code(basic_code: str) -> Item:
    return db.session.query(Item).filter_by(basic_code=basic_code, is_current=True).one()


def window(code: str) -> Window:
    return db.session.query(Window).filter_by(code=code).one()


def application(
    item, data, *, name="王五", ident=PERSON, kind=ApplicantType.person, channel=Channel.window, window_code=None
):
    return engine.Application(
        item=item,
        applicant_type=kind,
        applicant_name=name,
        applicant_id=ident,
        channel=channel,
        data=data,
        phone="13800000000",
        window=window(window_code) if window_code else None,
    )


def accept(actor, app_, when=MONDAY, statuses=None):
    materials = statuses or {m.id: MaterialStatus.submitted for m in app_.item.materials}
    with travel_to(when):
        return engine.accept(app_, actor, materials)


def approve_all(case, actors, when=MONDAY):
    """Approve every active step; ``actors`` maps a department credit code to its actor."""
    with travel_to(when):
        while case.state.name == "in_review":
            step = next(s for s in case.steps if s.state.name == "active")
            engine.approve_step(case, step.id, actors(step.department.credit_code), "符合条件，同意")
    return case


def deliver(case, approver, clerk, signee="王五", signee_id=PERSON, when=MONDAY):
    with travel_to(when):
        engine.hand_to_output(case, approver, "证照正本1份")
        if case.licence_identifier:
            seal_result(case)
        return engine.deliver_pickup(case, clerk, signee, signee_id)


def seal_result(case):
    """Seal the case's e-licence as the issuing department's seal administrator would
    (the output window refuses an unsealed result)."""
    from onewindow.licences import seals
    from onewindow.licences.models import Licence
    from onewindow.models import Department, Staff
    from onewindow.staff import create_staff

    department = db.session.get(Department, case.department_id)
    if seals.active_seal(db.session, department.id) is None:
        seals.create_seal(db.session, department, "admin")
    username = f"seal_{department.credit_code[-6:].lower()}"
    user = db.session.query(Staff).filter_by(username=username).one_or_none() or create_staff(
        username=username, password="Seal-Admin-2026-x", roles=["seal_admin"], department_code=department.credit_code
    )
    licence = db.session.query(Licence).filter_by(identifier=case.licence_identifier).one()
    seals.seal_licence(db.session, licence, user)
    db.session.commit()
