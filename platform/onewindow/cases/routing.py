"""Handover to the departments [003 §四(五)]: sequential steps go to the lead and on in
order; parallel steps fan out at once with the lead coordinating. Each activation is
recorded as a 材料交接表 (material handover sheet) for that department."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from onewindow.cases import clock, limits
from onewindow.cases.core import Actor, issue_notice
from onewindow.cases.models import Case, CaseStep, MaterialStatus, StepState
from onewindow.models.items import RoutingMode


@dataclass
class PlannedStep:
    department_id: int
    days: int
    is_lead: bool = False
    parallel: bool = False
    silence_consents: bool = False
    task: str = ""


def planned_steps(case: Case) -> list[PlannedStep]:
    override = current_app.extensions["onewindow"].plugins.hook.decide_routing(case=case)
    if override is not None:
        return list(override)
    item = case.item
    parallel = item.routing_mode == RoutingMode.parallel
    steps = [
        PlannedStep(s.department_id, s.days, s.is_lead, parallel, s.silence_consents and parallel, s.task)
        for s in item.steps
    ]
    if not steps:  # an item without declared routing is approved by its implementing department
        steps = [PlannedStep(item.department_id, item.promised_days, True, False, False, "审批")]
    if not parallel:  # the lead goes first, the others follow in their declared order
        steps.sort(key=lambda s: not s.is_lead)
    return steps


def start_routing(case: Case, actor: Actor) -> None:
    for position, plan in enumerate(planned_steps(case), start=1):
        case.steps.append(
            CaseStep(
                position=position,
                department_id=plan.department_id,
                is_lead=plan.is_lead,
                parallel=plan.parallel,
                task=plan.task,
                days=plan.days,
                silence_consents=plan.silence_consents,
                state=StepState.waiting,
            )
        )
    if case.parent_id is not None:
        from onewindow.cases.bundles import waits_for

        if waits_for(case):  # a bundle's member after others: its steps start when they end
            return
    release(case, actor)


def release(case: Case, actor: Actor) -> None:
    """Start the case's first step (or its parallel steps)."""
    first = [s for s in case.steps if s.parallel] or case.steps[:1]
    for step in first:
        activate(case, step, actor)


def activate(case: Case, step: CaseStep, actor: Actor) -> None:
    step.state = StepState.active
    step.started_on = clock.today()
    step.due_date = limits.step_due_date(step)
    issue_notice(
        case,
        "handover",
        actor,
        {
            "number": case.number,
            "item": case.item.name,
            "step": step.position,
            "department_id": step.department_id,
            # how each material travels: paper with this sheet, or electronic (a file or
            # an e-licence pulled from the library) read on the case page of this platform
            "materials": [
                {
                    "name": m.name,
                    "status": m.status.name,
                    "licence": m.licence_identifier,
                    "form": "electronic" if m.licence_identifier else m.material.form.name,
                    "copies": m.material.copies,
                }
                for m in case.materials
                if m.status != MaterialStatus.not_needed
            ],
        },
        department_id=step.department_id,
    )


def next_waiting(case: Case) -> CaseStep | None:
    return next((s for s in case.steps if s.state == StepState.waiting), None)
