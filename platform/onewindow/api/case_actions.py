"""Creating a case through the REST API and the ``onewindow case create`` command.

The transitions of an existing case, and the window's outcome of a new one, dispatch
through the one table in the engine (``onewindow.cases.transitions``), re-exported here
for the API and the CLI.
"""

from __future__ import annotations

from typing import Any

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases import schemas as s
from onewindow.cases.core import Actor
from onewindow.cases.errors import ApplicationInvalid
from onewindow.cases.models import ApplicantType, Case, Channel, MaterialStatus
from onewindow.cases.transitions import PUBLIC, TRANSITIONS, InputInvalid, load, run_transition
from onewindow.models import Window
from onewindow.models.items import Item

__all__ = ["PUBLIC", "TRANSITIONS", "InputInvalid", "create_case", "load", "run_transition"]


# --- creating a case -----------------------------------------------------------


def _current_item(code: str) -> Item:
    item = db.session.query(Item).filter_by(implementation_code=code, is_current=True).one_or_none()
    if item is None:
        raise ApplicationInvalid([("item_code", f"没有实施编码为 {code} 的现行事项，请核对事项目录")])
    return item


def _window(code: str | None, actor: Actor) -> Window | None:
    if not code:
        return None
    windows = db.session.query(Window).filter_by(code=code).all()
    if len(windows) > 1 and actor.window_ids:  # codes are unique per zone: prefer the actor's own
        windows = [w for w in windows if w.id in actor.window_ids] or windows
    if len(windows) != 1:
        found = "不存在" if not windows else f"在 {len(windows)} 个服务区重复"
        raise ApplicationInvalid([("window_code", f"窗口编号 {code} {found}，请核对")])
    return windows[0]


def create_bundle_case(body: Any, actor: Actor) -> Case:
    """受理一件事: one parent case and a child per applicable member (``cases.bundles``)."""
    from onewindow.cases import bundles
    from onewindow.models.bundles import Bundle

    d = load(s.BundleCreateInput, body)
    bundle = db.session.query(Bundle).filter_by(code=d["bundle"]).one_or_none()
    if bundle is None:
        raise ApplicationInvalid([("bundle", f"没有编码为 {d['bundle']} 的一件事，请核对")])
    applicant = d["applicant"]
    application = bundles.BundleApplication(
        bundle=bundle,
        applicant_type=ApplicantType[applicant["type"]],
        applicant_name=applicant["name"],
        applicant_id=applicant["id"],
        answers=d["answers"],
        data=d["data"],
        phone=applicant["phone"],
        address=applicant["address"],
        window=_window(d["window_code"], actor),
        member_data=d["member_data"],
    )
    statuses = {name: MaterialStatus[status] for name, status in d["materials"].items()}
    return bundles.accept_bundle(application, actor, statuses, d["note"])


def create_case(body: Any, actor: Actor) -> Case:
    """A new application with the window's outcome, through the engine (一次提交、一窗受理)."""
    d = load(s.CaseCreateInput, body)
    applicant = d["applicant"]
    application = engine.Application(
        item=_current_item(d["item_code"]),
        applicant_type=ApplicantType[applicant["type"]],
        applicant_name=applicant["name"],
        applicant_id=applicant["id"],
        channel=Channel[d["channel"]],
        data=d["data"],
        phone=applicant["phone"],
        address=applicant["address"],
        window=_window(d["window_code"], actor),
    )
    outcome = d["outcome"]
    if outcome == "submit":  # no window outcome: the department pre-reviews (网上预审)
        return engine.submit(application, actor)
    return TRANSITIONS[outcome].run(application, actor, d)  # type: ignore[arg-type]
