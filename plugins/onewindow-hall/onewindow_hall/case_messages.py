"""Messages to the citizen when their case changes (办件状态通知), through the platform's
notifications (``onewindow.notify``, the outbox by default), from the ``case_transition``
hook: one message per change that concerns the applicant, in the transition's own
transaction (a refused transition sends nothing).

The message goes to the hall account of the applicant: the person whose ID number the
case carries, or for a company's case the member who applied (the case's phone number),
else its legal representative. An applicant without a hall account gets nothing here.
"""

from __future__ import annotations

from typing import Callable

from flask_babel import gettext as _
from sqlalchemy import select

from onewindow import ApplicantType, Case, CaseState, db, notify, public_base_url
from onewindow_hall.models import Citizen, CitizenKind, MemberRole

KIND = "hall.case_changed"
#: States the case is accepted from (受理), whichever way: at once, 容缺, after a correction, deemed.
BEFORE_ACCEPTANCE = {CaseState.submitted.name, CaseState.pre_reviewed.name, CaseState.correction.name}
#: What a bundle's parent tells once for all its members (acceptance, the one correction notice,
#: the one handover); each member's own decision is still its own news.
BUNDLE_NEWS = {
    CaseState.in_review.name,
    CaseState.correction.name,
    CaseState.pre_reviewed.name,
    CaseState.delivered.name,
}


def _what(from_state: str | None, to_state: str) -> Callable[[], str] | None:
    """The sentence for a change of state, or None when the change is not the applicant's news."""
    if to_state == CaseState.in_review.name and from_state in BEFORE_ACCEPTANCE:
        return lambda: _("has been accepted; the departments are reviewing it")
    if to_state == CaseState.correction.name:
        if from_state == CaseState.submitted.name:
            return lambda: _("did not pass the online pre-review: correct or supply the materials listed online")
        return lambda: _("needs corrections: supply or correct the materials listed online")
    if to_state == CaseState.pre_reviewed.name:
        return lambda: _("passed the online pre-review")
    if to_state == CaseState.rejected.name:
        return lambda: _("was not accepted; see the notice for the reasons and your remedies")
    if to_state == CaseState.approved.name and from_state == CaseState.in_review.name:
        return lambda: _("has been approved; the result is being prepared")
    if to_state == CaseState.denied.name:
        return lambda: _("was denied; see the decision for the reasons and your remedies")
    if to_state == CaseState.at_output.name:
        return lambda: _("is ready: the result waits for you at the output window")
    if to_state == CaseState.posted.name:
        return lambda: _("is done: the result has been posted to you")
    if to_state == CaseState.delivered.name:
        return lambda: _("is delivered; please rate the service")
    return None


def recipient_of(case: Case) -> Citizen | None:
    """The hall account the applicant's news goes to (see the module's docstring)."""
    if case.applicant_type == ApplicantType.company:
        company = db.session.execute(
            select(Citizen).where(Citizen.kind == CitizenKind.company, Citizen.uscc == case.applicant_id)
        ).scalar_one_or_none()
        if company is None:
            return None
        people = [m for m in company.members if m.person.active]
        chosen = next((m for m in people if m.person.mobile and m.person.mobile == case.applicant_phone), None)
        chosen = chosen or next((m for m in people if m.role == MemberRole.legal_rep), None)
        return chosen.person if chosen else None
    return db.session.execute(
        select(Citizen).where(
            Citizen.kind == CitizenKind.person, Citizen.id_number == case.applicant_id, Citizen.active.is_(True)
        )
    ).scalar_one_or_none()


def case_changed(case: Case, event) -> None:
    """``case_transition``: tell the applicant's account, once, in the transition's transaction."""
    if event.from_state == event.to_state:
        return  # an action without a change of state (a file added, a step approved…)
    what = _what(event.from_state, event.to_state)
    if what is None:
        return
    if case.parent_id is not None and event.to_state in BUNDLE_NEWS:
        return  # a bundle's member: the bundle's own message says it once for every member
    person = recipient_of(case)
    if person is None or not person.mobile:
        return
    link = f"{public_base_url()}/hall/my/cases/{case.number}"
    body = _(
        "[Online service hall] Your case %(number)s (%(item)s) %(what)s. Details in My cases: %(link)s",
        number=case.number,
        item=case.bundle.name if case.is_bundle else case.item.name,
        what=what(),
        link=link,
    )
    notify.send(person.mobile, KIND, _("Your case %(number)s", number=case.number), body, "sms", in_transaction=True)
