"""Screens of e-supervision: thin adapters over :mod:`.service`, :mod:`.indicators`, :mod:`.report`.

Department roles see their own department's rows (``DepartmentScope``: a direct URL to
another department's card answers 404); supervisors and admins see every department.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onewindow import (
    Actor,
    Case,
    Department,
    DepartmentScope,
    OneWindowError,
    ValidationError,
    Window,
    clock,
    db,
    render_show,
    scoped_row,
    unit_of_work,
)
from onewindow_supervision import forms, service
from onewindow_supervision.indicators import indicators, open_cards_by
from onewindow_supervision.models import (
    Card,
    Complaint,
    Evaluation,
    MonthlyReport,
    Rectification,
)

HERE = Path(__file__).resolve().parent
TEMPLATES = str(HERE / "templates")
STATIC = str(HERE / "static")

LABELS = {
    "rule": _l("Rule"),
    "level": _l("Level"),
    "case": _l("Case"),
    "step": _l("Step"),
    "department": _l("Department"),
    "window": _l("Window"),
    "staff": _l("Staff"),
    "due_date": _l("Due date"),
    "raised_at": _l("Raised at"),
    "cleared_at": _l("Cleared at"),
    "cleared_reason": _l("Cleared because"),
    "escalated_to": _l("Escalated to"),
    "note": _l("Note"),
    "channel": _l("Channel"),
    "comment": _l("Comment"),
    "evaluated_at": _l("Evaluated at"),
    "recorded_by": _l("Recorded by"),
    "appeal_state": _l("Appeal"),
    "appeal_reason": _l("Reason for the appeal"),
    "appeal_decision": _l("Reasons for the decision"),
    "excluded": _l("Excluded from the statistics"),
    "reason": _l("Reason"),
    "state": _l("State"),
    "opened_at": _l("Opened at"),
    "deadline": _l("Deadline"),
    "measures": _l("Rectification measures"),
    "callback_result": _l("Callback result"),
    "callback_satisfied": _l("Applicant satisfied with the rectification"),
    "closed_at": _l("Closed at"),
    "number": _l("Complaint number"),
    "target": _l("Complaint about"),
    "complainant": _l("Complainant"),
    "phone": _l("Phone"),
    "content": _l("Complaint"),
    "received_at": _l("Received at"),
    "handling": _l("Findings and handling"),
    "reply": _l("Reply to the complainant"),
    "period": _l("Period"),
    "generated_at": _l("Generated at"),
    "submitted_by": _l("Submitted by"),
    "callback_by": _l("Callback by"),
    "appealed_by": _l("Appealed by"),
}


def _actor() -> Actor:
    return Actor.of(g.user)


def _case_by_number(number: str) -> Case:
    case = db.session.execute(select(Case).where(Case.number == (number or "").strip())).scalar()
    if case is None:
        raise ValidationError(f"办件 {number} 不存在，请核对办件编号")
    return case


class _ReadOnly(ModelView):
    base_permissions = ["can_list", "can_show"]
    base_filters = [["department_id", DepartmentScope, None]]
    base_order = ("id", "desc")
    label_columns = LABELS
    show_template = "supervision/show.html"
    template_folder = TEMPLATES

    def actions_for(self, item) -> list[tuple[str, str]]:
        return []

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = scoped_row(self, pk)  # another department's row: 404
        return render_show(self, pk, item, actions=self.actions_for(item))


class SupervisionCardView(_ReadOnly):
    datamodel = SQLAInterface(Card)
    list_title = _l("Yellow and red cards")
    show_title = _l("Card")
    list_columns = [
        "level",
        "rule",
        "case",
        "department",
        "window",
        "staff",
        "due_date",
        "raised_at",
        "cleared_at",
        "escalated_to",
    ]
    show_columns = list_columns + ["step", "cleared_reason", "note"]
    search_columns = ["level", "rule", "department", "window", "staff", "raised_at", "cleared_at"]

    def actions_for(self, item):
        if item.rule.name == "material_demand" and item.cleared_at is None:
            return [(url_for("SupervisionDeskView.review_card", pk=item.id), str(_l("Review the card")))]
        return []


class SupervisionEvaluationView(_ReadOnly):
    datamodel = SQLAInterface(Evaluation)
    list_title = _l("Evaluations")
    show_title = _l("Evaluation")
    list_columns = ["case", "level", "channel", "department", "window", "staff", "evaluated_at", "appeal_state"]
    show_columns = list_columns + [
        "comment",
        "recorded_by",
        "appeal_reason",
        "appealed_by",
        "appeal_decision",
        "excluded",
    ]
    search_columns = ["level", "channel", "department", "window", "staff", "evaluated_at", "appeal_state"]

    def actions_for(self, item):
        out = []
        if item.is_bad and item.appeal_state is None:
            out.append((url_for("SupervisionDeskView.appeal", pk=item.id), str(_l("Appeal this review"))))
        if item.appeal_state is not None and item.appeal_state.name == "pending":
            out.append((url_for("SupervisionDeskView.decide_appeal", pk=item.id), str(_l("Decide the appeal"))))
        return out


class SupervisionRectificationView(_ReadOnly):
    datamodel = SQLAInterface(Rectification)
    list_title = _l("Rectifications")
    show_title = _l("Rectification")
    list_columns = ["case", "department", "state", "opened_at", "deadline", "closed_at"]
    show_columns = list_columns + [
        "reason",
        "measures",
        "submitted_by",
        "callback_result",
        "callback_satisfied",
        "callback_by",
    ]
    search_columns = ["department", "state", "deadline"]

    def actions_for(self, item):
        if item.state.name == "open":
            return [(url_for("SupervisionDeskView.rectify", pk=item.id), str(_l("Submit measures")))]
        if item.state.name == "submitted":
            return [(url_for("SupervisionDeskView.callback", pk=item.id), str(_l("Record the callback")))]
        return []


class SupervisionComplaintView(_ReadOnly):
    datamodel = SQLAInterface(Complaint)
    list_title = _l("Complaints")
    show_title = _l("Complaint")
    list_columns = ["number", "channel", "target", "case", "window", "department", "state", "received_at"]
    show_columns = list_columns + ["complainant", "phone", "content", "handling", "reply", "closed_at"]
    search_columns = ["number", "channel", "target", "department", "state", "received_at"]

    def actions_for(self, item):
        step = {"received": "assign", "assigned": "handle", "handled": "close"}.get(item.state.name)
        labels = {"assign": _l("Assign to a department"), "handle": _l("Handle and reply"), "close": _l("Close")}
        out = [(url_for(f"SupervisionDeskView.{step}", pk=item.id), str(labels[step]))] if step else []
        if item.state.name == "assigned":
            out.insert(0, (url_for("SupervisionDeskView.assign", pk=item.id), str(labels["assign"])))
        return out


class SupervisionReportView(ModelView):
    datamodel = SQLAInterface(MonthlyReport)
    base_permissions = ["can_list", "can_show", "can_download", "can_generate"]
    base_order = ("period", "desc")
    list_title = _l("Monthly reports")
    list_columns = ["period", "generated_at"]
    show_columns = ["period", "generated_at"]
    label_columns = LABELS
    list_template = "supervision/report_list.html"
    template_folder = TEMPLATES

    def render_template(self, template, **kwargs):
        """FAB's own list page, with the form that generates a month's report above it."""
        if template == self.list_template:
            kwargs.setdefault("month_form", forms.MonthForm())
        return super().render_template(template, **kwargs)

    @expose("/download/<int:pk>/<fmt>")
    @has_access
    def download(self, pk, fmt):
        report = db.session.get(MonthlyReport, pk)
        if report is None or fmt not in ("xlsx", "pdf") or (fmt == "pdf" and not report.pdf):
            abort(404)
        mime = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}[
            fmt
        ]
        return Response(
            getattr(report, fmt),
            mimetype=mime,
            headers={"Content-Disposition": f'attachment; filename="supervision-{report.period}.{fmt}"'},
        )

    @expose("/generate", methods=["POST"])
    @has_access
    def generate(self):
        from onewindow_supervision.report import store_monthly_report

        form = forms.MonthForm()
        if not form.validate_on_submit():
            flash(str(_l("Give the month as YYYY-MM")), "danger")
            return redirect(url_for(".list"))
        try:
            first = dt.datetime.strptime(form.month.data.strip(), "%Y-%m").date()
        except ValueError:
            flash(str(_l("Give the month as YYYY-MM")), "danger")
            return redirect(url_for(".list"))
        period = store_monthly_report(first)
        flash(str(_l("Report generated")) if period else str(_l("The report of that month exists already")), "info")
        return redirect(url_for(".list"))


def _period() -> tuple[dt.date, dt.date]:
    today = clock.today()
    try:
        start = dt.date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        start = today.replace(day=1)
    try:
        end = dt.date.fromisoformat(request.args.get("end", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


class SupervisionDashboardView(BaseView):
    """Indicators per department and window with SVG bar charts drawn on the server (no CDN)."""

    route_base = "/supervision"
    default_view = "index"
    template_folder = TEMPLATES

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        # the plugin's own static folder (stylesheet), served by the platform: no CDN
        return super().create_blueprint(appbuilder, endpoint, static_folder or STATIC)

    @expose("/")
    @has_access
    def index(self):
        start, end = _period()
        return self.render_template(
            "supervision/dashboard.html",
            start=start,
            end=end,
            departments=indicators(start, end, "department"),
            windows=indicators(start, end, "window"),
            # Other plugins' sections (the hall's waiting times …) through dashboard_sections.
            sections=[
                section
                for answer in current_app.extensions["onewindow"].plugins.hook.dashboard_sections(start=start, end=end)
                for section in (answer or [])
            ],
            title=_l("Supervision dashboard"),
        )

    @expose("/open-cards")
    @has_access
    def open_cards(self):
        cards = (
            db.session.execute(select(Card).where(Card.cleared_at.is_(None)).order_by(Card.level.desc(), Card.due_date))
            .scalars()
            .all()
        )
        return self.render_template(
            "supervision/open_cards.html",
            cards=cards,
            title=_l("Open cards"),
            groups=[
                (_l("By department"), open_cards_by("department")),
                (_l("By window"), open_cards_by("window")),
                (_l("By staff"), open_cards_by("staff")),
            ],
        )


class SupervisionDeskView(BaseView):
    """One form per supervision action; each calls one service function in one transaction."""

    route_base = "/supervision/desk"
    default_view = "evaluate"
    template_folder = TEMPLATES

    def _form_page(self, form, title, action, done_url, subject=None):
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    result = action(form)
                flash(str(_l("Saved")), "success")
                return redirect(done_url(result))
            except OneWindowError as exc:
                flash(str(exc), "danger")
        return self.render_template("supervision/form.html", form=form, title=title, subject=subject)

    def _get(self, model, pk):
        item = db.session.get(model, pk)
        if item is None:
            abort(404)
        return item

    @expose("/evaluate", methods=["GET", "POST"])
    @has_access
    def evaluate(self):
        return self._form_page(
            forms.EvaluationForm(),
            _l("Record evaluation"),
            lambda f: service.record_evaluation(
                _case_by_number(f.case_number.data), _actor(), f.level.data, f.channel.data, f.comment.data
            ),
            lambda _r: url_for("SupervisionEvaluationView.list"),
        )

    @expose("/complain", methods=["GET", "POST"])
    @has_access
    def complain(self):
        form = forms.ComplaintForm()
        form.window.choices = [(0, "—")] + [(w.id, f"{w.code} {w.name}") for w in db.session.query(Window)]
        form.department.choices = [(0, "—")] + [(d.id, d.name) for d in db.session.query(Department)]

        def action(f):
            case = _case_by_number(f.case_number.data) if (f.case_number.data or "").strip() else None
            window = db.session.get(Window, f.window.data) if f.window.data else None
            return service.file_complaint(
                _actor(),
                channel=f.channel.data,
                complainant=f.complainant.data,
                content=f.content.data,
                case=case,
                window=window,
                department_id=f.department.data or None,
                phone=f.phone.data,
            )

        return self._form_page(
            form, _l("Record complaint"), action, lambda c: url_for("SupervisionComplaintView.show", pk=c.id)
        )

    @expose("/demand", methods=["GET", "POST"])
    @has_access
    def demand(self):
        return self._form_page(
            forms.DemandForm(),
            _l("Report a material demanded outside the list"),
            lambda f: service.record_material_demand(_case_by_number(f.case_number.data), _actor(), f.demanded.data),
            lambda c: url_for("SupervisionCardView.list"),
        )

    @expose("/rectify/<int:pk>", methods=["GET", "POST"])
    @has_access
    def rectify(self, pk):
        rect = self._get(Rectification, pk)
        return self._form_page(
            forms.MeasuresForm(),
            _l("Submit measures"),
            lambda f: service.submit_measures(rect, _actor(), f.measures.data),
            lambda r: url_for("SupervisionRectificationView.show", pk=r.id),
            rect,
        )

    @expose("/callback/<int:pk>", methods=["GET", "POST"])
    @has_access
    def callback(self, pk):
        rect = self._get(Rectification, pk)
        return self._form_page(
            forms.CallbackForm(),
            _l("Record the callback"),
            lambda f: service.record_callback(rect, _actor(), f.result.data, f.satisfied.data == "yes"),
            lambda r: url_for("SupervisionRectificationView.show", pk=r.id),
            rect,
        )

    @expose("/appeal/<int:pk>", methods=["GET", "POST"])
    @has_access
    def appeal(self, pk):
        ev = self._get(Evaluation, pk)
        return self._form_page(
            forms.AppealForm(),
            _l("Appeal this review"),
            lambda f: service.appeal_evaluation(ev, _actor(), f.reason.data),
            lambda e: url_for("SupervisionEvaluationView.show", pk=e.id),
            ev,
        )

    @expose("/decide-appeal/<int:pk>", methods=["GET", "POST"])
    @has_access
    def decide_appeal(self, pk):
        ev = self._get(Evaluation, pk)
        return self._form_page(
            forms.AppealDecisionForm(),
            _l("Decide the appeal"),
            lambda f: service.decide_appeal(ev, _actor(), f.upheld.data == "yes", f.decision.data),
            lambda e: url_for("SupervisionEvaluationView.show", pk=e.id),
            ev,
        )

    @expose("/assign/<int:pk>", methods=["GET", "POST"])
    @has_access
    def assign(self, pk):
        complaint = self._get(Complaint, pk)
        form = forms.AssignForm()
        form.department.choices = [(d.id, d.name) for d in db.session.query(Department)]
        return self._form_page(
            form,
            _l("Assign to a department"),
            lambda f: service.assign_complaint(complaint, _actor(), f.department.data),
            lambda c: url_for("SupervisionComplaintView.show", pk=c.id),
            complaint,
        )

    @expose("/handle/<int:pk>", methods=["GET", "POST"])
    @has_access
    def handle(self, pk):
        complaint = self._get(Complaint, pk)
        return self._form_page(
            forms.HandleForm(),
            _l("Handle and reply"),
            lambda f: service.handle_complaint(complaint, _actor(), f.handling.data, f.reply.data),
            lambda c: url_for("SupervisionComplaintView.show", pk=c.id),
            complaint,
        )

    @expose("/close/<int:pk>", methods=["GET", "POST"])
    @has_access
    def close(self, pk):
        complaint = self._get(Complaint, pk)
        return self._form_page(
            forms.CloseForm(),
            _l("Close"),
            lambda f: service.close_complaint(complaint, _actor(), f.reply.data),
            lambda c: url_for("SupervisionComplaintView.show", pk=c.id),
            complaint,
        )

    @expose("/review-card/<int:pk>", methods=["GET", "POST"])
    @has_access
    def review_card(self, pk):
        card = self._get(Card, pk)
        return self._form_page(
            forms.NoteForm(),
            _l("Review the card"),
            lambda f: service.review_card(card, _actor(), f.note.data),
            lambda c: url_for("SupervisionCardView.show", pk=c.id),
            card,
        )
