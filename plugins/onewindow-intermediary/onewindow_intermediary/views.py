"""Staff screens of the intermediary supermarket: thin adapters over :mod:`.service`.

The market is public by design (公开透明), so lists are not department-scoped; who may
change what is decided by the grants in :mod:`.plugin`.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onewindow import Department, OneWindowError, db, unit_of_work
from onewindow_intermediary import forms, service
from onewindow_intermediary.models import Agency, AgencyStatus, Bid, Complaint, ComplaintState, Purchase, PurchaseState

TEMPLATES = str(Path(__file__).resolve().parent / "templates")

LABELS = {
    "name": _l("Agency name"),
    "credit_code": _l("Unified social credit code"),
    "service_types": _l("Service types"),
    "qualifications": _l("Qualifications"),
    "staff": _l("Staff"),
    "status": _l("Status"),
    "status_reason": _l("Reason for the status"),
    "linked_departments": _l("Linked departments (conflict of interest)"),
    "score": _l("Public score"),
    "evaluation_count": _l("Evaluations"),
    "registered_at": _l("Registered at"),
    "title": _l("Purchase title"),
    "owner_name": _l("Project owner"),
    "service_type": _l("Service type"),
    "budget_ceiling": _l("Budget ceiling (yuan)"),
    "method": _l("Selection method"),
    "signup_opens": _l("Sign-up opens"),
    "signup_closes": _l("Sign-up closes"),
    "state": _l("State"),
    "approving_department": _l("Approving department served"),
    "agency": _l("Agency"),
    "purchase": _l("Purchase"),
    "complainant": _l("Complainant"),
    "content": _l("Complaint"),
    "received_at": _l("Received at"),
    "handling": _l("Findings and handling"),
}


def _by() -> str:
    return g.user.username


class IntermediaryAgencyView(ModelView):
    datamodel = SQLAInterface(Agency)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Agencies")
    show_title = _l("Agency")
    label_columns = LABELS
    list_columns = ["name", "credit_code", "service_types", "status", "score", "evaluation_count"]
    show_columns = list_columns + ["qualifications", "staff", "linked_departments", "status_reason", "registered_at"]
    search_columns = ["name", "credit_code", "status"]
    base_order = ("name", "asc")


class IntermediaryComplaintView(ModelView):
    datamodel = SQLAInterface(Complaint)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Agency complaints")
    show_title = _l("Agency complaint")
    label_columns = LABELS
    list_columns = ["agency", "purchase", "complainant", "state", "received_at"]
    search_columns = ["agency", "purchase", "complainant", "state", "received_at"]
    show_columns = list_columns + ["content", "handling"]
    base_order = ("id", "desc")


class IntermediaryPurchaseView(ModelView):
    datamodel = SQLAInterface(Purchase)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Purchases")
    show_title = _l("Purchase")
    label_columns = LABELS
    list_columns = ["title", "owner_name", "service_type", "budget_ceiling", "method", "signup_closes", "state"]
    search_columns = ["title", "owner_name", "service_type", "state"]
    base_order = ("id", "desc")
    template_folder = TEMPLATES

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        purchase = db.session.get(Purchase, pk)
        if purchase is None:
            abort(404)
        check = service.recheck(purchase) if purchase.selection else None
        qualified = {b.id for b in service.qualified_bids(purchase)}
        return self.render_template(
            "intermediary/purchase.html", purchase=purchase, check=check, qualified=qualified, title=_l("Purchase")
        )


class IntermediaryDeskView(BaseView):
    """One form per action; each calls one service function in one transaction."""

    route_base = "/intermediary/desk"
    default_view = "index"
    template_folder = TEMPLATES

    def _page(self, form, title, action, done):
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    result = action(form)
                flash(str(_l("Saved")), "success")
                return redirect(done(result))
            except OneWindowError as exc:
                flash(str(exc), "danger")
        return self.render_template("intermediary/form.html", form=form, title=title)

    @staticmethod
    def _purchases(form_field, *states: PurchaseState) -> None:
        query = select(Purchase).order_by(Purchase.id.desc())
        if states:
            query = query.where(Purchase.state.in_(states))
        form_field.choices = [(p.id, f"{p.id} {p.title}") for p in db.session.execute(query).scalars()]
        if request.method == "GET" and request.args.get("purchase"):
            form_field.data = request.args.get("purchase", type=int)

    @staticmethod
    def _agencies(form_field) -> None:
        form_field.choices = [
            (a.id, f"{a.name}（{a.status}）")
            for a in db.session.execute(select(Agency).order_by(Agency.name)).scalars()
        ]

    @staticmethod
    def _departments(form_field, blank: bool = False) -> None:
        rows = [(d.id, d.name) for d in db.session.execute(select(Department).order_by(Department.name)).scalars()]
        form_field.choices = ([(0, "—")] if blank else []) + rows

    def _purchase(self, pk: int) -> Purchase:
        purchase = db.session.get(Purchase, pk)
        if purchase is None:
            raise OneWindowError(str(_l("Choose a purchase")))
        return purchase

    @staticmethod
    def _purchase_page(purchase) -> str:
        return url_for("IntermediaryPurchaseView.show", pk=purchase.id)

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("intermediary/desk.html", title=_l("Intermediary desk"))

    @expose("/register-agency", methods=["GET", "POST"])
    @has_access
    def register_agency(self):
        form = forms.AgencyForm()
        self._departments(form.linked_departments)
        return self._page(
            form,
            _l("Register an agency"),
            lambda f: service.register_agency(
                name=f.name.data,
                credit_code=f.credit_code.data,
                service_types=f.service_types.data,
                qualifications=f.qualifications.data,
                staff=f.staff.data,
                linked_department_ids=f.linked_departments.data,
                contact=f.contact.data,
                phone=f.phone.data,
                by=_by(),
            ),
            lambda a: url_for("IntermediaryAgencyView.show", pk=a.id),
        )

    @expose("/agency-status", methods=["GET", "POST"])
    @has_access
    def agency_status(self):
        form = forms.StatusForm()
        self._agencies(form.agency)
        return self._page(
            form,
            _l("Suspend, blacklist or reinstate an agency"),
            lambda f: service.set_status(
                db.session.get(Agency, f.agency.data), AgencyStatus[f.status.data], f.reason.data, _by()
            ),
            lambda a: url_for("IntermediaryAgencyView.show", pk=a.id),
        )

    @expose("/post-purchase", methods=["GET", "POST"])
    @has_access
    def post_purchase(self):
        form = forms.PurchaseForm()
        self._departments(form.posting_department, blank=True)
        self._departments(form.approving_department)
        return self._page(
            form,
            _l("Post a purchase"),
            lambda f: service.post_purchase(
                title=f.title.data,
                owner_name=f.owner_name.data,
                owner_credit_code=f.owner_credit_code.data,
                service_type=f.service_type.data,
                budget_ceiling=f.budget_ceiling.data,
                method=f.method.data,
                signup_opens=f.signup_opens.data,
                signup_closes=f.signup_closes.data,
                approving_department_id=f.approving_department.data,
                government_funded=f.government_funded.data,
                posting_department_id=f.posting_department.data or None,
                description=f.description.data,
                by=_by(),
            ),
            self._purchase_page,
        )

    @expose("/sign-up", methods=["GET", "POST"])
    @has_access
    def sign_up(self):
        form = forms.SignUpForm()
        self._purchases(form.purchase, PurchaseState.open)
        self._agencies(form.agency)
        return self._page(
            form,
            _l("Record a sign-up"),
            lambda f: (
                service.sign_up(
                    self._purchase(f.purchase.data),
                    db.session.get(Agency, f.agency.data),
                    f.quote.data,
                    _by(),
                    f.quality_score.data,
                ).purchase
            ),
            self._purchase_page,
        )

    @expose("/score", methods=["GET", "POST"])
    @has_access
    def score(self):
        form = forms.ScoreForm()
        bids = db.session.execute(select(Bid).join(Purchase).where(Purchase.state == PurchaseState.open)).scalars()
        form.bid.choices = [(b.id, f"{b.purchase.title} · {b.agency.name}") for b in bids]
        return self._page(
            form,
            _l("Record a quality score"),
            lambda f: service.score_bid(db.session.get(Bid, f.bid.data), f.quality_score.data, _by()).purchase,
            self._purchase_page,
        )

    @expose("/select", methods=["GET", "POST"])
    @has_access
    def select(self):
        form = forms.SelectForm()
        self._purchases(form.purchase, PurchaseState.open)
        return self._page(
            form,
            _l("Select the agency"),
            lambda f: service.select_agency(self._purchase(f.purchase.data), _by()).purchase,
            self._purchase_page,
        )

    @expose("/contract", methods=["GET", "POST"])
    @has_access
    def contract(self):
        form = forms.ContractForm()
        self._purchases(form.purchase, PurchaseState.selected)
        return self._page(
            form,
            _l("Record the contract"),
            lambda f: service.record_contract(
                self._purchase(f.purchase.data), f.number.data, f.amount.data, f.signed_on.data, _by()
            ),
            self._purchase_page,
        )

    @expose("/complete", methods=["GET", "POST"])
    @has_access
    def complete(self):
        form = forms.CompletionForm()
        self._purchases(form.purchase, PurchaseState.contracted)
        return self._page(
            form,
            _l("Record completion"),
            lambda f: service.record_completion(
                self._purchase(f.purchase.data), f.completed_on.data, f.note.data, _by()
            ),
            self._purchase_page,
        )

    @expose("/file", methods=["GET", "POST"])
    @has_access
    def file(self):
        form = forms.FilingForm()
        self._purchases(form.purchase, PurchaseState.completed)
        return self._page(
            form,
            _l("Record the filing"),
            lambda f: service.record_filing(
                self._purchase(f.purchase.data), f.filing_number.data, f.filed_on.data, _by()
            ),
            self._purchase_page,
        )

    @expose("/evaluate", methods=["GET", "POST"])
    @has_access
    def evaluate(self):
        form = forms.EvaluationForm()
        self._purchases(form.purchase, PurchaseState.filed)
        return self._page(
            form,
            _l("Evaluate the agency"),
            lambda f: (
                service.evaluate(
                    self._purchase(f.purchase.data),
                    time=f.time.data,
                    quality=f.quality.data,
                    price=f.price.data,
                    comment=f.comment.data,
                    by=_by(),
                ).purchase
            ),
            self._purchase_page,
        )

    @expose("/complain", methods=["GET", "POST"])
    @has_access
    def complain(self):
        form = forms.ComplaintForm()
        self._agencies(form.agency)
        self._purchases(form.purchase)
        form.purchase.choices = [(0, "—")] + form.purchase.choices
        return self._page(
            form,
            _l("Record a complaint"),
            lambda f: service.file_complaint(
                db.session.get(Agency, f.agency.data),
                f.complainant.data,
                f.content.data,
                _by(),
                db.session.get(Purchase, f.purchase.data) if f.purchase.data else None,
            ),
            lambda c: url_for("IntermediaryComplaintView.show", pk=c.id),
        )

    @expose("/handle", methods=["GET", "POST"])
    @has_access
    def handle(self):
        form = forms.HandleForm()
        open_ = db.session.execute(select(Complaint).where(Complaint.state == ComplaintState.open)).scalars()
        form.complaint.choices = [(c.id, f"{c.id} {c.agency.name}：{c.content[:30]}") for c in open_]
        return self._page(
            form,
            _l("Handle a complaint"),
            lambda f: service.handle_complaint(db.session.get(Complaint, f.complaint.data), f.handling.data, _by()),
            lambda c: url_for("IntermediaryComplaintView.show", pk=c.id),
        )
