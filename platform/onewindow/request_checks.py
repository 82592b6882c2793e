"""Bad input is answered 400 (or 404), never 500: one check before every request.

Flask-AppBuilder's list screens read ``page_<View>``, ``psize_<View>``, ``_oc_<View>`` /
``_od_<View>`` and ``_flt_<n>_<column>`` from the query string and pass them, unchecked,
to ``int()`` and to SQL (a non-numeric page, a page beyond SQLite's integers or an unknown
sort column was a 500). :func:`check_request` validates them once, for every screen, and
also the REST side (a JSON body that is not an object, a ``q`` page out of range) and
path ids too large for any database integer (404: no such row). A refused parameter
answers 400 naming it and the allowed values: a Chinese page for screens, the REST API's
``{"message", "problems": [{"field", "message"}]}`` for ``/api/``. ``docs/api-errors.md``
documents the answers.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import prison
from flask import Flask, abort, current_app, jsonify, render_template, request
from flask_babel import gettext
from flask_login import current_user
from marshmallow import ValidationError as SchemaError
from werkzeug.exceptions import BadRequest, HTTPException

#: FAB pages are 0-based; 100,000 pages of 100 rows is more than any list here holds,
#: and keeps ``page * page_size`` far inside every database's integers.
MAX_PAGE = 100_000
#: The page sizes FAB's list offers are 25–100.
MAX_PAGE_SIZE = 100
#: The largest id an ``Integer`` column holds on every database: PostgreSQL's INTEGER is
#: 32-bit (SQLite's is 64-bit), and every key and whole-number column here is ``Integer``.
MAX_DB_INT = 2**31 - 1

_LIST_ARG = re.compile(r"^(page|psize|_oc|_od)_(.+)$")
_FILTER_ARG = re.compile(r"^_flt_(\d+)_(.+)$")
_JSON_METHODS = {"POST", "PUT", "PATCH"}


class BadParameter(Exception):
    """A query parameter or body is refused; ``field`` names it, ``message`` says how to fix it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def init_app(app: Flask) -> None:
    """Register the check and the handlers that turn refused input into 400 answers."""
    app.before_request(check_request)
    app.after_request(api_error_shape)
    app.register_error_handler(BadParameter, _bad_parameter)
    app.register_error_handler(SchemaError, _schema_error)
    app.register_error_handler(BadRequest, _bad_request)
    app.register_error_handler(HTTPException, _http_error)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def check_request() -> None:
    """Validate path ids, FAB list arguments and API bodies of the current request."""
    _check_path_ids()
    _check_fab_paths()
    if is_api_request():
        _check_api()
    elif _signed_in():
        # Anonymous requests of protected screens go to the login page before FAB reads
        # any argument; checking first would tell strangers the sortable columns.
        _check_list_args()


def _signed_in() -> bool:
    return bool(getattr(current_user, "is_authenticated", False))


# --- path ids ----------------------------------------------------------------


def _check_path_ids() -> None:
    # Only ids: <int:…> arguments and FAB's <pk>; a case number is all digits too.
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif name == "pk" and isinstance(value, str) and value.isdigit():
            number = int(value)
        else:
            continue
        if number > MAX_DB_INT:
            abort(404)  # no row can have this id


def _check_fab_paths() -> None:
    """FAB routes that read a path argument unchecked: 404 for what cannot exist."""
    endpoint = request.endpoint or ""
    args = request.view_args or {}
    if endpoint.endswith(".download") and set(args) == {"filename"}:
        # File columns only: no model here has one, and without UPLOAD_FOLDER FAB's
        # download is a KeyError; a missing file a FileNotFoundError.
        folder = current_app.config.get("UPLOAD_FOLDER")
        if not folder or not (Path(folder) / str(args.get("filename", ""))).is_file():
            abort(404)
    elif endpoint.endswith(".chart") and "group_by" in args:
        view = _endpoint_view()
        definitions = getattr(view, "definitions", None)
        value = str(args["group_by"])
        if isinstance(definitions, list) and not (value.isdigit() and int(value) < len(definitions)):
            abort(404)


# --- FAB list screens --------------------------------------------------------


def _views_by_name() -> dict[str, object]:
    appbuilder = current_app.extensions["appbuilder"]
    return {type(view).__name__: view for view in appbuilder.baseviews}


def _check_list_args() -> None:
    args = request.args
    views = None
    for name in args:
        match = _LIST_ARG.match(name)
        if match:
            kind, view_name = match.groups()
            if views is None:
                views = _views_by_name()
            _check_list_arg(kind, name, args.get(name, ""), views.get(view_name))
            continue
        match = _FILTER_ARG.match(name)
        if match:
            view = _endpoint_view()
            if view is not None:
                _check_filter(view, name, int(match.group(1)), match.group(2), args.getlist(name))


def _endpoint_view():
    endpoint = request.endpoint or ""
    if "." not in endpoint:
        return None
    return _views_by_name().get(endpoint.split(".", 1)[0])


def _check_list_arg(kind: str, name: str, value: str, view) -> None:
    if kind == "page":
        _whole_number(name, value, 0, MAX_PAGE)
    elif kind == "psize":
        _whole_number(name, value, 1, MAX_PAGE_SIZE)
    elif kind == "_od":
        if value not in ("asc", "desc"):
            raise BadParameter(
                name,
                gettext(
                    "Parameter %(name)s is the sort direction: asc or desc; got \u201c%(value)s\u201d",
                    name=name,
                    value=value,
                ),
            )
    elif kind == "_oc":
        allowed = list(getattr(view, "order_columns", None) or [])
        if value not in allowed:
            raise BadParameter(
                name,
                gettext(
                    "Parameter %(name)s: \u201c%(value)s\u201d is not a sortable column; sortable columns: %(allowed)s",
                    name=name,
                    value=value,
                    allowed=", ".join(allowed) or gettext("none"),
                ),
            )


def _whole_number(name: str, value: str, low: int, high: int) -> int:
    text = (value or "").strip()
    if not (text.isdigit() and low <= int(text) <= high):
        raise BadParameter(
            name,
            gettext(
                "Parameter %(name)s must be a whole number from %(low)s to %(high)s; got \u201c%(value)s\u201d",
                name=name,
                low=low,
                high=high,
                value=value,
            ),
        )
    return int(text)


def _check_filter(view, name: str, index: int, column: str, values: list[str]) -> None:
    datamodel = getattr(view, "datamodel", None)
    search_columns = getattr(view, "search_columns", None)
    if datamodel is None or not search_columns or column not in search_columns:
        return  # FAB ignores filters on columns that are not searchable
    kinds = datamodel.get_filters(search_columns).get_search_filters().get(column) or []
    if index >= len(kinds):
        raise BadParameter(
            name,
            gettext(
                "Parameter %(name)s: filter number %(index)s does not exist for column %(column)s; use 0 to %(last)s",
                name=name,
                index=index,
                column=column,
                last=max(len(kinds) - 1, 0),
            ),
        )
    for value in values:
        _check_filter_value(datamodel, name, column, value)


def _check_filter_value(datamodel, name: str, column: str, value: str) -> None:
    if value == "":
        return
    if datamodel.is_enum(column):
        enum_type = datamodel.list_columns[column].type
        allowed = [str(v) for v in getattr(enum_type, "enums", [])]
        if value not in allowed:
            raise BadParameter(
                name,
                gettext(
                    "Parameter %(name)s: \u201c%(value)s\u201d is not a value of %(column)s; allowed: %(allowed)s",
                    name=name,
                    value=value,
                    column=column,
                    allowed=", ".join(allowed),
                ),
            )
    elif datamodel.is_integer(column):
        text = value.strip().lstrip("-")
        if not (text.isdigit() and int(text) <= MAX_DB_INT):
            raise BadParameter(
                name,
                gettext(
                    "Parameter %(name)s: %(column)s is a whole number; got \u201c%(value)s\u201d",
                    name=name,
                    column=column,
                    value=value,
                ),
            )
    elif datamodel.is_date(column) or datamodel.is_datetime(column):
        try:
            dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadParameter(
                name,
                gettext(
                    "Parameter %(name)s: %(column)s is a date like 2026-12-01; got \u201c%(value)s\u201d",
                    name=name,
                    column=column,
                    value=value,
                ),
            ) from None


# --- REST API ----------------------------------------------------------------


def _check_api() -> None:
    if request.method in _JSON_METHODS and request.is_json and request.get_data():
        body = request.get_json(silent=True)
        if body is None and request.get_data().strip() != b"null":
            raise BadParameter("body", gettext("The request body is not valid JSON; send a JSON object"))
        if not isinstance(body, dict):
            raise BadParameter(
                "body",
                gettext("The request body must be a JSON object ({\u2026}), not %(kind)s", kind=_json_kind(body)),
            )
    raw = request.args.get("q")
    if raw:
        try:
            query = prison.loads(raw)
        except Exception:  # prison raises bare ValueError/IndexError on malformed rison
            return  # FAB refuses malformed rison itself (400)
        page = query.get("page") if isinstance(query, dict) else None
        if isinstance(page, int) and not isinstance(page, bool):
            _whole_number("q.page", str(page), 0, MAX_PAGE)  # FAB caps page_size itself


def _json_kind(body) -> str:
    if isinstance(body, list):
        return gettext("an array")
    if isinstance(body, str):
        return gettext("a string")
    return gettext("a number, true, false or null")


# --- answers -----------------------------------------------------------------


def error_response(status: int, message: str, problems: list[dict] | None = None):
    """The REST API's error shape (README, "Errors")."""
    response = jsonify(message=message, problems=problems if problems is not None else [])
    response.status_code = status
    return response


def api_error_shape(response):
    """Give FAB's own API errors (``{"message": "…"}`` or ``{"message": {field: [...]}}``)
    the documented shape: a ``message`` string and a ``problems`` list."""
    if response.status_code < 400 or not is_api_request() or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or "message" not in body or "problems" in body:
        return response
    message = body["message"]
    problems = []
    if isinstance(message, (dict, list)):
        problems = [{"field": field, "message": text} for field, text in _flatten(message)]
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    response.set_data(jsonify(message=str(message), problems=problems).get_data())
    return response


def _bad_parameter(exc: BadParameter):
    if is_api_request():
        return error_response(400, exc.message, [{"field": exc.field, "message": exc.message}])
    appbuilder = current_app.extensions["appbuilder"]
    return render_template(
        "onewindow/bad_request.html",
        appbuilder=appbuilder,
        base_template=appbuilder.base_template,
        message=exc.message,
        field=exc.field,
        title=gettext("Bad request"),
    ), 400


def _schema_error(exc: SchemaError):
    problems = [{"field": field, "message": message} for field, message in _flatten(exc.messages)]
    message = gettext(
        "The request does not match the schema: %(details)s",
        details="; ".join(f"{p['field']}: {p['message']}" for p in problems),
    )
    if is_api_request():
        return error_response(400, message, problems)
    return _bad_parameter(BadParameter(problems[0]["field"] if problems else "", message))


def _bad_request(exc: BadRequest):
    if is_api_request():
        return error_response(400, gettext("Bad request: %(reason)s", reason=exc.description or exc.name))
    return exc


def _http_error(exc: HTTPException):
    # Routing redirects (308 to the slashed URL) are HTTPExceptions too: pass them on.
    if exc.code is None or exc.code < 400:
        return exc
    if not is_api_request():
        from onewindow.display import error_page

        return error_page(exc)
    messages = {
        404: gettext("No such record or address"),
        405: gettext("This address does not accept the %(method)s method", method=request.method),
    }
    return error_response(exc.code, messages.get(exc.code) or exc.description or exc.name)


def _flatten(messages, prefix: str = ""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            yield from _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            yield from _flatten(value, prefix)
    else:
        yield prefix or "body", str(messages)
