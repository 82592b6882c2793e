"""一件事一次办 in the online hall: the bundles for the citizen's audience next to the items,
a guide page per bundle (members, when each applies, the merged materials, the computed
limit, fees per payee), and the online application — the intake questions decide the
members, the merged form asks a shared field once, the merged materials list a shared
material once with its uploads. Submitting hands everything to the engine in one
transaction (``engine.submit_bundle_online``): one parent case in channel ``online`` with
a child per member, a shared material's files on every child that needs it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from onewindow import (
    ApplicantType,
    ApplicationInvalid,
    Bundle,
    Case,
    Channel,
    Department,
    Item,
    application_form_data,
    bundle_answers,
    bundle_guide,
    bundle_member_forms,
    bundle_plan,
    db,
    engine,
    uploads_from,
)
from onewindow_hall.accounts import citizen_required, current_citizen
from onewindow_hall.apply import ENGINE_ERRORS, acting_for, checked_uploads
from onewindow_hall.public import bp

#: the pack's audience of a bundle → the hall's audience key (个人 / 法人)
AUDIENCE = {"person": "person", "enterprise": "legal_person"}


def current_bundles(audience: str = "") -> list[Bundle]:
    rows = db.session.execute(select(Bundle).order_by(Bundle.code)).scalars().all()
    return [b for b in rows if not audience or AUDIENCE.get(b.audience) == audience]


def find_bundle(code: str) -> Bundle:
    bundle = db.session.execute(select(Bundle).where(Bundle.code == (code or "")[:40])).scalars().first()
    if bundle is None:
        abort(404, description=_("No bundle has the code %(code)s. See the bundles on the home page.", code=code))
    return bundle


def condition_text(bundle: Bundle, when: dict[str, Any]) -> str:
    """When a member applies, in words: the intake question and the answer it needs."""
    if not when:
        return _("Always")
    labels = {q["key"]: q for q in bundle.questions or []}
    parts = []
    for key, want in when.items():
        q = labels.get(key, {"label": key, "type": "text"})
        wanted = want if isinstance(want, list) else [want]
        shown = [(_("Yes") if w else _("No")) if q.get("type") == "boolean" else str(w) for w in wanted]
        parts.append(f"{q['label']}：{'/'.join(shown)}")
    return "；".join(parts)


@bp.get("/bundles/<code>")
def bundle_page(code: str):
    bundle = find_bundle(code)
    derived = bundle_guide(bundle, db.session)
    items = {m.basic_code: m for m in bundle.members}
    current = {
        i.basic_code: i
        for i in db.session.execute(
            select(Item).where(Item.basic_code.in_(list(items)), Item.is_current.is_(True))
        ).scalars()
    }
    payees = dict(db.session.execute(select(Department.credit_code, Department.name)).all())
    return render_template(
        "hall/bundle.html",
        bundle=bundle,
        derived=derived,
        items=current,
        payees=payees,
        condition_text=condition_text,
    )


def checked_bundle_files(plan: Any) -> tuple[dict[str, list], list[tuple[str, str]]]:
    """Every merged material's uploads checked before any case exists (all or nothing), the
    refusals named by material; the total counts against one case's limit."""
    return checked_uploads([(m.name, m.name, f"mm{n}") for n, m in enumerate(plan.materials)])


@bp.route("/bundles/<code>/apply", methods=["GET", "POST"])
@citizen_required
def bundle_apply(code: str):
    citizen = current_citizen()
    assert citizen is not None
    bundle = find_bundle(code)
    form = request.values
    answers = bundle_answers(bundle, form)
    problems: list[tuple[str, str]] = []
    plan = None
    if answers is not None:
        try:
            plan = bundle_plan(bundle, answers)
        except ENGINE_ERRORS as exc:
            problems = [("", str(exc))]
    company = acting_for(citizen, form.get("company")) if form.get("company") else None
    member_forms = bundle_member_forms(plan, request.form if request.method == "POST" else None) if plan else {}
    if request.method == "POST" and plan is not None:
        files, problems = checked_bundle_files(plan)
        applicant = company or citizen
        app = engine.BundleApplication(
            bundle=bundle,
            applicant_type=ApplicantType.company if company else ApplicantType.person,
            applicant_name=applicant.name,
            applicant_id=(company.uscc if company else citizen.id_number) or "",
            answers=answers,
            data={f.key: form.get(f"f_{f.key}", "") for f in plan.form},
            channel=Channel.online,
            phone=citizen.mobile,
            member_data={c: application_form_data(f.ow_rows) for c, f in member_forms.items()},
        )
        try:
            if problems:  # nothing is created: the form comes back as typed, the files to choose again
                raise ApplicationInvalid(
                    problems + [("", _("Nothing was submitted. Choose the files again and submit."))]
                )
            parent = engine.submit_bundle_online(app, engine.applicant_actor(citizen.id_number), files)
        except ApplicationInvalid as exc:
            problems = exc.problems
        except ENGINE_ERRORS as exc:
            problems = [("", str(exc)), ("", _("Nothing was submitted. Choose the files again and submit."))]
        else:
            flash(
                _(
                    "Submitted: the lead department pre-reviews the whole bundle within %(days)d working days.",
                    days=parent.item.pre_review_days,
                ),
                "success",
            )
            return redirect(url_for("hall.my_case", number=parent.number))
    return render_template(
        "hall/bundle_apply.html",
        bundle=bundle,
        citizen=citizen,
        company=company,
        form=form,
        plan=plan,
        member_forms=member_forms,
        problems=problems,
        condition_text=condition_text,
    ), (400 if problems else 200)


def bundle_section(case: Case) -> dict[str, Any] | None:
    """What 我的办件 shows of a bundle's parent: its members, each with its state and due
    date, and the merged materials the applicant may still upload."""
    if not case.is_bundle:
        return None
    try:
        plan = bundle_plan(case.bundle, (case.data or {}).get("answers") or {})
    except ENGINE_ERRORS:
        plan = None
    return {"members": sorted(case.children, key=lambda c: c.id), "materials": plan.materials if plan else []}


@bp.post("/my/cases/<number>/bundle-files")
@citizen_required
def my_bundle_files(number: str):
    """Answer the bundle's correction notice online: a merged material's files onto every
    member that needs it (stored once)."""
    from onewindow_hall.my import _citizen, own_case

    case = own_case(_citizen(), number)
    section = bundle_section(case)
    raw = request.form.get("material", "")
    materials = section["materials"] if section else []
    if not raw.isdigit() or int(raw) >= len(materials):
        flash(_("Choose a material of this case to upload files for."), "danger")
        return redirect(url_for("hall.my_case", number=number))
    name = materials[int(raw)].name
    try:
        engine.add_bundle_files(case, engine.applicant_actor(case), name, uploads_from(request.files, "files"))
    except ENGINE_ERRORS as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Files added to “%(material)s”.", material=name), "success")
    return redirect(url_for("hall.my_case", number=number))
