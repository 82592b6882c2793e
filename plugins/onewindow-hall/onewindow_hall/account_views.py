"""The citizen's account pages on the hall blueprint: register, log in (password or one-time
code), log out, the account page and the company accounts. Every form posts with CSRF."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from onewindow import LoginLocked, db
from onewindow_hall import accounts, codes, service, sso
from onewindow_hall.accounts import citizen_required, current_citizen
from onewindow_hall.models import Citizen, CitizenKind
from onewindow_hall.public import bp

PERSON_FIELDS = ("name", "id_number", "mobile")
COMPANY_FIELDS = ("name", "uscc", "legal_rep_name", "legal_rep_id_number")


def _next_url() -> str:
    return accounts.safe_next(request.values.get("next")) or url_for("hall.account")


def _send_code(purpose: str, mobile: str) -> tuple[str | None, int]:
    """Issue a code; answer (error, status): the error for the form, 429 over a limit."""
    problem = service.mobile_problem(mobile)
    if problem:
        return problem, 400
    try:
        codes.issue(purpose, mobile)
    except codes.TooManyRequests as exc:
        return str(exc), 429
    return None, 200


@bp.route("/register", methods=["GET", "POST"])
def register():
    values = {k: (request.form.get(k) or "").strip() for k in PERSON_FIELDS}
    problems: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        mobile = service.normalise_mobile(values["mobile"])
        if request.form.get("action") == "send_code":
            error, status = _send_code("register", mobile)
            if error:
                problems["mobile"] = error
            else:
                flash(_("A verification code was sent to %(mobile)s.", mobile=mobile), "info")
        else:
            try:
                citizen = service.register_person(
                    name=values["name"],
                    id_number=values["id_number"],
                    mobile=mobile,
                    code=request.form.get("code", ""),
                    password=request.form.get("password", ""),
                    password2=request.form.get("password2", ""),
                )
            except service.RegistrationInvalid as exc:
                problems, status = exc.problems, 400
            else:
                accounts.log_in(citizen)
                flash(_("Your account is registered; you are logged in."), "success")
                return redirect(_next_url())
    return render_template("hall/accounts/register.html", values=values, problems=problems), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    problems: dict[str, str] = {}
    status = 200
    identifier = (request.form.get("identifier") or "").strip()
    mobile = service.normalise_mobile(request.form.get("mobile"))
    action = request.form.get("action")
    if request.method == "POST":
        citizen: Citizen | None = None
        try:
            if action == "send_code":
                error, status = _send_code("login", mobile) if service.find_person(mobile) else (None, 200)
                if error:
                    problems["mobile"] = error
                else:  # the same answer whether the number has an account or not
                    flash(_("If %(mobile)s has an account, a verification code was sent to it.", mobile=mobile), "info")
            elif action == "code":
                citizen = service.login_with_code(mobile, request.form.get("code", ""))
                if citizen is None:
                    problems["code"] = _("Wrong mobile number or verification code, or the code has expired.")
                    status = 401
            else:
                citizen = service.login_with_password(identifier, request.form.get("password", ""))
                if citizen is None:
                    problems["password"] = _("Wrong mobile number / ID number or password.")
                    status = 401
        except LoginLocked as exc:
            problems["form"], status = str(exc), 429
        except codes.TooManyRequests as exc:
            problems["form"], status = str(exc), 429
        if citizen is not None:
            accounts.log_in(citizen)
            return redirect(_next_url())
    return (
        render_template(
            "hall/accounts/login.html",
            identifier=identifier,
            mobile=mobile,
            problems=problems,
            next=accounts.safe_next(request.values.get("next")) or "",
            sso_enabled=sso.enabled(),
        ),
        status,
    )


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.log_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("hall.login"))


@bp.route("/account")
@citizen_required
def account():
    return render_template("hall/accounts/account.html", citizen=current_citizen())


@bp.route("/account/company", methods=["GET", "POST"])
@citizen_required
def register_company():
    values = {k: (request.form.get(k) or "").strip() for k in COMPANY_FIELDS}
    problems: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        person = current_citizen()
        assert person is not None
        try:
            company = service.register_company(person, **values)
        except service.RegistrationInvalid as exc:
            problems, status = exc.problems, 400
        else:
            flash(_("The company account %(name)s is registered.", name=company.name), "success")
            return redirect(url_for("hall.account"))
    return render_template("hall/accounts/company.html", values=values, problems=problems), status


@bp.route("/account/company/<int:company_id>/agents", methods=["POST"])
@citizen_required
def add_agent(company_id: int):
    person = current_citizen()
    assert person is not None
    company = db.session.get(Citizen, company_id)
    if company is None or company.kind != CitizenKind.company or company not in person.companies:
        abort(404)
    try:
        service.add_agent(
            company, person, id_number=request.form.get("id_number", ""), mobile=request.form.get("mobile", "")
        )
    except service.RegistrationInvalid as exc:
        for message in exc.problems.values():
            flash(message, "danger")
    else:
        flash(_("The agent is added."), "success")
    return redirect(url_for("hall.account"))


@bp.context_processor
def _citizen_in_templates():
    return {"hall_citizen": current_citizen}
