"""忘记密码: a citizen resets the password with a one-time code sent to the account's
confirmed mobile number.

Every answer is the same whether or not an account has the number or ID number typed (no
account enumeration): code requests are counted against the same limits either way, and
a wrong code reads like an unknown account. The new password follows the platform's
password rules; a successful reset lifts the lockouts of the account's logins.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from onewindow import LoginLocked, clear_lockout, db, guarded_login
from onewindow_hall import codes, service
from onewindow_hall.models import Citizen
from onewindow_hall.public import bp

#: The lockout kind of wrong reset codes (the admin's “登录锁定” screen shows it).
LOCKOUT_RESET = "citizen-reset"


def _account(identifier: str) -> Citizen | None:
    """The active person account with a confirmed mobile that ``identifier`` names, or None."""
    person = service.find_person(service.normalise_mobile(identifier) or identifier)
    if person is None or not person.active or not person.mobile or not person.mobile_verified:
        return None
    return person


def request_code(identifier: str) -> None:
    """Send a reset code to the account's confirmed mobile, if there is such an account."""
    key = service.account_key(identifier)
    codes.hit_code_limits(key)  # counted for unknown names too: the limit tells nothing
    person = _account(identifier)
    if person is not None:
        codes.issue("reset", person.mobile, limited=False)


def reset_password(identifier: str, code: str, password: str, password2: str) -> dict[str, str]:
    """Set the new password when ``code`` is the live reset code; the problems otherwise.

    Raises ``LoginLocked`` and ``TooManyRequests`` like the login.
    """
    key = service.account_key(identifier)
    limit_message = _("Too many attempts; please wait a minute and try again.")
    codes.hit("login-address", codes.address(), "login_rate_per_address", limit_message)
    codes.hit("login-account", key, "login_rate_per_account", limit_message)
    problems = service.password_and_code_problems(password, password2, key, code)
    if problems:
        return problems

    def verify() -> Citizen | None:
        person = _account(identifier)
        return person if person is not None and codes.consume("reset", person.mobile, code) else None

    person = guarded_login(LOCKOUT_RESET, key, verify)
    if person is None:
        return {"code": _("The account or the verification code is wrong, or the code has expired.")}
    person.password_hash = generate_password_hash(password)
    for kind in (service.LOCKOUT_PASSWORD, service.LOCKOUT_CODE, LOCKOUT_RESET):
        clear_lockout(kind, key)
    db.session.commit()
    return {}


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset():
    identifier = (request.form.get("identifier") or request.args.get("identifier") or "").strip()
    problems: dict[str, str] = {}
    status = 200
    sent = False
    if request.method == "POST":
        try:
            if request.form.get("action") == "send_code":
                if not identifier:
                    problems["identifier"], status = _("Enter your mobile number or ID number."), 400
                else:
                    request_code(identifier)
                    sent = True
                    flash(
                        _("If an account has this number, a verification code was sent to its confirmed mobile."),
                        "info",
                    )
            else:
                problems = reset_password(
                    identifier,
                    request.form.get("code", ""),
                    request.form.get("password", ""),
                    request.form.get("password2", ""),
                )
                if not problems:
                    flash(_("Your password is changed; log in with the new password."), "success")
                    return redirect(url_for("hall.login"))
                status = 400
        except (LoginLocked, codes.TooManyRequests) as exc:
            problems["form"], status = str(exc), 429
    return (
        render_template("hall/accounts/reset.html", identifier=identifier, problems=problems, sent=sent),
        status,
    )
