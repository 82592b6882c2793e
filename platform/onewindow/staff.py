"""Creating staff accounts with the role and department rules of the centre."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext

from onewindow.app import db
from onewindow.auth.passwords import password_problem
from onewindow.errors import ValidationError
from onewindow.models import Department, Staff, Window
from onewindow.security import DEPARTMENT_ROLES


def create_staff(
    *,
    username: str,
    password: str,
    roles: list[str],
    department_code: str | None = None,
    first_name: str | None = None,
    last_name: str = "",
    email: str | None = None,
    window_codes: list[str] | None = None,
    commit: bool = True,
) -> Staff:
    sm = current_app.extensions["appbuilder"].sm
    ow = current_app.extensions["onewindow"]
    if not username.strip():
        raise ValidationError(gettext("--username: a user name is required"))
    if sm.find_user(username=username):
        raise ValidationError(gettext("user %(name)s already exists; choose another --username", name=username))
    problem = password_problem(password, username)
    if problem:
        raise ValidationError(f"--password: {problem}")
    role_objs = []
    for key in roles:
        if key not in ow.roles:
            raise ValidationError(
                gettext("--role %(key)s is not a role; choose one of: %(roles)s", key=key, roles=", ".join(ow.roles))
            )
        role = sm.find_role(key)
        if role is None:
            raise ValidationError(
                gettext("role %(key)s is not in the database yet; run `onewindow init` first", key=key)
            )
        role_objs.append(role)
    department = None
    if department_code:
        department = db.session.query(Department).filter_by(credit_code=department_code.strip().upper()).one_or_none()
        if department is None:
            raise ValidationError(
                gettext(
                    "--department %(code)s: no department has that unified social credit code", code=department_code
                )
            )
    needs_dept = DEPARTMENT_ROLES.intersection(roles)
    if needs_dept and department is None:
        raise ValidationError(
            gettext(
                "role(s) %(roles)s work for a department: "
                "give --department with the department's unified social credit code",
                roles=", ".join(sorted(needs_dept)),
            )
        )
    windows = []
    for code in window_codes or []:
        window = db.session.query(Window).filter_by(code=code).first()
        if window is None:
            raise ValidationError(gettext("window %(code)s does not exist", code=code))
        windows.append(window)
    user = sm.add_user(
        username=username,
        first_name=first_name or username,
        last_name=last_name or "-",
        email=email or f"{username}@staff.invalid",
        role=role_objs,
        password=password,
        commit=False,
    )
    if not user:
        raise ValidationError(gettext("user %(name)s could not be created (e-mail already used?)", name=username))
    user.department = department
    user.region = department.region if department else None
    user.windows = windows
    if commit:
        db.session.commit()
    return user
