"""Public-security rules [003 §五 第三区]:

- in person (photo, fingerprints): an item marked ``in_person_required`` is refused on
  every zero-visit channel by the core; the plugin adds the items its configuration
  names as biometric even where a pack forgot the flag, and the first 往来港澳通行证签注
  (a later one may go through the self-service machine or online);
- exit-entry has its own sub-zone: accepting an exit-entry item at another window is
  refused (an application without a window — online, post — is unaffected);
- accepting an in-person item of the public-security zone records the capture (现场采集)
  at the window.
"""

from __future__ import annotations

from typing import Callable

from flask import current_app

from onewindow import Case, CaseState, Channel, TransitionError, clock, db
from onewindow_public_security.models import Capture

PASSPORT, ENDORSEMENT = "public_security.passport", "public_security.hk_macao_endorsement"
KEY = "public_security"
GRANTED = (CaseState.approved, CaseState.at_output, CaseState.posted, CaseState.delivered)


def _config() -> dict:
    return current_app.extensions["onewindow"].plugin_config(KEY)


def _first_endorsement(case) -> bool:
    earlier = db.session.query(Case.id).filter(
        Case.item_id == case.item.id,
        Case.applicant_id == (case.applicant_id or "").strip().upper(),
        Case.state.in_(GRANTED),
    )
    return earlier.first() is None


def application_problems(case, data: dict, report: Callable[[str, str], None]) -> None:
    item = case.item
    if case.channel == Channel.window:
        return
    with db.session.no_autoflush:
        if not item.in_person_required and item.basic_code in _config()["in_person_items"]:
            report("渠道", f"事项“{item.name}”须申请人本人到窗口现场拍照、采集指纹，不能通过“{case.channel}”渠道申请")
        elif getattr(item, "form_key", None) == ENDORSEMENT and _first_endorsement(case):
            report(
                "渠道",
                "首次申请往来港澳通行证签注须本人到出入境窗口办理（现场拍照、采集指纹）；"
                "再次签注可使用自助签注机或网上办理",
            )


def exit_entry_window_codes() -> set[str]:
    return set(_config()["exit_entry_windows"])


def on_transition(case, event) -> None:
    if event.action not in ("accept", "accept_deferred"):
        return
    item = case.item
    exit_entry = exit_entry_window_codes()
    if case.window is not None:  # the item's windows are read only for a window acceptance
        item_windows = {w.code for w in item.windows}
        if item_windows & exit_entry and case.window.code not in item_windows:
            raise TransitionError(
                f"“{item.name}”是出入境业务，须在出入境分区窗口（{'、'.join(sorted(item_windows))}）"
                f"受理，不能在{case.window.code} {case.window.name}受理"
            )
    if not (item.in_person_required and case.channel == Channel.window and item.zone_id is not None):
        return
    if item.zone.kind.name == "public_security":
        db.session.add(
            Capture(
                case_number=case.number,
                item_name=item.name,
                applicant_name=case.applicant_name,
                department_id=case.department_id,
                window=case.window,
                captured_by=event.actor,
                captured_at=clock.now(),
            )
        )
