"""Staff screens over the engine: case list and page, acceptor's workbench, department
inbox, output window. Views only adapt forms to engine calls; the engine decides."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from flask import abort, flash, g, get_template_attribute, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access, permission_name
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import FieldList, FormField, SelectMultipleField

from onewindow.app import db
from onewindow.cases import clock, engine, files_web
from onewindow.cases.actions import WORKBENCH, available, body_from_form
from onewindow.cases.errors import ApplicationInvalid, ConflictError, PermissionDenied, TransitionError
from onewindow.cases.listing import BoundedCountInterface, BoundedCountListWidget
from onewindow.cases.materialfiles import ADDING_ROLES, add_material_files
from onewindow.cases.models import ApplicantType, Case, CaseState, CaseStep, Channel, MaterialStatus, StepState
from onewindow.cases.reuse import offers as reuse_offers
from onewindow.cases.reuse import reuse_material_files
from onewindow.cases.scope import CaseScope, may_see
from onewindow.cases.transitions import TRANSITIONS
from onewindow.catalogue.forms import build_application_form
from onewindow.display import local_time
from onewindow.forms import Form
from onewindow.models.items import Item, ItemStatus
from onewindow.models.org import Department, Window
from onewindow.security import department_condition, role_keys
from onewindow.validators import mask_resident_id
from onewindow.views.model import related_search_field, scope_filters, scoped_row
from onewindow.workspace import corrections_answered

ENGINE_ERRORS = (TransitionError, ApplicationInvalid, PermissionDenied, ConflictError)
#: Rows per queue on the inbox and output screens; more are announced, not loaded.
QUEUE_LIMIT = 100
#: Active department steps listed on the inbox (most urgent first).
STEP_QUEUE_LIMIT = 500


def _queue(query, limit: int = QUEUE_LIMIT) -> tuple[list, bool]:
    """At most ``limit`` rows of ``query`` and whether there are more."""
    rows = query.limit(limit + 1).all()
    return rows[:limit], len(rows) > limit


def _cases_with_item():
    """Cases with their item in the same query: queues show the item's name per row."""
    return db.session.query(Case).options(joinedload(Case.item))


def _actor():
    return engine.Actor.of(g.user)


def _case_or_404(number: str) -> Case:
    case = db.session.query(Case).filter_by(number=number).one_or_none()
    if case is None or not may_see(g.user, case):
        abort(404)
    return case


def _run(call, success: str):
    """Run an engine call; flash its outcome. Returns True on success."""
    try:
        call()
    except ENGINE_ERRORS as exc:
        flash(str(exc), "danger")
        return False
    flash(success, "success")
    return True


def _date_or_none(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _actions_of(actor: engine.Actor):
    """``acts(case, *names)``: the actions of the table this actor may take on a queue's
    row, among ``names`` (the queue's own; checking only those keeps one query a page)."""

    def acts(case: Case, *names: str):
        return available(case, actor, only=names)

    return acts


#: Stand-ins for a row's id and version in an address or a form drawn once a page
#: (digits: an ``<int:…>`` route accepts them; no real id or version is this long).
_PK, _VERSION = "9090909090909090909", "8080808080808080808"


class _RowCase:
    """What ``action_form`` reads of a case, as the stand-ins (no materials: see
    :func:`_queue_forms`)."""

    id, version, materials = _PK, _VERSION, ()


def _row_urls(endpoint: str, arg: str):
    """``url(value)``: ``url_for(endpoint, arg=value)`` for a list's rows, built once a
    page: the rows' addresses differ only in that value (``url_for`` per row was a third
    of a 500-row inbox's time)."""
    pattern = url_for(endpoint, **{arg: _PK})
    head, _, tail = pattern.partition(_PK)
    return lambda value: f"{head}{quote(str(value), safe='')}{tail}"


def _case_urls():
    """``case_url(id)``: the case page of a queue's row."""
    return _row_urls("CaseView.show", "pk")


def _queue_forms(procedures, today, here: str):
    """``row_form(case, action)``: the compact form of one action on a queue's row.

    A queue shows the same few forms on up to 100 rows, differing only in the case's id
    and version: each action's form is drawn once a page through the ``action_form``
    macro (the one the case page uses) with stand-ins, and each row gets a copy with its
    own id and version. A form that lists the case's own materials (``deferred``) is
    drawn per row."""
    macro = get_template_attribute("cases/_macros.html", "action_form")
    drawn: dict[str, str] = {}

    def row_form(case: Case, action) -> Markup:
        if any(f.kind == "deferred" for f in action.fields):
            return macro(case, action, procedures, today, next=here)
        if action.name not in drawn:
            drawn[action.name] = str(macro(_RowCase, action, procedures, today, next=here))
        return Markup(drawn[action.name].replace(_PK, str(case.id)).replace(_VERSION, str(case.version)))

    return row_form


def _next_url(default: str) -> str:
    """Where to go after an action: back to the queue it came from (a local path only)."""
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


def _due_badge(case: Case) -> str:
    if case.due_date is None:
        return ""
    left = (case.due_date - clock.today()).days
    return f"{case.due_date}{'' if case.due_confirmed else '（节假日安排未确认）'}" + (
        "（已超期）" if left < 0 and case.is_open else ""
    )


class CaseView(ModelView):
    """办件查询: every case the user may see, with its full timeline.

    At 1,000,000 cases the list counts at most ``COUNT_CAP`` rows and then says "more
    than" (``onewindow.cases.listing``); the department scope is index-served
    (``onewindow.cases.scope``, migration 0020)."""

    datamodel = BoundedCountInterface(Case)
    list_widget = BoundedCountListWidget
    base_permissions = ["can_list", "can_show", "can_act"]
    base_filters = [["id", CaseScope, None]]
    base_order = ("id", "desc")
    list_title = _l("Cases")
    list_columns = ["number", "item", "applicant_name", "masked_id", "state", "due_date", "department"]
    # accepted_by/accepted_on/simulated: the filters the workspace's counts link to
    search_columns = [
        "number",
        "item",
        "state",
        "applicant_name",
        "department",
        "due_date",
        "accepted_by",
        "accepted_on",
        "simulated",
    ]
    label_columns = {
        "accepted_by": _l("Accepted by"),
        "accepted_on": _l("Accepted on"),
        "simulated": _l("Deferred materials outstanding"),
        "number": _l("Case number"),
        "item": _l("Service item"),
        "applicant_name": _l("Applicant"),
        "masked_id": _l("ID number"),
        "state": _l("State"),
        "due_date": _l("Due date"),
        "department": _l("Department"),
    }
    search_form_extra_fields = {
        "item": related_search_field(label_columns["item"], Item, Item.basic_code, Item.name, Item.basic_code),
        "department": related_search_field(label_columns["department"], Department, Department.id, Department.name),
    }
    show_template = "cases/case.html"

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        case = scoped_row(self, pk)  # other departments' cases: 404
        may_upload = case.is_open and _actor().has("admin", *ADDING_ROLES)
        from onewindow.cases.actions import PROCEDURES, steps_for
        from onewindow.cases.models import CaseState as _State
        from onewindow.documents.labels import ACTION_LABELS, KINDS, UNKNOWN_ACTION

        return self.render_template(
            self.show_template,
            case=case,
            title=str(_l("Case")),
            due=_due_badge(case),
            masked=mask_resident_id(case.applicant_id),
            roles=role_keys(g.user),
            actions=available(case, _actor()),
            procedures=PROCEDURES,
            today=clock.today().isoformat(),
            steps_for=lambda c: steps_for(c, _actor()),
            form_fields=_form_labels(case),
            action_label=lambda a: ACTION_LABELS.get(a, UNKNOWN_ACTION),
            kind_label=lambda k: KINDS.get(k, (k,))[0],
            state_label=lambda name: _State[name] if name in _State.__members__ else name,
            may_upload=may_upload,
            bundle_choice=case.is_bundle and _bundle_choice(case),
            local_time=local_time,
            offers=reuse_offers(case.applicant_id, [m.name for m in case.materials], exclude_case=case)
            if may_upload
            else {},
        )

    @expose("/file/<pk>/<int:file_id>")
    @has_access
    @permission_name("show")
    def file(self, pk, file_id):
        """One stored file, inline in the browser: only for who may see the case; else 404."""
        return files_web.serve(self.datamodel.get(pk, scope_filters(self)), file_id)

    @expose("/upload/<pk>/<int:material_id>", methods=["POST"])
    @has_access
    @permission_name("act")
    def upload(self, pk, material_id):
        """Files for one material from the case page (correction, deferred materials)."""
        case = self.datamodel.get(pk, scope_filters(self))
        if case is None:
            abort(404)
        uploads = files_web.uploads_from(request.files, "files")
        _run(lambda: add_material_files(case, _actor(), material_id, uploads, "window"), str(_l("Files added")))
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/reuse/<pk>/<int:material_id>", methods=["POST"])
    @has_access
    @permission_name("act")
    def reuse(self, pk, material_id):
        """One click: reuse a file the same applicant handed in on an earlier case (材料复用)."""
        case = self.datamodel.get(pk, scope_filters(self))
        if case is None:
            abort(404)
        chosen = [int(v) for v in request.form.getlist("file_id") if v.isdigit()]
        _run(lambda: reuse_material_files(case, _actor(), material_id, chosen, "window"), str(_l("Files reused")))
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/act/<pk>/<name>", methods=["POST"])
    @has_access
    def act(self, pk, name):
        """One case action from the case page, through the dispatch the REST API uses."""
        from onewindow.cases.actions import BY_NAME
        from onewindow.cases.transitions import InputInvalid, run_transition

        case = self.datamodel.get(pk, scope_filters(self))  # other departments' cases: 404
        action = BY_NAME.get(name)
        if case is None or action is None:
            abort(404)
        try:
            run_transition(case, name, _actor(), body_from_form(action, case, _actor(), request.form))
        except InputInvalid as exc:
            flash(str(exc), "danger")
        except ENGINE_ERRORS as exc:
            flash(str(exc), "danger")
        else:
            flash(f"{action.label}：{_l('Done')}", "success")
        return redirect(_next_url(url_for("CaseView.show", pk=pk)))


def _bundle_labels(case: Case) -> list[tuple[str, Any]]:
    """A bundle's intake answers under its questions, then its one form under the merged labels."""
    from onewindow.catalogue.bundles import merged_form
    from onewindow.catalogue.convert import item_to_dict

    data = case.data or {}
    asked = {q["key"]: q.get("label", q["key"]) for q in case.bundle.questions or []}
    out = [(asked.get(k, k), v) for k, v in (data.get("answers") or {}).items()]
    items = {c.item.basic_code: item_to_dict(c.item) for c in case.children}
    members = [m.as_pack() for m in case.bundle.members if m.basic_code in items]
    labels = {f.key: f.label for f in merged_form(members, items)}
    return out + [(labels.get(k, k), v) for k, v in (data.get("form") or {}).items() if v not in ("", None)]


def _bundle_choice(case: Case) -> bool:
    from onewindow.cases.bundles import choice_pending

    return choice_pending(case)


def _form_labels(case: Case) -> list[tuple[str, Any]]:
    """The application data as entered, labelled with the item form's labels (plugin
    forms and low-code fields alike); keys no form declares are shown by name."""
    if case.is_bundle:
        return _bundle_labels(case)
    labels: dict[str, str] = {}
    form_cls = build_application_form(case.item) if (case.item.form_key or case.item.fields) else None
    if form_cls is not None:
        for f in form_cls(meta={"csrf": False}):
            labels[f.name] = str(f.label.text)
    return [(labels.get(key, key), value) for key, value in (case.data or {}).items()]


#: Blank rows offered below a plugin form's row list (shareholders, family members…).
EXTRA_ROWS = 2


def application_form(item: Item, formdata) -> Form | None:
    """The plugin form of an item with a ``form_key``, its fields named ``f_<name>``
    (rows ``f_<name>-<n>-<sub>``); items without one use their low-code fields."""
    if not item.form_key:
        return None
    app_form = build_application_form(item)(formdata=formdata, prefix="f_", meta={"csrf": False})
    for f in app_form:
        if isinstance(f, FieldList) and formdata is None:
            while len(f.entries) < max(f.min_entries, 1) + EXTRA_ROWS:
                f.append_entry()
    return app_form


def form_data(fields) -> dict:
    """What the acceptor typed, as structured case data (text as typed; the engine
    validates it with the same form). Row lists drop rows left blank."""

    def raw(f):
        if isinstance(f, FieldList):
            rows = [raw(entry) for entry in f.entries]
            return [r for r in rows if (any(v not in ("", None, []) for v in r.values()) if isinstance(r, dict) else r)]
        if isinstance(f, FormField):
            return {sub.short_name: raw(sub) for sub in f.form}
        if isinstance(f, SelectMultipleField):
            return list(f.raw_data or [])
        return (f.raw_data or [""])[0]

    return {f.short_name: raw(f) for f in fields}


class WorkbenchView(BaseView):
    """综合受理窗口工作台 of the acceptor."""

    route_base = "/workbench"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        # Only the columns a row shows (no case and item objects for up to 200 rows).
        queue = (
            db.session.query(Case.id, Case.number, Case.state, Item.name.label("item_name"))
            .join(Item, Item.id == Case.item_id)
            .filter(Case.state.in_([CaseState.submitted, CaseState.pre_reviewed, CaseState.correction]))
        )
        only_answered = request.args.get("answered") == "1"
        if only_answered:
            queue = queue.filter(corrections_answered())
        queue = queue.order_by(Case.id).limit(200).all()
        answered = set(
            db.session.execute(select(Case.id).where(corrections_answered(), Case.id.in_([c.id for c in queue])))
            .scalars()
            .all()
        )
        q = (request.args.get("q") or "").strip()
        items = db.session.query(Item).filter(Item.is_current.is_(True), Item.status == ItemStatus.active)
        if q:
            items = items.filter(Item.name.contains(q) | Item.basic_code.contains(q))
        from onewindow.models.bundles import Bundle

        return self.render_template(
            "cases/workbench.html",
            bundles=db.session.query(Bundle).order_by(Bundle.name).all(),
            queue=queue,
            answered=answered,
            only_answered=only_answered,
            items=items.order_by(Item.name).limit(100),
            case_url=_case_urls(),
            handle_url=_row_urls("WorkbenchView.existing", "number"),
            item_url=_row_urls("WorkbenchView.new", "item_id"),
            q=q,
            title=str(_l("Acceptance workbench")),
        )

    @expose("/new/<int:item_id>", methods=["GET", "POST"])
    @has_access
    def new(self, item_id):
        item = db.session.get(Item, item_id)
        if item is None or not item.is_current:
            abort(404)
        return self._form(item, None)

    @expose("/case/<number>", methods=["GET", "POST"])
    @has_access
    def existing(self, number):
        case = _case_or_404(number)
        return self._form(case.item, case)

    def _form(self, item: Item, case: Case | None):
        # GET may carry the applicant from a called queue ticket (/queue/desk → 开始受理).
        form = request.form if request.method == "POST" else request.args
        app_form = None if case is not None else application_form(item, form if request.method == "POST" else None)
        looking_up = request.method == "POST" and bool(form.get("lookup"))  # 查找可复用材料: no transition
        if request.method == "POST" and not looking_up:
            target = case or self._application(item, form, app_form)
            if target is not None:
                statuses = {m.id: MaterialStatus[form.get(f"m{m.id}", "missing")] for m in item.materials}
                problems = {m.id: form[f"p{m.id}"].strip() for m in item.materials if form.get(f"p{m.id}", "").strip()}
                outcome = form.get("outcome")
                transition = TRANSITIONS.get(outcome or "") if outcome in WORKBENCH else None
                data = {
                    "materials": statuses,
                    "note": form.get("note", ""),
                    "commitment": form.get("commitment", ""),
                    # the engine names a missing or impossible deadline
                    "supply_deadline": _date_or_none(form.get("supply_deadline")),
                    "problems": problems,
                    "general": form.get("general", ""),
                    "override_reason": form.get("override_reason") or None,
                    "reasons": form.get("reasons", ""),
                    "basis": form.get("basis", ""),
                }
                result: list[Case] = []

                def call():
                    if transition is None:
                        raise TransitionError("请选择受理结果")
                    result.append(transition.run(target, _actor(), data))  # the one table of transitions

                if _run(call, str(_l("Done"))):
                    # the files of each material, one transition per material after the outcome:
                    # a refused file is reported on the case page, where it can be added again
                    for m in item.materials:
                        chosen = [int(v) for v in form.getlist(f"reuse{m.id}") if v.isdigit()]
                        if chosen:
                            _run(
                                lambda m=m, chosen=chosen: reuse_material_files(
                                    result[0], _actor(), m.id, chosen, "window"
                                ),
                                str(_l("Files reused")),
                            )
                        uploads = files_web.uploads_from(request.files, f"files{m.id}")
                        if uploads:
                            _run(
                                lambda m=m, uploads=uploads: add_material_files(
                                    result[0], _actor(), m.id, uploads, "window"
                                ),
                                str(_l("Files added")),
                            )
                    return redirect(url_for("CaseView.show", pk=result[0].id))
        windows = (
            db.session.query(Window).filter(Window.id.in_(list(_actor().window_ids) or [0])).order_by(Window.code).all()
        )
        serving = [w for w in windows if any(d.id == item.department_id for d in w.departments)]
        preset = form.get("window_id") or (str((serving or windows)[0].id) if windows else "")
        return self.render_template(
            "cases/accept.html",
            item=item,
            case=case,
            form=form,
            windows=windows,
            window_preset=preset,
            app_form=app_form,
            statuses=list(MaterialStatus),
            applicant_types=list(ApplicantType),
            channels=list(Channel),
            title=str(_l("Acceptance")),
            offers=reuse_offers(
                case.applicant_id if case else (form.get("applicant_id") or "").strip(),
                [m.name for m in item.materials],
                exclude_case=case,
            ),
            local_time=local_time,
        )

    @expose("/bundle/<int:bundle_id>", methods=["GET", "POST"])
    @has_access
    @permission_name("new")
    def bundle(self, bundle_id):
        """受理一件事: intake questions, then one form and one materials list for every member."""
        from onewindow.cases import bundle_web
        from onewindow.cases import bundles as bundle_cases
        from onewindow.models.bundles import Bundle

        bundle = db.session.get(Bundle, bundle_id)
        if bundle is None:
            abort(404)
        posted = request.method == "POST"
        form = request.form if posted else request.args
        answers = bundle_web.answers_from(bundle, form)
        plan = forms = None
        if answers is not None:
            try:
                plan = bundle_cases.plan(bundle, answers)
            except TransitionError as exc:
                flash(str(exc), "danger")
        if plan is not None:
            forms = bundle_web.member_forms(plan, request.form if posted else None)
        if posted and plan is not None and forms is not None:
            window = db.session.get(Window, int(form["window_id"])) if (form.get("window_id") or "").isdigit() else None
            app = bundle_web.application_from(bundle, plan, form, forms, window)
            result: list[Case] = []
            statuses = bundle_web.material_statuses(plan, form)
            if _run(
                lambda: result.append(bundle_cases.accept_bundle(app, _actor(), statuses, form.get("note", ""))),
                str(_l("Done")),
            ):
                return redirect(url_for("CaseView.show", pk=result[0].id))
        windows = (
            db.session.query(Window).filter(Window.id.in_(list(_actor().window_ids) or [0])).order_by(Window.code).all()
        )
        return self.render_template(
            "cases/accept_bundle.html",
            bundle=bundle,
            plan=plan,
            member_forms=forms or {},
            form=form,
            windows=windows,
            statuses=list(MaterialStatus),
            applicant_types=list(ApplicantType),
            title=str(_l("Accept a bundle")),
        )

    @expose("/bundle-case/<number>", methods=["GET", "POST"])
    @has_access
    @permission_name("existing")
    def bundle_correction(self, number):
        """The applicant answers the bundle's one correction notice: the merged list checked once more."""
        from onewindow.cases import bundle_web
        from onewindow.cases import bundles as bundle_cases

        case = _case_or_404(number)
        if not case.is_bundle:
            abort(404)
        plan = bundle_cases.plan(case.bundle, (case.data or {}).get("answers") or {})
        if request.method == "POST":
            statuses = bundle_web.material_statuses(plan, request.form)
            if _run(
                lambda: bundle_cases.accept_bundle_correction(case, _actor(), statuses, request.form.get("note", "")),
                str(_l("Done")),
            ):
                return redirect(url_for("CaseView.show", pk=case.id))
        return self.render_template(
            "cases/accept_bundle.html",
            bundle=case.bundle,
            plan=plan,
            case=case,
            member_forms={},
            form=request.form,
            windows=[],
            statuses=list(MaterialStatus),
            applicant_types=list(ApplicantType),
            title=str(_l("Accept a bundle")),
        )

    def _application(self, item: Item, form, app_form: Form | None) -> engine.Application | None:
        try:
            if app_form is not None:
                data = form_data(app_form)
            else:
                data = {f.name: form.get(f"f_{f.name}", "") for f in item.fields}
            window = db.session.get(Window, int(form["window_id"])) if form.get("window_id") else None
            if window is None and form.get("channel", "window") == "window":
                flash(str(_l("Choose the acceptance window")), "danger")
                return None
            return engine.Application(
                item=item,
                applicant_type=ApplicantType[form.get("applicant_type", "person")],
                applicant_name=form.get("applicant_name", ""),
                applicant_id=form.get("applicant_id", ""),
                channel=Channel[form.get("channel", "window")],
                data=data,
                phone=form.get("phone") or None,
                address=form.get("address") or None,
                window=window,
                window_override=form.get("window_override", ""),
            )
        except (KeyError, ValueError) as exc:
            flash(f"表单数据有误：{exc}", "danger")
            return None


class InboxView(BaseView):
    """部门待办: the active steps of the user's department, and its approved cases to hand out."""

    route_base = "/inbox"
    default_view = "index"

    def _dept_filter(self, query, column):
        condition = department_condition(g.user, column)  # the one department rule (security)
        return query if condition is None else query.filter(condition)

    @expose("/")
    @has_access
    def index(self):
        # Up to 500 rows: only the columns a row shows, in one query (no case, item and
        # step objects: building them was two thirds of the page's time).
        steps, more_steps = _queue(
            self._dept_filter(
                db.session.query(
                    CaseStep.due_date,
                    Case.id.label("case_id"),
                    Case.number,
                    Case.applicant_name,
                    Item.name.label("item_name"),
                )
                .join(Case, Case.id == CaseStep.case_id)
                .join(Item, Item.id == Case.item_id)
                .filter(CaseStep.state == StepState.active),
                CaseStep.department_id,
            ).order_by(CaseStep.due_date, CaseStep.id),
            limit=STEP_QUEUE_LIMIT,
        )
        ready, more_ready = _queue(
            self._dept_filter(_cases_with_item().filter(Case.state == CaseState.approved), Case.department_id).order_by(
                Case.id
            )
        )
        pre, more_pre = _queue(
            self._dept_filter(
                _cases_with_item().filter(Case.state.in_([CaseState.submitted, CaseState.suspended])),
                Case.department_id,
            ).order_by(Case.id)
        )
        return self.render_template(
            "cases/inbox.html",
            steps=steps,
            ready=ready,
            pre=pre,
            today=clock.today(),
            acts=_actions_of(_actor()),
            case_url=_case_urls(),
            row_form=_queue_forms(engine.SPECIAL_PROCEDURES, clock.today(), url_for("InboxView.index")),
            more_steps=more_steps,
            more_ready=more_ready,
            more_pre=more_pre,
            limit=QUEUE_LIMIT,
            step_limit=STEP_QUEUE_LIMIT,
            title=str(_l("Department inbox")),
        )


def _licence_states(cases) -> dict[str, Any]:
    """identifier → licence status of the e-licences of ``cases``, in one query."""
    from onewindow.licences.models import Licence

    identifiers = [c.licence_identifier for c in cases if c.licence_identifier]
    if not identifiers:
        return {}
    rows = db.session.query(Licence.identifier, Licence.status).filter(Licence.identifier.in_(identifiers))
    return dict(rows.all())


class OutputView(BaseView):
    """统一出件窗口: check results against the acceptance data, hand out or post them."""

    route_base = "/output"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        # Oldest first, bounded: at 1,000,000 cases a quarter of them may wait here.
        # a bundle's members are handed out with their bundle (its row, one signature)
        waiting, more_waiting = _queue(
            _cases_with_item().filter(Case.state == CaseState.at_output, Case.parent_id.is_(None)).order_by(Case.id)
        )
        posted, more_posted = _queue(db.session.query(Case).filter(Case.state == CaseState.posted).order_by(Case.id))
        return self.render_template(
            "cases/output.html",
            waiting=waiting,
            posted=posted,
            limit=QUEUE_LIMIT,
            seals=_licence_states(waiting),
            case_url=_case_urls(),
            row_form=_queue_forms((), clock.today().isoformat(), url_for("OutputView.index")),
            more_waiting=more_waiting,
            more_posted=more_posted,
            mask=mask_resident_id,
            acts=_actions_of(_actor()),
            title=str(_l("Output window")),
        )
