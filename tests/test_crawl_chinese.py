"""Every screen a demo role can reach is Chinese, shows no raw values, never answers 5xx.

The crawl logs in as each demo role, opens every menu entry of the rendered navbar and,
from each list, the pages behind its first row (show, edit, the case page). It reads the
visible text only (scripts, styles and attributes dropped, except what a user reads:
``title``, ``placeholder`` and button values) and flags English words, raw booleans and
enum keys, and timestamps with microseconds or a UTC marker.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from onewindow.app import db
from onewindow.cases.clock import travel_to
from onewindow.models.bundles import Bundle
from onewindow.models.items import FormField, Item

ROLES = ["admin", "acceptor", "approver", "chief_rep", "seal_admin", "output_clerk", "supervisor"]

#: ASCII words a Chinese user legitimately reads. Kept short: each is a proper name, a code
#: or a format a Chinese screen uses as is.
ALLOWED_WORDS = {
    "OneWindow",  # the product's name
    "API",
    "JSON",
    "CSV",
    "XLSX",
    "PDF",
    "QR",
    "URL",
    "JWT",
    "SM2",
    "SM3",
    "ISO",
    "GB",  # formats, standards
    "OpenAPI",
    "Swagger",  # the API documentation's proper names
    "HTML",
    "zip",  # file formats offered for download or upload
    "English",  # the language menu names each language in itself
}

#: Pages that list the permission system's own identifiers ("can list on ItemView"): codes.
CODE_PAGES = re.compile(r"^/(roles|permissions|viewmenus|permissionviews)/")

#: The demo users' login names are codes shown in user lists (not UI words).
DEMO_USERNAMES = set(ROLES) | {
    staff["username"]
    for staff in yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "item_packs" / "demo-county" / "organisation.yaml").read_text("utf-8")
    )["staff"]
}

#: Pages never opened by the crawl: they end the session or change state on GET.
SKIP = re.compile(r"/logout|/lang/|/download|/delete/|\.(pdf|xlsx|csv|png|zip)$|/api/|/swagger")

ROW_LINK = re.compile(r"/(show|edit)/[^/?#]+$|^/cases/[^/?#]+$|/case/[^/?#]+$")

RAW_VALUES = re.compile(r"(?<![\w])(True|False|None)(?![\w])")
ENUM_KEY = re.compile(r"(?<![\w.])[a-z]+(?:_[a-z]+)+(?![\w]|\.\w)")  # module paths are codes
WORD = re.compile(r"(?<![\w@./:\"-])[A-Za-z]{3,}(?![\w@/:\"-]|\.\w)")  # not in paths, files, "json keys"
MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d+")
UTC_MARK = re.compile(r"\d{2}:\d{2}(:\d{2})?(\+00:00|Z\b| UTC)")


class _VisibleText(HTMLParser):
    """Visible text and hrefs of a page."""

    SKIP_TAGS = {"script", "style", "noscript", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in self.SKIP_TAGS:
            self._skip += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        for name in ("title", "placeholder"):
            if values.get(name):
                self.chunks.append(values[name])
        if tag in ("button", "input") and values.get("type") in ("submit", "button", "reset") and values.get("value"):
            self.chunks.append(values["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def page_problems(html: str, codes: frozenset[str] = frozenset(), words: bool = True) -> list[str]:
    """What on the page is not Chinese UI text (empty when the page is clean).

    ``codes``: identifiers stored as data (licence type codes, plugin keys, form field keys).
    """
    parser = _VisibleText()
    parser.feed(html)
    problems = []
    for chunk in parser.chunks:
        for match in RAW_VALUES.finditer(chunk):
            problems.append(f"raw value {match.group(0)!r} in {chunk[:80]!r}")
        for match in ENUM_KEY.finditer(chunk) if words else ():
            if match.group(0) not in DEMO_USERNAMES and match.group(0) not in codes:
                problems.append(f"raw key {match.group(0)!r} in {chunk[:80]!r}")
        for match in WORD.finditer(chunk) if words else ():
            word = match.group(0)
            if word.isupper():
                continue  # capitals only: a code (a case's random query code, an acronym), not a UI word
            if word in ALLOWED_WORDS or word in DEMO_USERNAMES or word in codes or word in ("True", "False", "None"):
                continue
            problems.append(f"English {word!r} in {chunk[:80]!r}")
        if MICROSECONDS.search(chunk):
            problems.append(f"timestamp with microseconds in {chunk[:80]!r}")
        if UTC_MARK.search(chunk):
            problems.append(f"timestamp in UTC in {chunk[:80]!r}")
    return problems


def page_links(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.links


def _local(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _menu_links(html: str) -> list[str]:
    """hrefs inside the navbar (the menu a role sees)."""
    nav = re.search(r'<div[^>]*class="[^"]*navbar-collapse[^"]*".*?</nav>', html, re.S)
    links = page_links(nav.group(0) if nav else html)
    return [u for u in (_local(h) for h in links) if u and u != "/"]


def data_codes(app) -> frozenset[str]:
    """Codes the pages show as data: licence types, plugin keys, form field keys, pack actors."""
    from onewindow.licences.models import LicenceType

    with app.app_context():
        codes = {t.code for t in db.session.query(LicenceType)}
        codes |= {r.name for r in db.session.query(app.extensions["appbuilder"].sm.role_model)}  # role keys
        codes |= {name for (name,) in db.session.query(FormField.name)}
        codes |= {f["name"] for t in db.session.query(LicenceType) for f in t.fields or [] if "name" in f}
        codes |= {part for p in app.extensions["onewindow"].plugins.plugins for part in p.key.split(".")}
        for bundle in db.session.query(Bundle):  # 一件事: the bundle's code, its questions' and common keys
            codes |= {bundle.code, *(q["key"] for q in bundle.questions)}
            codes |= {key for m in bundle.members for key in m.field_keys.values()}
    codes |= {"onewindow", "init"}  # the command that installed the demo, recorded as the actor
    return frozenset(codes)


def crawl(client, codes: frozenset[str] = frozenset()) -> tuple[dict[str, list[str]], dict[str, int]]:
    """(problems by page, status by page) for every menu entry and its first rows."""
    problems: dict[str, list[str]] = {}
    statuses: dict[str, int] = {}
    home = client.get("/", follow_redirects=True)
    statuses["/"] = home.status_code
    home_html = home.get_data(as_text=True)
    if found := page_problems(home_html, codes):
        problems["/"] = found
    queue = list(dict.fromkeys(_menu_links(home_html)))
    seen = set(queue) | {"/"}
    while queue:
        url = queue.pop(0)
        response = client.get(url, follow_redirects=True)
        statuses[url] = response.status_code
        if not response.mimetype.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        if found := page_problems(html, codes, words=not CODE_PAGES.search(url)):
            problems[url] = found
        if ROW_LINK.search(urlsplit(url).path):
            continue  # a row's page: its own links are not followed (first rows only)
        kinds: set[str] = set()
        for href in page_links(html):
            target = _local(href)
            if not target or target in seen or not ROW_LINK.search(urlsplit(target).path):
                continue
            kind = re.sub(r"[^/]+$", "", urlsplit(target).path)
            if kind in kinds:
                continue  # first row only
            kinds.add(kind)
            seen.add(target)
            queue.append(target)
    return problems, statuses


@pytest.fixture
def world(app, make_item, login):
    """The demo with one case accepted (so case lists have a first row)."""
    from tests.test_cases_screens import _accept_form

    item_id = make_item()
    acceptor = app.test_client()
    login(acceptor, "acceptor")
    with app.app_context():
        form = _accept_form(db.session.get(Item, item_id))
    with travel_to(dt.datetime(2026, 11, 23, 7, 30)):
        assert acceptor.post(f"/workbench/new/{item_id}", data=form).status_code == 302
    return app


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_chinese_with_no_raw_values_and_no_5xx(world, login, role, record_property):
    client = world.test_client()
    login(client, role)
    started = time.monotonic()
    problems, statuses = crawl(client, data_codes(world))
    record_property("pages", sorted(statuses))
    print(f"\n{role}: {len(statuses)} pages: {' '.join(sorted(statuses))}")
    errors = {u: s for u, s in statuses.items() if s >= 500}
    assert not errors, f"5xx as {role}: {errors}"
    assert len(statuses) > 3, f"the crawl as {role} reached only {sorted(statuses)}"
    report = "\n".join(f"{u}: {p}" for u, found in sorted(problems.items()) for p in sorted(set(found))[:8])
    assert not problems, f"as {role}:\n{report}"
    assert time.monotonic() - started < 60


def test_404_and_403_pages_are_chinese(world, login):
    client = world.test_client()
    login(client, "acceptor")
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert not page_problems(missing.get_data(as_text=True)), page_problems(missing.get_data(as_text=True))
    assert "未找到" in missing.get_data(as_text=True) or "不存在" in missing.get_data(as_text=True)
    forbidden = client.get("/users/list/", follow_redirects=True)
    html = forbidden.get_data(as_text=True)
    assert "Access is Denied" not in html and "Forbidden" not in html
    assert not page_problems(html), page_problems(html)


def test_the_crawl_flags_english_raw_values_and_utc_timestamps():
    assert page_problems("<p>List Groups</p>")
    assert page_problems("<td>True</td>")
    assert page_problems("<td>food_business_licence</td>")
    assert page_problems("<td>2026-12-01 23:41:52.957824</td>")
    assert page_problems('<button title="Delete">x</button>')
    assert not page_problems("<td>是</td><td>2026-12-02 07:41</td><script>var Add = 1;</script>")
