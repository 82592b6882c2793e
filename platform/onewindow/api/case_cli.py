"""``onewindow case``: show and change cases from the command line.

The same dispatch table as the REST API (``case_actions``), the same scoping
(``case_read``) and the same engine: the CLI is one more thin adapter.
"""

from __future__ import annotations

import json

import click
from flask_babel import gettext

from onewindow.errors import ValidationError


def _json_arg(text: str) -> dict:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--json") from None
    return body


def _staff(username: str):
    from onewindow.app import db
    from onewindow.models import Staff

    staff = db.session.query(Staff).filter_by(username=username).one_or_none()
    if staff is None or not staff.active:
        raise ValidationError(
            gettext("--as %(name)s: no active staff user of that name; see `onewindow user create`", name=username)
        )
    return staff


def _visible(number: str, user):
    """The case as ``user`` may see it (``None``: the operator, who sees every case)."""
    from onewindow.api import case_read

    case = case_read.visible_case(number, user)
    if case is None:
        who = gettext("the scope of %(name)s", name=user.username) if user is not None else gettext("the database")
        raise ValidationError(gettext("case %(number)s: not found, or not in %(who)s", number=number, who=who))
    return case


@click.group("case")
def case_cli() -> None:
    """Show cases and run their transitions through the case engine."""


@case_cli.command("show")
@click.argument("number")
@click.option("--as", "username", help="See the case as this staff user would (scope and masking).")
def show_cmd(number: str, username: str | None) -> None:
    """Print a case (materials, steps, timeline, notices) as JSON."""
    from onewindow.api import case_read
    from onewindow.cases.schemas import CaseDetail
    from onewindow.cli import current_app_context

    with current_app_context():
        user = _staff(username) if username else None
        shown = case_read.detail(_visible(number, user), user)
        click.echo(json.dumps(CaseDetail().dump(shown), ensure_ascii=False, indent=2))


@case_cli.command("transition")
@click.argument("number")
@click.argument("action")
@click.option("--as", "username", required=True, help="Staff user who performs the transition.")
@click.option("--json", "body", default="{}", show_default=True, help="The transition's input, as in the API.")
def transition_cmd(number: str, action: str, username: str, body: str) -> None:
    """Run ACTION (approve_step, hand_to_output, deliver_pickup, …) on case NUMBER."""
    from onewindow.api.case_actions import PUBLIC, run_transition
    from onewindow.cases.core import Actor
    from onewindow.cli import current_app_context

    if action not in PUBLIC:
        raise click.BadParameter(f"{action!r}; choose one of {', '.join(PUBLIC)}", param_hint="ACTION")
    data = _json_arg(body)
    with current_app_context():
        user = _staff(username)
        case = run_transition(_visible(number, user), action, Actor.of(user), data)
        click.echo(f"{case.number}: {action} done, state {case.state.name} ({case.state})")


@case_cli.command("create")
@click.option("--as", "username", required=True, help="Staff user who receives the application.")
@click.option("--json", "body", required=True, help="The application, as in POST /api/v1/cases/.")
def create_cmd(username: str, body: str) -> None:
    """Receive an application and record the window's outcome; prints the case number."""
    from onewindow.api.case_actions import create_case
    from onewindow.cases.core import Actor
    from onewindow.cli import current_app_context

    data = _json_arg(body)
    with current_app_context():
        case = create_case(data, Actor.of(_staff(username)))
        click.echo(f"{case.number}: state {case.state.name} ({case.state})")
