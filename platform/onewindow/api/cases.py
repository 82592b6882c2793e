"""REST API for cases (办件) under ``/api/v1/cases``: a thin adapter over the engine.

Authentication is Flask-AppBuilder's JWT (``POST /api/v1/security/login``). Two FAB
permissions on the ``CaseApi`` view menu: ``can_read`` (list, detail) and ``can_write``
(create, every transition). Which role may do which transition, for which department
and in which state, is decided by the engine alone (``onewindow.cases.engine``); this
module validates input, scopes what the caller may see (``case_read``), and maps
engine errors to HTTP: invalid input 400, PermissionDenied 403, unknown or
out-of-scope case 404, ConflictError 409, TransitionError / ApplicationInvalid 422.
Every transition has its own path, so each appears in ``/api/v1/_openapi``.
"""

from __future__ import annotations

from typing import Any, Callable

import yaml
from flask import g, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from sqlalchemy.orm import selectinload

from onewindow.api import case_read
from onewindow.api.case_actions import PUBLIC, InputInvalid, create_bundle_case, create_case, load, run_transition
from onewindow.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from onewindow.app import db
from onewindow.cases import files_web
from onewindow.cases import schemas as s
from onewindow.cases.core import Actor
from onewindow.cases.errors import ApplicationInvalid, ConflictError, PermissionDenied
from onewindow.cases.materialfiles import add_material_files
from onewindow.cases.models import Case
from onewindow.cases.persistence import recording_appended
from onewindow.errors import ValidationError

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/CaseError"}}}
_DETAIL = {"application/json": {"schema": {"$ref": "#/components/schemas/CaseDetail"}}}
_CHANGE = {"application/json": {"schema": {"$ref": "#/components/schemas/CaseChange"}}}
#: One instance of each answer's schema: building one (and its nested schemas) per
#: request cost more than dumping with it.
CHANGE, DETAIL, LIST = s.CaseChange(), s.CaseDetail(), s.CaseListOut()


class CaseApi(BaseApi):
    resource_name = "cases"
    openapi_spec_tag = "Cases"
    csrf_exempt = True  # JWT only for writes (see protect() below): no cookie, no CSRF
    responses = {
        **BaseApi.responses,
        "CaseBadRequest": {
            "description": "The body or query does not match the schema; problems name each field",
            "content": _ERROR,
        },
        "CaseNotFound": {"description": "No such case, or not in your scope", "content": _ERROR},
        "CaseForbidden": {"description": "Your role or department may not do this", "content": _ERROR},
        "CaseConflict": {"description": "Someone changed the case first; reload and retry", "content": _ERROR},
        "CaseUnprocessable": {
            "description": "Not allowed in this state or with this input; problems list what to fix",
            "content": _ERROR,
        },
    }
    openapi_spec_component_schemas = (
        s.CaseError,
        s.CaseSummary,
        s.CaseDetail,
        s.CaseChange,
        s.CaseListOut,
        s.ApplicantInput,
        s.CaseCreateInput,
        s.BundleCreateInput,
        *{t.schema for t in PUBLIC.values()},
    )

    # --- adapters ---------------------------------------------------------------

    @staticmethod
    def _actor() -> Actor:
        return Actor.of(g.user)

    def _error(self, code: int, message: str, problems=()) -> object:
        return self.response(code, message=message, problems=[{"field": f or None, "message": m} for f, m in problems])

    def _engine_call(self, call: Callable[[], object], success: Callable[[object], object]):
        """Run one engine call; turn its errors into the documented HTTP answers."""
        try:
            result = call()
        except InputInvalid as exc:
            db.session.rollback()
            return self._error(400, str(exc), exc.problems)
        except ApplicationInvalid as exc:
            db.session.rollback()
            return self._error(422, str(exc), exc.problems)
        except PermissionDenied as exc:
            db.session.rollback()
            return self._error(403, str(exc))
        except ConflictError as exc:
            db.session.rollback()
            return self._error(409, str(exc))
        except ValidationError as exc:  # TransitionError and other refused input
            db.session.rollback()
            return self._error(422, str(exc), [(None, str(exc))])
        return success(result)

    def _not_found(self, number: str):
        return self._error(404, f"办件 {number} 不存在或不在您的办理范围内")

    def _detail(self, case, code: int = 200):
        return self.response(code, **DETAIL.dump(case_read.detail(case, g.user)))

    def _changing(self, number: str, call: Callable[[Case, Actor], object]):
        """Run ``call(case, actor)`` on a visible case; answer ``CaseChange``.

        The case is read with what the answer shows (``FAMILY``), which the commit keeps
        loaded, and the rows the transition appends are recorded: the answer is built
        without reading the case again."""
        case = case_read.visible_case(number, g.user, *case_read.FAMILY)
        if case is None:
            return self._not_found(number)
        actor = self._actor()
        # Decided before the commit, which expires the signed-in user's row.
        full, since = case_read.sees_full_id(case, case_read.Viewer.of(g.user)), case.chain_seq
        with recording_appended() as appended:
            return self._engine_call(
                lambda: call(case, actor),
                lambda changed: self.response(200, **CHANGE.dump(case_read.change(changed, full, since, appended))),
            )

    def _transition(self, number: str, name: str):
        body = request.get_json(silent=True)
        if body is None and not request.get_data():
            body = {}
        return self._changing(number, lambda case, actor: run_transition(case, name, actor, body))

    # --- endpoints --------------------------------------------------------------

    @expose("/", methods=["GET"])
    @protect(allow_browser_login=True)
    @safe
    @permission_name("read")
    def get_list(self):
        """List the cases you may see, newest first.
        ---
        get:
          summary: List cases (办件列表)
          description: >-
            Acceptors, output clerks, admins and supervisors see every case; department
            staff see the cases of their department (lead or any step). Resident ID
            numbers are masked. Counting stops at 10,000 matching cases: then `count`
            is 10,000 and `count_exact` is false ("more than 10,000").
          parameters:
          - {in: query, name: state, schema: {type: string}, description: case state name, e.g. in_review}
          - {in: query, name: item_code, schema: {type: string}, description: implementation code of the item}
          - {in: query, name: due_before, schema: {type: string, format: date}, description: due on or before}
          - {in: query, name: department, schema: {type: string}, description: credit code of a department involved}
          - {in: query, name: page, schema: {type: integer, minimum: 1, default: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
          responses:
            200:
              description: One page of cases
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/CaseListOut'}
            400: {$ref: '#/components/responses/CaseBadRequest'}
            401: {$ref: '#/components/responses/401'}
        """
        try:
            args = load(s.CaseListArgs, request.args.to_dict())
        except InputInvalid as exc:
            return self._error(400, str(exc), exc.problems)
        total, exact, rows = case_read.list_cases(g.user, **args)
        return self.response(
            200,
            **LIST.dump(
                {
                    "count": total,
                    "count_exact": exact,
                    "page": args["page"],
                    "page_size": args["page_size"],
                    "result": [case_read.summary(case) for case in rows],
                }
            ),
        )

    @expose("/<number>", methods=["GET"])
    @protect(allow_browser_login=True)
    @safe
    @permission_name("read")
    def get_case(self, number: str):
        """One case with its materials, steps, timeline and notices.
        ---
        get:
          summary: Show a case (办件详情)
          description: >-
            404 when the case does not exist or is outside your scope. The applicant's full
            resident ID only for acceptors, output clerks, admins and the case's departments.
          parameters:
          - {in: path, name: number, required: true, schema: {type: string}, description: 43-character case number}
          responses:
            200:
              description: The case
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/CaseDetail'}
            401: {$ref: '#/components/responses/401'}
            404: {$ref: '#/components/responses/CaseNotFound'}
        """
        case = case_read.visible_case(number, g.user, *case_read.FAMILY, selectinload(Case.events))
        if case is None:
            return self._not_found(number)
        return self._detail(case)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("write")
    def post(self):
        """Receive an application and record the window's outcome at once.
        ---
        post:
          summary: Create a case (受理 / 容缺受理 / 补齐补正 / 不予受理 / 网上申请)
          description: >-
            outcome accept, accept_deferred, request_correction or reject at the window
            (roles acceptor, chief_rep), or submit for online, postal and terminal
            applications awaiting pre-review. Send an Idempotency-Key header to retry safely.
          parameters:
          - {in: header, name: Idempotency-Key, required: false, schema: {type: string, maxLength: 255},
             description: "a repeat with the same key answers the first result and creates nothing"}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CaseCreateInput'}
          responses:
            201:
              description: The new case
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/CaseDetail'}
            400: {$ref: '#/components/responses/CaseBadRequest'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/CaseForbidden'}
            422: {$ref: '#/components/responses/CaseUnprocessable'}
        """
        return self._create(create_case)

    def _create(self, make: Callable[[Any, Actor], Case]):
        """A new case from the request body through ``make(body, actor)``: 201 and the case."""
        actor = self._actor()
        body = request.get_json(silent=True)
        viewer = case_read.Viewer.of(g.user)  # taken before the commit expires the user's row

        def answer(case):
            return self.response(201, **DETAIL.dump(case_read.detail(case, viewer)))

        return idempotent(lambda: self._engine_call(lambda: make(body, actor), answer), answer)

    @expose("/bundles", methods=["POST"])
    @protect()
    @safe
    @permission_name("write")
    def post_bundle(self):
        """Accept a bundle (一件事): one parent case and a child case per applicable member.
        ---
        post:
          summary: Accept a bundle (受理一件事)
          description: >-
            Engine call cases.bundles.accept_bundle (roles acceptor, chief_rep): the intake
            answers decide the members; the merged form is copied to each member, a material
            given once counts for every member that needs it. Everything present: one
            acceptance notice listing every member; anything missing: one correction notice
            for all members. All in one transaction. Send an Idempotency-Key header to retry safely.
          parameters:
          - {in: header, name: Idempotency-Key, required: false, schema: {type: string, maxLength: 255},
             description: "a repeat with the same key answers the first result and creates nothing"}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/BundleCreateInput'}
          responses:
            201:
              description: The parent case
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/CaseDetail'}
            400: {$ref: '#/components/responses/CaseBadRequest'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/CaseForbidden'}
            422: {$ref: '#/components/responses/CaseUnprocessable'}
        """
        return self._create(create_bundle_case)


def _files_endpoint(self, number: str, material_id: int):
    """Add files to one material of a case (multipart)
    ---
    post:
      summary: Add files to one material of a case (multipart)
      description: >-
        Engine transition add_material_files (电子材料), the one the workbench and the case
        page use: each file is checked (type by content, size, empty, encrypted or broken PDF,
        name, count, plugins) and all are stored, or none. The event carries each file's SHA-256.
      parameters:
        - {in: path, name: number, required: true, schema: {type: string}, description: 43-character case number}
        - {in: path, name: material_id, required: true, schema: {type: integer}, description: the item material's id}
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              properties:
                files: {type: array, items: {type: string, format: binary}}
              required: [files]
      responses:
        200:
          description: The case after the transition
          content: {application/json: {schema: {$ref: "#/components/schemas/CaseChange"}}}
        400: {$ref: "#/components/responses/CaseBadRequest"}
        401: {$ref: "#/components/responses/401"}
        403: {$ref: "#/components/responses/CaseForbidden"}
        404: {$ref: "#/components/responses/CaseNotFound"}
        409: {$ref: "#/components/responses/CaseConflict"}
        422: {$ref: "#/components/responses/CaseUnprocessable"}
    """
    uploads = files_web.uploads_from(request.files, "files")

    def call(case, actor):
        add_material_files(case, actor, material_id, uploads, "api")
        return case

    return self._changing(number, call)


_files_endpoint.__name__ = _files_endpoint.__qualname__ = "add_files"
CaseApi.add_files = expose("/<number>/materials/<int:material_id>/files", methods=["POST"])(  # type: ignore[attr-defined]
    protect()(safe(permission_name("write")(_files_endpoint)))
)


def _transition_doc(name: str) -> str:
    t = PUBLIC[name]
    spec = {
        "post": {
            "summary": t.summary,
            "description": f"Engine transition {name}. Allowed for: {t.roles}. The engine checks role, "
            "department and state; the answer is the case after the transition (CaseChange: "
            "its fields, materials, steps, notices and the events this transition appended).",
            "parameters": [
                {
                    "in": "path",
                    "name": "number",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "43-character case number",
                },
                IDEMPOTENCY_PARAMETER,
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{t.schema.__name__}"}}},
            },
            "responses": {
                200: {
                    "description": "The case after the transition, with the events it appended "
                    "(the whole timeline: GET the case)",
                    "content": _CHANGE,
                },
                400: {"$ref": "#/components/responses/CaseBadRequest"},
                401: {"$ref": "#/components/responses/401"},
                403: {"$ref": "#/components/responses/CaseForbidden"},
                404: {"$ref": "#/components/responses/CaseNotFound"},
                409: {"$ref": "#/components/responses/CaseConflict"},
                422: {"$ref": "#/components/responses/CaseUnprocessable"},
            },
        }
    }
    return f"{t.summary}\n---\n" + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)


def _transition_endpoint(name: str):
    def endpoint(self, number: str):
        return idempotent(lambda: self._transition(number, name), self._detail)

    endpoint.__name__ = endpoint.__qualname__ = f"transition_{name}"
    endpoint.__doc__ = _transition_doc(name)
    return expose(f"/<number>/{name}", methods=["POST"])(protect()(safe(permission_name("write")(endpoint))))


for _name in PUBLIC:  # one path per transition, each documented in /api/v1/_openapi
    setattr(CaseApi, f"transition_{_name}", _transition_endpoint(_name))
