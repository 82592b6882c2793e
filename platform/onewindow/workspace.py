"""Workspaces per role (工作台): what each signed-in staff member sees on ``/``.

Each role gets a section of to-do counts, each count a link to the list it counts, and
its next actions. Counts use the one department rule (``security.department_condition``
and ``cases.scope.case_condition``), so a department role never counts another
department's work. Plugins add their own counts through the ``workspace_tiles`` hook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, joinedload

from onewindow.cases import clock, limits
from onewindow.cases.materialfiles import ACTION as FILES_ADDED
from onewindow.cases.models import OPEN_STATES, Case, CaseEvent, CaseState, CaseStep, StepState
from onewindow.cases.scope import case_condition
from onewindow.db import db
from onewindow.models.items import Item, ItemStatus
from onewindow.models.org import Department, Window, window_department
from onewindow.models.staff import Staff, staff_window
from onewindow.security import department_condition, role_keys

#: Active steps listed by due date on the approver's workspace.
STEP_ROWS = 20


@dataclass
class Tile:
    """One to-do count; ``level`` is "" / "warning" (yellow) / "danger" (red)."""

    label: str
    count: int
    url: str
    level: str = ""


@dataclass
class Section:
    title: str
    tiles: list[Tile] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    rows: list[dict] = field(default_factory=list)  # listed work, each with a url
    rows_title: str = ""


def case_list_url(**filters: str) -> str:
    """The case list (办件查询) filtered with FAB's ``_flt_<n>_<column>`` parameters."""
    return url_for("CaseView.list") + "?" + urlencode(filters)


def _scoped(query, user, condition_of):
    condition = condition_of(user)
    return query if condition is None else query.where(condition)


def _count(query) -> int:
    return db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def corrections_answered():
    """Cases awaiting correction for which files came in after the notice (补正已提交): the
    applicant has answered and the window must look at them (accept, or one more notice)."""
    notice = aliased(CaseEvent)
    entered = (
        select(func.max(notice.seq))
        .where(
            notice.case_id == Case.id,
            notice.to_state == CaseState.correction.name,
            notice.action != FILES_ADDED,
        )
        .correlate(Case)
        .scalar_subquery()
    )
    supplied = exists().where(CaseEvent.case_id == Case.id, CaseEvent.action == FILES_ADDED, CaseEvent.seq > entered)
    return (Case.state == CaseState.correction) & supplied


def _cases(user, *where):
    return _scoped(select(Case.id).where(*where), user, case_condition)


#: Bootstrap's classes for the deadline levels of ``limits.deadline_level``.
LEVEL_CLASS = {"red": "danger", "yellow": "warning", "": ""}


def deadline_level(due: dt.date | None, warning_days: int, today: dt.date) -> str:
    """The row's colour: the supervision scan's yellow/red card level (``limits``)."""
    return LEVEL_CLASS[limits.deadline_level(due, warning_days, today)]


def acceptor_section(user) -> Section:
    today = clock.today()
    section = Section(str(_l("Window acceptance")))
    accepted = _cases(user, Case.accepted_by == user.username, Case.accepted_on == today)
    section.tiles.append(
        Tile(
            str(_l("Accepted by me today")),
            _count(accepted),
            case_list_url(_flt_0_accepted_by=user.username, _flt_0_accepted_on=today.isoformat()),
        )
    )
    deferred = _cases(user, Case.simulated.is_(True), Case.state.in_(OPEN_STATES))
    overdue = _cases(user, Case.simulated.is_(True), Case.state.in_(OPEN_STATES), Case.supply_deadline < today)
    section.tiles.append(
        Tile(
            str(_l("Awaiting supply of deferred materials")),
            _count(deferred),
            case_list_url(_flt_0_simulated="y"),
            "danger" if _count(overdue) else "",
        )
    )
    section.tiles.append(
        Tile(
            str(_l("Awaiting corrections from the applicant")),
            _count(_cases(user, Case.state == CaseState.correction)),
            case_list_url(_flt_0_state=CaseState.correction.name),
        )
    )
    answered = _count(_cases(user, corrections_answered()))
    section.tiles.append(
        Tile(
            str(_l("Corrections answered")),
            answered,
            url_for("WorkbenchView.index", answered=1),
            "warning" if answered else "",
        )
    )
    section.tiles.append(
        Tile(
            str(_l("Online applications to pre-review")),
            _count(_cases(user, Case.state == CaseState.submitted)),
            case_list_url(_flt_0_state=CaseState.submitted.name),
        )
    )
    rows = db.session.execute(
        _scoped(
            select(Case.id, Case.number, Case.applicant_name, Case.supply_deadline)
            .where(Case.simulated.is_(True), Case.state.in_(OPEN_STATES))
            .order_by(Case.supply_deadline, Case.id)
            .limit(STEP_ROWS),
            user,
            case_condition,
        )
    ).all()
    section.rows_title = str(_l("Supply deadlines of deferred materials"))
    section.rows = [
        {
            "number": r.number,
            "text": r.applicant_name,
            "due": r.supply_deadline,
            "level": deadline_level(r.supply_deadline, 1, today),
            "url": url_for("CaseView.show", pk=r.id),
        }
        for r in rows
    ]
    section.actions.append((str(_l("Open the acceptance workbench")), url_for("WorkbenchView.index")))
    return section


def approver_section(user) -> Section:
    today = clock.today()
    section = Section(str(_l("Department approval")))
    active = _scoped(
        select(CaseStep.id).where(CaseStep.state == StepState.active),
        user,
        lambda u: department_condition(u, CaseStep.department_id),
    )
    overdue = active.where(CaseStep.due_date < today)
    inbox = url_for("InboxView.index")
    section.tiles.append(Tile(str(_l("Active steps of my department")), _count(active), inbox))
    section.tiles.append(Tile(str(_l("Overdue steps")), _count(overdue), inbox, "danger" if _count(overdue) else ""))
    steps = (
        db.session.query(CaseStep)
        .options(joinedload(CaseStep.case).joinedload(Case.item))
        .filter(CaseStep.id.in_(active))
        .order_by(CaseStep.due_date, CaseStep.id)
        .limit(STEP_ROWS)
        .all()
    )
    section.rows_title = str(_l("Active steps by due date"))
    section.rows = [
        {
            "number": s.case.number,
            "text": f"{s.case.item.name} · {s.case.applicant_name}",
            "due": s.due_date,
            "level": deadline_level(s.due_date, s.case.item.warning_days, today),
            "url": url_for("CaseView.show", pk=s.case.id),
        }
        for s in steps
    ]
    yellow = sum(1 for r in section.rows if r["level"] == "warning")
    if yellow:
        section.tiles.append(Tile(str(_l("Due soon (yellow)")), yellow, inbox, "warning"))
    ready = _cases(user, Case.state == CaseState.approved)
    section.tiles.append(
        Tile(str(_l("Approved, to hand to the output window")), _count(ready), case_list_url(_flt_0_state="approved"))
    )
    section.actions.append((str(_l("Open the department inbox")), inbox))
    return section


def output_section(user) -> Section:
    section = Section(str(_l("Output window")))
    for state, label in (
        (CaseState.at_output, _l("Results waiting for pickup or post")),
        (CaseState.posted, _l("Posted, delivery to confirm")),
    ):
        section.tiles.append(
            Tile(str(label), _count(_cases(user, Case.state == state)), case_list_url(_flt_0_state=state.name))
        )
    section.actions.append((str(_l("Open the output window")), url_for("OutputView.index")))
    return section


def seal_section(user) -> Section:
    from onewindow.licences.models import Licence, LicenceStatus

    section = Section(str(_l("Electronic seals")))
    pending = _scoped(
        select(Licence.id).where(Licence.status == LicenceStatus.pending_seal),
        user,
        lambda u: department_condition(u, Licence.department_id),
    )
    section.tiles.append(
        Tile(
            str(_l("Licences waiting for a seal")),
            _count(pending),
            url_for("LicenceView.list") + "?" + urlencode({"_flt_0_status": LicenceStatus.pending_seal.name}),
            "warning" if _count(pending) else "",
        )
    )
    section.actions.append((str(_l("Seals of my department")), url_for("SealView.list")))
    return section


def admin_section(user) -> Section:
    from onewindow.licences.models import Seal

    section = Section(str(_l("Configuration health")))
    served = select(window_department.c.department_id).join(Window, Window.id == window_department.c.window_id)
    unserved = select(Item.id).where(
        Item.status == ItemStatus.active, Item.department_id.not_in(served.where(Window.active))
    )
    no_staff = select(Department.id).where(~exists().where(Staff.department_id == Department.id, Staff.active))
    no_seal = select(Department.id).where(~exists().where(Seal.department_id == Department.id, Seal.active))
    no_clerk = select(Window.id).where(Window.active, ~exists().where(staff_window.c.window_id == Window.id))
    for label, query, url in (
        (_l("Items in force without a window serving their department"), unserved, url_for("ItemView.list")),
        (_l("Departments without staff"), no_staff, url_for("DepartmentView.list")),
        (_l("Departments without an active seal"), no_seal, url_for("SealView.list")),
        (_l("Windows without a clerk"), no_clerk, url_for("WindowView.list")),
    ):
        count = _count(query)
        section.tiles.append(Tile(str(label), count, url, "warning" if count else ""))
    host = current_app.extensions["onewindow"].plugins
    disabled = [p.key for p in host.plugins if p.status == "disabled"]
    section.tiles.append(Tile(str(_l("Plugins disabled")), len(disabled), url_for("PluginsView.list")))
    section.actions.append((str(_l("Staff")), url_for("StaffUserView.list")))
    return section


#: Role key → its workspace section (a user with several roles sees each).
SECTIONS = {
    "acceptor": acceptor_section,
    "approver": approver_section,
    "chief_rep": approver_section,
    "output_clerk": output_section,
    "seal_admin": seal_section,
    "admin": admin_section,
}


def workspace(user) -> list[Section]:
    """The sections of ``user``'s workspace: the core's per role, then the plugins'."""
    sections: list[Section] = []
    builders = []
    for role in sorted(role_keys(user)):
        builder = SECTIONS.get(role)
        if builder is not None and builder not in builders:
            builders.append(builder)
    sections.extend(builder(user) for builder in builders)
    host = current_app.extensions["onewindow"].plugins
    for contributed in host.hook.workspace_tiles(user=user):
        for title, tiles in contributed or []:
            sections.append(Section(str(title), [Tile(str(t[0]), int(t[1]), t[2], *t[3:]) for t in tiles]))
    return sections
