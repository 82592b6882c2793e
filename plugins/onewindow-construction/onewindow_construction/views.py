"""Screens of construction approval: thin adapters over :mod:`.service` and the case engine."""

from __future__ import annotations

from pathlib import Path

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onewindow import Actor, ApplicationInvalid, OneWindowError, db, unit_of_work
from onewindow_construction import forms, service
from onewindow_construction.models import (
    ConstructionAgent,
    ConstructionJointTask,
    ConstructionPhase,
    ConstructionProject,
    FeeStage,
)
from onewindow_construction.phases import BY_KEY, FEE_STAGES

TEMPLATES = str(Path(__file__).resolve().parent / "templates")
LABELS = {
    "code": _l("Project code"),
    "name": _l("Project name"),
    "owner_name": _l("Construction unit"),
    "site": _l("Site"),
    "created_at": _l("Registered at"),
}


def _actor() -> Actor:
    return Actor.of(g.user)


def _project(pk: int) -> ConstructionProject:
    project = db.session.get(ConstructionProject, pk)
    if project is None:
        abort(404)
    return project


class ConstructionProjectView(ModelView):
    datamodel = SQLAInterface(ConstructionProject)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Construction projects")
    label_columns = LABELS
    list_columns = ["code", "name", "owner_name", "site", "created_at"]
    search_columns = ["code", "name", "owner_name"]
    base_order = ("id", "desc")
    template_folder = TEMPLATES

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        project = _project(int(pk))
        notices = [service.fee_notice(project, s) for s in FEE_STAGES]
        return self.render_template(
            "construction/project.html",
            project=project,
            rows=service.progress(project),
            notices=notices,
            stages=FeeStage,
            specs=BY_KEY,
            title=_l("Construction project"),
            sign_form=forms.SignOffForm(),
            pay_form=forms.PayForm(),
        )


class ConstructionDeskView(BaseView):
    """One action per endpoint; each is one transaction (phase cases: one per case)."""

    route_base = "/construction/desk"
    default_view = "new_project"
    template_folder = TEMPLATES

    def _page(self, form, title, action, done, subject=None):
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    result = action(form)
                flash(str(_l("Saved")), "success")
                return redirect(done(result))
            except OneWindowError as exc:
                flash(str(exc), "danger")
        return self.render_template("construction/form.html", form=form, title=title, subject=subject)

    @staticmethod
    def _project_page(project) -> str:
        return url_for("ConstructionProjectView.show", pk=project.id)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new_project(self):
        return self._page(
            forms.ProjectForm(),
            _l("Register a construction project"),
            lambda f: service.create_project(
                code=f.code.data,
                name=f.name.data,
                owner_name=f.owner_name.data,
                owner_credit_code=f.owner_credit_code.data,
                site=f.site.data,
                total_investment=f.total_investment.data,
                by=g.user.username,
            ),
            self._project_page,
        )

    @expose("/phase/<int:pk>/<key>", methods=["GET", "POST"])
    @has_access
    def phase(self, pk, key):
        """一表制: one form for every item of the phase; one case per item, accepted in parallel."""
        project = _project(pk)
        if key not in BY_KEY:
            abort(404)
        items = service.phase_items(key)
        form = service.phase_form(items)(request.form if request.method == "POST" else None)
        problem = service.order_problem(project, project.phase(key))
        if request.method == "POST" and form.validate():
            try:
                data = {
                    name: (str(field.data) if field.data is not None else None) for name, field in form._fields.items()
                }
                chosen = request.form.getlist("items") or None  # e.g. 备案 or 核准, not both
                cases = service.open_phase_cases(project, key, data, _actor(), basic_codes=chosen)
                flash(str(_l("Cases accepted: %(numbers)s", numbers="、".join(c.number for c in cases))), "success")
                return redirect(self._project_page(project))
            except ApplicationInvalid as exc:
                for field, message in exc.problems:
                    flash(f"{field}：{message}" if field else message, "danger")
            except OneWindowError as exc:
                flash(str(exc), "danger")
        return self.render_template(
            "construction/phase.html",
            project=project,
            form=form,
            items=items,
            spec=BY_KEY[key],
            problem=problem,
            title=_l("One form for the phase"),
        )

    @expose("/commitment/<int:pk>", methods=["GET", "POST"])
    @has_access
    def commitment(self, pk):
        phase = db.session.get(ConstructionPhase, pk) or abort(404)
        return self._page(
            forms.CommitmentForm(),
            _l("Commitment-based filing"),
            lambda f: service.mark_commitment(phase, f.note.data, g.user.username).project,
            self._project_page,
            subject=phase,
        )

    @expose("/sign-off/<int:pk>", methods=["POST"])
    @has_access
    def sign_off(self, pk):
        task = db.session.get(ConstructionJointTask, pk) or abort(404)
        form = forms.SignOffForm()
        try:
            if not form.validate_on_submit():
                raise OneWindowError(str(_l("Write an opinion")))
            with unit_of_work():
                service.sign_off(task, _actor(), form.opinion.data)
            flash(str(_l("Saved")), "success")
        except OneWindowError as exc:
            flash(str(exc), "danger")
        return redirect(self._project_page(task.phase.project))

    @expose("/fee/<int:pk>", methods=["GET", "POST"])
    @has_access
    def fee(self, pk):
        project = _project(pk)
        return self._page(
            forms.FeeForm(),
            _l("Add a fee"),
            lambda f: (
                service.add_fee(
                    project, f.stage.data, f.name.data, f.amount.data, g.user.username, f.basis.data
                ).project
            ),
            self._project_page,
            subject=project,
        )

    @expose("/pay/<int:pk>/<stage>", methods=["POST"])
    @has_access
    def pay(self, pk, stage):
        project = _project(pk)
        form = forms.PayForm()
        try:
            if not form.validate_on_submit():
                raise OneWindowError(str(_l("Enter the receipt number")))
            with unit_of_work():
                service.pay_stage(project, stage, form.receipt_number.data, g.user.username)
            flash(str(_l("Saved")), "success")
        except OneWindowError as exc:
            flash(str(exc), "danger")
        return redirect(self._project_page(project))

    @expose("/agent/<int:pk>", methods=["GET", "POST"])
    @has_access
    def agent(self, pk):
        from onewindow import Staff

        project = _project(pk)
        form = forms.AgentForm()
        agents = [s for s in db.session.execute(select(Staff)).scalars() if any(r.name == "agent" for r in s.roles)]
        form.username.choices = [(s.username, f"{s.username} {s.last_name or ''}{s.first_name or ''}") for s in agents]
        return self._page(
            form,
            _l("Assign an agent"),
            lambda f: service.assign_agent(project, f.username.data, g.user.username).project,
            self._project_page,
            subject=project,
        )


class ConstructionDashboardView(BaseView):
    """Phase progress per project; the agent's own projects with what is overdue (代办跟踪)."""

    route_base = "/construction/dashboard"
    default_view = "index"
    template_folder = TEMPLATES

    @expose("/")
    @has_access
    def index(self):
        projects = db.session.execute(select(ConstructionProject).order_by(ConstructionProject.id.desc())).scalars()
        return self.render_template(
            "construction/dashboard.html",
            projects=[(p, service.progress(p)) for p in projects],
            title=_l("Project dashboard"),
            tracking=False,
        )

    @expose("/tracking")
    @has_access
    def tracking(self):
        query = select(ConstructionProject).join(ConstructionAgent).where(ConstructionAgent.staff_id == g.user.id)
        projects = db.session.execute(query.order_by(ConstructionProject.id.desc())).scalars()
        return self.render_template(
            "construction/dashboard.html",
            projects=[(p, service.progress(p)) for p in projects],
            title=_l("Agent tracking"),
            tracking=True,
        )
