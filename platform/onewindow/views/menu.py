"""The navigation menu, drawn once per set of grants and language instead of per request.

Flask-AppBuilder draws the menu on every screen, and checks each entry with
``has_access("menu_access", entry)``: 55–77 checks and ``url_for`` calls per page. What it
draws depends only on the signed-in user's grants (``permcache.request_user_pairs``), the
language and the script root, so ``appbuilder/navbar_menu.html`` (overridden here) asks
:func:`menu_html`, which renders FAB's own template (``onewindow/navbar_menu.html``, a
copy of it) once per such key and keeps the HTML (at most :data:`LIMIT` keys per
application). A grant change gives new pairs (the grant version, migration 0021), so a new
key. Drawn every time, as FAB does, when the pairs are not known (no session user, a
JWT, a built-in role) or when a menu entry has a condition (``cond``) of its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

TEMPLATE = "onewindow/navbar_menu.html"
#: keys kept per process (sets of grants × languages): beyond it the oldest goes
LIMIT = 64

_EXTENSION = "onewindow_menu"


class DrawnMenus:
    """The HTML drawn per key, for one application."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.html: OrderedDict[tuple, Markup] = OrderedDict()


def _entries(items) -> Any:
    for item in items:
        yield item
        yield from _entries(item.childs or [])


def menu_html(menu) -> Markup:
    """The menu's HTML for this request (see the module docstring)."""
    pairs = current_app.extensions["appbuilder"].sm.request_user_pairs()
    if pairs is None or any(item.cond is not None for item in _entries(menu.get_list())):
        return Markup(render_template(TEMPLATE, menu=menu))
    drawn: DrawnMenus = current_app.extensions[_EXTENSION]
    key = (pairs, str(get_locale()), request.script_root)
    with drawn.lock:
        html = drawn.html.get(key)
        if html is not None:
            drawn.html.move_to_end(key)
            return html
    html = Markup(render_template(TEMPLATE, menu=menu))
    with drawn.lock:
        drawn.html[key] = html
        while len(drawn.html) > LIMIT:
            drawn.html.popitem(last=False)
    return html


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = DrawnMenus()
    app.jinja_env.globals["ow_menu"] = menu_html
