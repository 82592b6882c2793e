"""Staff screens of the e-licence library: thin adapters over library / seals.

Rows are scoped to the user's own department (``DepartmentScope``) for department
roles; a direct URL to another department's licence answers 404. The service
functions check the role again, so a grant given by mistake still cannot seal or
revoke another department's licence.
"""

from __future__ import annotations

from flask import Response, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired

from onewindow.errors import ValidationError
from onewindow.licences import library, seals
from onewindow.licences.models import Licence, LicenceStatus, LicenceType, Seal
from onewindow.licences.pdf import pdf_filename, render_pdf, signature_excerpt
from onewindow.licences.verification import verify_licence, verify_url
from onewindow.models import Department
from onewindow.qr import qr_data_uri
from onewindow.security import DepartmentScope, role_keys
from onewindow.views.model import render_show, scoped_row


def _db():
    from onewindow.app import db

    return db.session


class ConfirmForm(FlaskForm):
    """A bare form: its CSRF token protects the one-click seal and rotate buttons."""


class ReasonForm(FlaskForm):
    reason = TextAreaField(validators=[DataRequired()])


class SealCreateForm(FlaskForm):
    department = SelectField(coerce=int)


def _run(action, success: str):
    """Run a service call in one transaction; a refusal is flashed, nothing is kept."""
    session = _db()
    try:
        result = action(session)
        session.commit()
    except ValidationError as exc:
        session.rollback()
        flash(str(exc), "danger")
        return None
    flash(success, "success")
    return result


class LicenceView(ModelView):
    datamodel = SQLAInterface(Licence)
    base_permissions = ["can_list", "can_show", "can_seal", "can_revoke", "can_update", "can_pdf"]
    base_filters = [["department_id", DepartmentScope, None]]
    base_order = ("id", "desc")
    list_title = _l("E-licence library")
    show_title = _l("E-licence")
    list_columns = ["identifier", "name", "holder", "issuer", "issue_date", "version", "status"]
    show_columns = [
        "identifier",
        "name",
        "number",
        "version",
        "holder",
        "holder_id",
        "holder_id_type",
        "issuer",
        "issuer_code",
        "issue_date",
        "region",
        "valid_from",
        "valid_until",
        "data",
        "case_number",
        "status",
        "sealed_by",
        "sealed_at",
        "seal",
        "revoke_reason",
        "access_code",
    ]
    search_columns = ["identifier", "name", "holder", "holder_id", "status", "case_number"]
    show_template = "licences/licence_show.html"
    label_columns = {
        "identifier": _l("E-licence identifier"),
        "name": _l("Licence name"),
        "number": _l("Licence number"),
        "version": _l("Version"),
        "holder": _l("Holder"),
        "holder_id": _l("Holder ID"),
        "holder_id_type": _l("Holder ID type"),
        "issuer": _l("Issuing authority"),
        "issuer_code": _l("Issuing authority code"),
        "issue_date": _l("Issue date"),
        "region": _l("Region"),
        "valid_from": _l("Valid from"),
        "valid_until": _l("Valid until"),
        "data": _l("Licence data"),
        "case_number": _l("Case number"),
        "status": _l("Status"),
        "sealed_by": _l("Sealed by"),
        "sealed_at": _l("Sealed at"),
        "seal": _l("Electronic seal"),
        "revoke_reason": _l("Reason for revocation"),
        "access_code": _l("Access code"),
    }

    def _licence(self, pk) -> Licence:
        return scoped_row(self, pk)  # other departments: 404

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        licence = self._licence(pk)
        keys = role_keys(g.user)
        return render_show(
            self,
            pk,
            licence,
            licence=licence,
            verification=verify_licence(licence),
            qr=qr_data_uri(verify_url(licence.identifier)),
            signature_excerpt=signature_excerpt(licence.signature),
            confirm=ConfirmForm(),
            can_seal="seal_admin" in keys and licence.status == LicenceStatus.pending_seal,
            can_revoke=bool(keys & {"admin", "chief_rep"})
            and licence.status in (LicenceStatus.active, LicenceStatus.pending_seal, LicenceStatus.expired),
            can_update=bool(keys & {"admin", "chief_rep", "approver"}) and licence.status == LicenceStatus.active,
        )

    @expose("/seal/<int:pk>", methods=["POST"])
    @has_access
    def seal(self, pk):
        licence = self._licence(pk)
        if ConfirmForm().validate_on_submit():
            _run(lambda s: seals.seal_licence(s, licence, g.user), f"已加盖电子印章：{licence.identifier}")
        return redirect(url_for(".show", pk=pk))

    @expose("/revoke/<int:pk>", methods=["GET", "POST"])
    @has_access
    def revoke(self, pk):
        licence = self._licence(pk)
        form = ReasonForm()
        if form.validate_on_submit():
            if (
                _run(
                    lambda s: library.revoke_licence(s, licence, g.user, form.reason.data),
                    f"已撤销：{licence.identifier}",
                )
                is not None
            ):
                return redirect(url_for(".show", pk=pk))
        return self.render_template(
            "licences/licence_reason.html", licence=licence, form=form, title=_l("Revoke licence"), fields=[]
        )

    @expose("/update/<int:pk>", methods=["GET", "POST"])
    @has_access
    def update(self, pk):
        licence = self._licence(pk)
        form = ReasonForm()
        fields = licence.licence_type.fields
        if form.validate_on_submit():
            changes = {
                f["name"]: request.form.get(f"field_{f['name']}", "").strip()
                for f in fields
                if request.form.get(f"field_{f['name']}", "").strip() != str(licence.data.get(f["name"], ""))
            }
            new = _run(
                lambda s: library.update_licence(s, licence, g.user, changes, form.reason.data),
                f"已生成新版本，待加盖电子印章：{licence.identifier}",
            )
            if new is not None:
                return redirect(url_for(".show", pk=new.id))
        return self.render_template(
            "licences/licence_reason.html",
            licence=licence,
            form=form,
            title=_l("New version of the licence"),
            fields=fields,
        )

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        licence = self._licence(pk)
        return Response(
            render_pdf(licence),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{pdf_filename(licence)}"'},
        )


class LicenceTypeView(ModelView):
    """Licence types are data from packs and plugins: read-only here."""

    datamodel = SQLAInterface(LicenceType)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Licence types")
    show_title = _l("Licence type")
    list_columns = ["code", "name", "type_oid", "department", "validity_years", "source"]
    show_columns = list_columns + ["fields", "template"]
    label_columns = {
        "code": _l("Type code"),
        "name": _l("Licence name"),
        "type_oid": _l("GB/T 36904 type code"),
        "department": _l("Issuing authority"),
        "validity_years": _l("Validity (years)"),
        "source": _l("Declared by"),
        "fields": _l("Fields"),
        "template": _l("Print template"),
    }


class SealView(ModelView):
    """电子印章 management. The private key is never a column of any screen."""

    datamodel = SQLAInterface(Seal)
    base_permissions = ["can_list", "can_show", "can_create", "can_rotate"]
    base_filters = [["department_id", DepartmentScope, None]]
    base_order = ("id", "desc")
    list_title = _l("Electronic seals")
    show_title = _l("Electronic seal")
    list_columns = ["department", "name", "key_id", "algorithm", "active", "created_at", "rotated_at"]
    # FAB searches every column by default: the encrypted private key is no search field
    search_columns = ["department", "name", "key_id", "active"]
    show_columns = [
        "department",
        "name",
        "key_id",
        "algorithm",
        "public_key",
        "kek_id",
        "active",
        "created_at",
        "created_by",
        "rotated_at",
        "rotated_by",
    ]
    list_template = "licences/seal_list.html"
    show_template = "licences/seal_show.html"
    label_columns = {
        "department": _l("Department"),
        "name": _l("Seal name"),
        "key_id": _l("Key ID"),
        "algorithm": _l("Algorithm"),
        "public_key": _l("Public key"),
        "kek_id": _l("Key-encryption key ID"),
        "active": _l("In use"),
        "created_at": _l("Created at"),
        "created_by": _l("Created by"),
        "rotated_at": _l("Rotated at"),
        "rotated_by": _l("Rotated by"),
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        seal = scoped_row(self, pk)
        return render_show(
            self,
            pk,
            seal,
            seal=seal,
            confirm=ConfirmForm(),
        )

    @expose("/create", methods=["GET", "POST"])
    @has_access
    def create(self):
        form = SealCreateForm()
        with_seal = {s.department_id for s in _db().query(Seal).filter_by(active=True)}
        form.department.choices = [
            (d.id, d.name) for d in _db().query(Department).order_by(Department.name) if d.id not in with_seal
        ]
        if form.validate_on_submit():
            department = _db().get(Department, form.department.data)
            if (
                _run(lambda s: seals.create_seal(s, department, g.user.username), f"已为{department.name}创建电子印章")
                is not None
            ):
                return redirect(url_for(".list"))
        return self.render_template("licences/seal_create.html", form=form, title=_l("Create an electronic seal"))

    @expose("/rotate/<int:pk>", methods=["POST"])
    @has_access
    def rotate(self, pk):
        seal = scoped_row(self, pk)
        if ConfirmForm().validate_on_submit():
            _run(
                lambda s: seals.rotate_seal(s, seal.department, g.user.username),
                f"已轮换{seal.department.name}的电子印章；旧印章签发的证照仍可验证",
            )
        return redirect(url_for(".list"))
