"""办事指南: the public home, browsing, search (name, code, keyword, pinyin initials), item pages.

The search runs over an in-process index of the current items, rebuilt only when the
catalogue changes (a two-number fingerprint query per request), so 10,000 items are not
re-read or re-spelt in pinyin on every search.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from onewindow import Department, Item, ItemStatus, Window, Zone, db
from onewindow_hall.profiles import AUDIENCES, initials, spelling
from onewindow_hall.public import bp
from onewindow_hall.tables import ItemProfile

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 30
MAX_QUERY = 60


@bp.app_context_processor
def hall_links() -> dict[str, Any]:
    from onewindow_hall.accounts import current_citizen

    return {
        # callables: every template of the app gets them, PDFs rendered outside a request too
        "hall_login_url": lambda: current_app.appbuilder.get_url_for_login,
        "hall_citizen_signed_in": lambda: current_citizen() is not None,
    }


@bp.app_template_filter("hall_local")
def hall_local(value: Any) -> str:
    """A timestamp as Beijing time: aware ones (UTC columns) converted, naive ones already local."""
    if value is None:
        return ""
    if getattr(value, "tzinfo", None) is not None:
        value = value.astimezone(SHANGHAI)
    return value.strftime("%Y-%m-%d %H:%M")


def audience_labels() -> dict[str, str]:
    return {"person": _("Individuals (个人)"), "legal_person": _("Companies and organisations (法人)")}


@dataclass(frozen=True)
class Entry:
    """What the search and the lists need of one current item."""

    item_id: int
    code: str  # implementation code
    basic_code: str
    name: str
    department_id: int
    department: str
    audiences: tuple[str, ...]
    themes: tuple[str, ...]
    keywords: tuple[str, ...]
    initials: str
    spelling: str
    visits_required: int
    online_depth: int

    def matches(self, query: str) -> bool:
        if query.isascii() and query.isalpha():
            word = query.lower()
            return word in self.initials or word in self.spelling
        if query.isdigit():
            return self.basic_code.startswith(query) or self.code.startswith(query) or query in self.code
        return query in self.name or any(query in k for k in self.keywords) or query in self.code


@dataclass
class GuideIndex:
    fingerprint: tuple[Any, ...] = ()
    entries: list[Entry] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)
    departments: list[tuple[int, str, int]] = field(default_factory=list)


_lock = threading.Lock()


def _db():
    return db.session


def _current():
    return (Item.is_current.is_(True), Item.status == ItemStatus.active)


def _fingerprint() -> tuple[Any, ...]:
    items = _db().execute(select(func.count(Item.id), func.max(Item.id)).where(*_current())).one()
    profiles = _db().execute(select(func.count(ItemProfile.id), func.max(ItemProfile.id))).one()
    return (*items, *profiles)


def _build(fingerprint: tuple[Any, ...]) -> GuideIndex:
    session = _db()
    profiles = {(p.pack_key, p.basic_code): p for p in session.execute(select(ItemProfile)).scalars()}
    rows = session.execute(
        select(
            Item.id,
            Item.implementation_code,
            Item.basic_code,
            Item.name,
            Item.pack_key,
            Item.department_id,
            Department.name,
            Item.visits_required,
            Item.online_depth,
        )
        .join(Department, Department.id == Item.department_id)
        .where(*_current())
        .order_by(Item.basic_code, Item.id)
    ).all()
    entries = []
    for item_id, code, basic, name, pack_key, dept_id, dept, visits, depth in rows:
        profile = profiles.get((pack_key, basic))
        entries.append(
            Entry(
                item_id=item_id,
                code=code,
                basic_code=basic,
                name=name,
                department_id=dept_id,
                department=dept,
                audiences=tuple(profile.audiences) if profile else AUDIENCES,
                themes=tuple(profile.themes) if profile else (),
                keywords=tuple(profile.keywords) if profile else (),
                # Items added on the catalogue screens have no profile yet: spell them once here.
                initials=profile.initials if profile else initials(name),
                spelling=profile.spelling if profile else spelling(name),
                visits_required=visits,
                online_depth=depth,
            )
        )
    themes: dict[str, int] = {}
    departments: dict[int, list[Any]] = {}
    for e in entries:
        for t in e.themes:
            themes[t] = themes.get(t, 0) + 1
        departments.setdefault(e.department_id, [e.department_id, e.department, 0])[2] += 1
    return GuideIndex(
        fingerprint=fingerprint,
        entries=entries,
        themes=list(themes.items()),
        departments=sorted((tuple(d) for d in departments.values()), key=lambda d: d[1]),  # type: ignore[misc]
    )


def guide_index() -> GuideIndex:
    """The index of the current catalogue, rebuilt when an item or a profile changed."""
    fingerprint = _fingerprint()
    state = current_app.extensions.setdefault("hall_guide_index", GuideIndex())
    if state.fingerprint != fingerprint:
        with _lock:
            state = current_app.extensions["hall_guide_index"]
            if state.fingerprint != fingerprint:
                state = current_app.extensions["hall_guide_index"] = _build(fingerprint)
    return state


def search(query: str = "", audience: str = "", theme: str = "", department_id: int | None = None) -> list[Entry]:
    """Current items matching every criterion given (name, code, keyword or pinyin; filters)."""
    query = re.sub(r"\s+", "", query or "")[:MAX_QUERY]
    found = []
    for entry in guide_index().entries:
        if audience and audience not in entry.audiences:
            continue
        if theme and theme not in entry.themes:
            continue
        if department_id and entry.department_id != department_id:
            continue
        if query and not entry.matches(query):
            continue
        found.append(entry)
    return found


def home():
    """The public home (the ``public_home`` hook answers ``/`` with it)."""
    index = guide_index()
    from onewindow_hall.bundles import AUDIENCE, current_bundles

    return render_template(
        "hall/home.html",
        bundles=current_bundles(),
        bundle_audience=AUDIENCE,
        audiences=audience_labels(),
        counts={a: sum(1 for e in index.entries if a in e.audiences) for a in AUDIENCES},
        themes=index.themes,
        departments=index.departments,
        total=len(index.entries),
    )


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        message = _("%(name)s must be a whole number, e.g. the department links on the home page.", name=name)
        abort(400, description=message)
    return int(raw)


@bp.get("/items")
def items_page():
    query = request.args.get("q", "").strip()
    audience = request.args.get("audience", "").strip()
    if audience and audience not in AUDIENCES:
        abort(400, description=_("audience must be person (个人) or legal_person (法人)."))
    theme = request.args.get("theme", "").strip()
    department_id = _int_arg("department")
    page = max(_int_arg("page") or 1, 1)
    found = search(query, audience, theme, department_id)
    department = next((d[1] for d in guide_index().departments if d[0] == department_id), None)
    from onewindow_hall.bundles import current_bundles

    return render_template(
        "hall/items.html",
        # the bundles (一件事) of the audience browsed, next to its items (the first page, no search)
        bundles=current_bundles(audience) if audience and not query and page == 1 else [],
        query=query,
        audience=audience,
        theme=theme,
        department_id=department_id,
        department=department,
        audiences=audience_labels(),
        entries=found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(found),
        page=page,
        pages=max((len(found) + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    )


def forms_of(item: Item) -> dict[str, list[Any]]:
    from onewindow_hall.forms import forms_of as of_item

    return of_item(item)


def find_item(code: str) -> Item | None:
    """The current version of the item with this implementation code (or basic code)."""
    code = (code or "").strip()
    if not code or len(code) > 31 or not code.isalnum():
        return None
    loading = (
        selectinload(Item.materials),
        selectinload(Item.fields),
        selectinload(Item.faqs),
        selectinload(Item.windows).selectinload(Window.zone),
        selectinload(Item.zone).selectinload(Zone.centre),
    )
    for column in (Item.implementation_code, Item.basic_code):
        item = (
            _db()
            .execute(select(Item).options(*loading).where(column == code, *_current()).order_by(Item.id).limit(1))
            .scalars()
            .first()
        )
        if item is not None:
            return item
    return None


def profile_of(item: Item) -> ItemProfile | None:
    return (
        _db()
        .execute(
            select(ItemProfile).where(ItemProfile.pack_key == item.pack_key, ItemProfile.basic_code == item.basic_code)
        )
        .scalars()
        .first()
    )


@bp.get("/items/<code>")
def item_page(code: str):
    item = find_item(code)
    if item is None:
        message = _("No item in force has the code %(code)s. Search the guides by name instead.", code=code)
        abort(404, description=message)
    profile = profile_of(item)
    centre = item.zone.centre if item.zone is not None else None
    return render_template(
        "hall/item.html",
        item=item,
        audiences=[audience_labels()[a] for a in (profile.audiences if profile else AUDIENCES)],
        themes=profile.themes if profile else [],
        forms=forms_of(item),
        centre=centre,
        apply_url=url_for("hall.apply_page", code=item.implementation_code)
        if "hall.apply_page" in current_app.view_functions
        else None,
    )


@bp.get("/verify")
def verify_redirect():
    """The home page's licence check box: on to the public verification page."""
    identifier = request.args.get("identifier", "").strip()
    if not identifier:
        return redirect(url_for("hall.items_page"))
    return redirect(url_for("licences_public.verify_page", identifier=identifier))
