"""Validation of an item pack: every problem at once, each naming file, item, field and fix.

The rules are the domain's: six unifications of an item (name, code, basis, conditions,
materials, time limit) [001 §五(四)2; 004 §二(一)], a precise materials list with no vague
wording or catch-all clause [003 §二 2], promised limits within the legal limit, one lead
department per routing. Plugins check their own sections through ``validate_pack``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from onewindow.catalogue.packs import ORG_SECTIONS, Pack, implementation_code, normalised_item
from onewindow.catalogue.schema import checker
from onewindow.validators import uscc_problem

DEFAULT_BASIC_CODE = r"^[0-9A-Z]{12}$"  # 基本编码: 12 characters (local schemes may differ)
EXERCISE_LEVELS = {"1": "国家级", "2": "省级", "3": "市级", "4": "县级", "5": "乡镇级", "6": "村级"}

#: Vague wording and catch-all clauses (兜底条款) a materials list must not contain [003 §二 2].
CATCH_ALL = re.compile(
    r"其[他它](相关|有关|必要|需要|所需)?的?(材料|证明|文件|资料|证件)"
    r"|(相关|有关)(的)?(材料|证明|文件|资料|证件)"
    r"|等(相关|有关)?(材料|证明|文件|资料|证件)"
    r"|(规定|要求|需要)(提交|提供)?的其[他它]"
    r"|(根据|视)(情况|需要)|必要时|如有需要|…|\.\.\.|等$"
)


@dataclass
class Problem:
    file: str
    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.where, self.field, self.message) if part)


@dataclass
class Report:
    """Collects problems; call it as ``report(file, where, field, message)``."""

    problems: list[Problem] = field(default_factory=list)

    def __call__(self, file: str, where: str, field: str, message: str) -> None:
        self.problems.append(Problem(str(file), str(where or ""), str(field or ""), str(message)))

    @property
    def ok(self) -> bool:
        return not self.problems

    def __len__(self) -> int:
        return len(self.problems)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


@dataclass
class Known:
    """What already exists outside the pack (database, loaded plugins)."""

    departments: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    zones: set[int] = field(default_factory=set)
    windows: dict[str, int] = field(default_factory=dict)  # window code → zone number
    item_types: set[str] = field(default_factory=set)
    form_keys: set[str] = field(default_factory=set)
    plugins: dict[str, str] = field(default_factory=dict)  # loaded plugin key → version
    roles: set[str] = field(default_factory=set)


def item_where(item: Any, index: int) -> str:
    if isinstance(item, dict) and item.get("basic_code"):
        return f"item {item['basic_code']} {item.get('name') or ''}".rstrip()
    return f"item #{index + 1}"


def validate(pack: Pack, known: Known, plugin_hook: Callable[..., Any] | None = None) -> Report:
    report = Report()
    for problem in pack.problems:
        report(problem.file, "", "", problem.message)
    _check_manifest(pack, known, report)
    org = _check_organisation(pack, known, report)
    types = _check_item_types(pack, known, report)
    _check_items(pack, known, org, types, report)
    _check_bundles(pack, org, report)
    if plugin_hook is not None:
        plugin_hook(pack=pack, report=report)
    return report


def _schema(report: Report, file: str, where: str, definition: str, value: Any) -> bool:
    found = False
    for path, message in checker(definition)(value, ""):
        report(file, where, path, message)
        found = True
    return not found


def _check_manifest(pack: Pack, known: Known, report: Report) -> None:
    file = pack.manifest_file
    _schema(report, file, "", "manifest", pack.manifest)
    defaults = pack.manifest.get("defaults")
    if isinstance(defaults, dict):
        allowed = _item_fields() - {"basic_code", "name", "department", "materials"}
        for key in defaults:
            if key not in allowed:
                report(
                    file, "defaults", key, "is not an item field every item could share; remove it or set it per item"
                )
    for plugin, spec in (pack.manifest.get("requires") or {}).items():
        if plugin not in known.plugins:
            report(
                file,
                "requires",
                plugin,
                f"plugin {plugin!r} is not loaded; install it (and run `onewindow init`) "
                f"or remove it from requires. Loaded: {', '.join(sorted(known.plugins)) or 'none'}",
            )
        elif isinstance(spec, str) and not version_satisfies(known.plugins[plugin], spec):
            report(
                file,
                "requires",
                plugin,
                f"needs version {spec}, installed is {known.plugins[plugin]}; upgrade the plugin",
            )
    for name, files in pack.section_files.items():
        if name not in known.plugins:
            report(
                pack.file(files[0]),
                "",
                name,
                f"unknown section; core sections are {', '.join(ORG_SECTIONS)}, item_types, items, bundles, "
                f"and a plugin's section is named after its key (loaded: {', '.join(sorted(known.plugins)) or 'none'})",
            )


def _item_fields() -> set[str]:
    from onewindow.catalogue.schema import load_schema

    return set(load_schema()["$defs"]["item"]["properties"])


def version_satisfies(version: str, spec: str) -> bool:
    from onewindow.catalogue.packs import version_tuple

    ops = {
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
    }
    have = version_tuple(version)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        op = next(o for o in (">=", "<=", "==", "!=", ">", "<") if clause.startswith(o))
        want = version_tuple(clause[len(op) :].strip())
        width = max(len(have), len(want))
        if not ops[op](have + (0,) * (width - len(have)), want + (0,) * (width - len(want))):
            return False
    return True


@dataclass
class _Org:
    departments: set[str]
    zones: set[int]
    windows: dict[str, int]


def _check_organisation(pack: Pack, known: Known, report: Report) -> _Org:
    regions = set(known.regions)
    for i, (file, row) in enumerate(pack.org.get("regions", [])):
        if _schema(report, pack.file(file), f"regions[{i + 1}]", "region", row):
            if row.get("parent") and row["parent"] not in regions:
                report(
                    pack.file(file),
                    f"region {row['code']}",
                    "parent",
                    f"{row['parent']} is not declared above it nor installed; list the parent region first",
                )
            regions.add(row["code"])
    departments = set(known.departments)
    seen: set[str] = set()
    for i, (file, row) in enumerate(pack.org.get("departments", [])):
        where = f"department {row.get('name', '#' + str(i + 1))}" if isinstance(row, dict) else f"departments[{i + 1}]"
        if not _schema(report, pack.file(file), where, "department", row):
            continue
        problem = uscc_problem(row["credit_code"])
        if problem:
            report(pack.file(file), where, "credit_code", problem)
        if row["credit_code"] in seen:
            report(pack.file(file), where, "credit_code", f"{row['credit_code']} is listed twice; each department once")
        seen.add(row["credit_code"])
        if row["region"] not in regions:
            report(
                pack.file(file), where, "region", f"{row['region']} is neither in regions nor installed; add the region"
            )
        departments.add(row["credit_code"])
    for file, row in pack.org.get("centre", []):
        _schema(report, pack.file(file), "centre", "centre", row)
    zones = set(known.zones)
    pack_zones: set[int] = set()
    for i, (file, row) in enumerate(pack.org.get("zones", [])):
        if _schema(report, pack.file(file), f"zones[{i + 1}]", "zone", row):
            if row["number"] in pack_zones:
                report(
                    pack.file(file), f"zone {row['number']}", "number", "is used twice; number the zones 1…8 once each"
                )
            pack_zones.add(row["number"])
    zones |= pack_zones
    windows = dict(known.windows)
    pack_windows: set[str] = set()
    for i, (file, row) in enumerate(pack.org.get("windows", [])):
        where = f"window {row.get('code')}" if isinstance(row, dict) else f"windows[{i + 1}]"
        if not _schema(report, pack.file(file), where, "window", row):
            continue
        if row["code"] in pack_windows:
            report(pack.file(file), where, "code", "is used twice; give every window its own number")
        pack_windows.add(row["code"])
        if row["zone"] not in zones:
            report(pack.file(file), where, "zone", f"zone {row['zone']} is not declared; add it to zones")
        for code in row.get("departments", []):
            if code not in departments:
                report(pack.file(file), where, "departments", f"{code} is not a department of the pack or the database")
        if row["kind"] == "specialised" and not str(row.get("approval_ref") or "").strip():
            # 专业窗口 only with the centre's approval [003 §四(五)]
            report(pack.file(file), where, "approval_ref", "a specialised window needs the centre's approval reference")
        windows[row["code"]] = row["zone"]
    roles = known.roles
    for i, (file, row) in enumerate(pack.org.get("staff", [])):
        if not _schema(report, pack.file(file), f"staff[{i + 1}]", "staff", row):
            continue
        if roles and row["role"] not in roles:
            report(
                pack.file(file),
                f"user {row['username']}",
                "role",
                f"{row['role']!r} is not a role; known: {', '.join(sorted(roles))}",
            )
        if row.get("department") and row["department"] not in departments:
            report(pack.file(file), f"user {row['username']}", "department", f"{row['department']} is not a department")
        for code in row.get("windows") or []:
            if code not in windows:
                report(pack.file(file), f"user {row['username']}", "windows", f"window {code} is not declared")
    return _Org(departments, zones, windows)


def _check_item_types(pack: Pack, known: Known, report: Report) -> set[str]:
    types = set(known.item_types)
    seen: set[str] = set()
    for i, (file, row) in enumerate(pack.item_types):
        if _schema(report, pack.file(file), f"item_types[{i + 1}]", "item_type", row):
            if row["code"] in seen:
                report(pack.file(file), f"item type {row['code']}", "code", "is listed twice; keep one row per code")
            seen.add(row["code"])
            types.add(row["code"])
    return types


def _check_items(pack: Pack, known: Known, org: _Org, types: set[str], report: Report) -> None:
    codes = pack.manifest.get("codes") or {}
    try:
        basic_rx = re.compile(codes.get("basic_code_pattern") or DEFAULT_BASIC_CODE)
    except re.error as exc:
        report(pack.manifest_file, "codes", "basic_code_pattern", f"is not a valid regular expression: {exc}")
        basic_rx = re.compile(DEFAULT_BASIC_CODE)
    type_prefix = codes.get("type_prefix", True)
    by_basic = {it.get("basic_code"): it for it in pack.items if isinstance(it, dict)}
    impl_seen: dict[str, str] = {}
    check_item = checker("item")
    for index, item in enumerate(pack.items):
        file = pack.file(pack.item_files[index])
        where = item_where(item, index)
        if not isinstance(item, dict):
            report(file, where, "", "must be a mapping of item fields")
            continue
        bad = {path.split(".")[0].split("[")[0] for path, _ in _emit(check_item(item, ""), report, file, where)}

        def say(fieldname: str, message: str, file: str = file, where: str = where) -> None:
            report(file, where, fieldname, message)

        code = item.get("basic_code")
        if "basic_code" not in bad:
            if not basic_rx.search(code):
                say("basic_code", f"{code!r} is not a basic code (基本编码, pattern {basic_rx.pattern})")
            elif type_prefix and "type" not in bad and not code.startswith(str(item["type"])):
                say(
                    "basic_code",
                    f"{code} should start with its item type code {item['type']} (基本编码 = type + serial)",
                )
        if "type" not in bad and item["type"] not in types:
            say("type", f"{item['type']!r} is not in item_types; add it to the code table or correct it")
        for key in ("department", "entrusted_department"):
            if key not in bad and item.get(key):
                problem = uscc_problem(item[key])
                if problem:
                    say(key, problem)
                elif item[key] not in org.departments:
                    say(key, f"{item[key]} is not a department of the pack or the database; add it to departments")
        if "department" not in bad and "basic_code" not in bad:
            impl = implementation_code({"exercise_level": "4", **item})
            if impl in impl_seen:
                say("basic_code", f"implementation code {impl} is also used by {impl_seen[impl]}; codes must be unique")
            impl_seen[impl] = where
        if "exercise_level" not in bad and item.get("exercise_level") not in (None, *EXERCISE_LEVELS):
            say("exercise_level", f"choose one of {EXERCISE_LEVELS}")
        parent = item.get("parent")
        if parent and "parent" not in bad:
            if parent == code:
                say("parent", "an item cannot be its own main item")
            elif parent not in by_basic:
                say(
                    "parent",
                    f"main item {parent} is not in the pack; sub-items (子项) name their main item's basic code",
                )
            elif by_basic[parent].get("parent"):
                say("parent", f"{parent} is itself a sub-item; name the main item")
        for code_ in item.get("joint_departments") or [] if "joint_departments" not in bad else []:
            if code_ not in org.departments:
                say("joint_departments", f"{code_} is not a department of the pack or the database")
        zone = item.get("zone")
        if zone is not None and "zone" not in bad and zone not in org.zones:
            say("zone", f"zone {zone} is not declared; use one of {sorted(org.zones)}")
        for w in item.get("windows") or [] if "windows" not in bad else []:
            if w not in org.windows:
                say("windows", f"window {w} is not declared; add it to windows or correct the number")
            elif zone is not None and org.windows[w] != zone:
                say(
                    "windows",
                    f"window {w} is in zone {org.windows[w]}, the item in zone {zone}; "
                    "choose a window of the item's zone",
                )
        _check_time(item, bad, say)
        _check_mode(item, bad, say)
        _check_routing(item, bad, org, say)
        _check_form(item, bad, known, say)
        _check_materials(item, bad, say)


def _check_bundles(pack: Pack, org: _Org, report: Report) -> None:
    from onewindow.catalogue.bundles import check_bundles

    if not pack.bundles:
        return
    wanted = {
        m.get("item")
        for _f, b in pack.bundles
        if isinstance(b, dict)
        for m in b.get("members") or []
        if isinstance(m, dict)
    }
    check_item = checker("item")
    items = {  # members whose own record is broken are reported with the item, not the bundle
        it["basic_code"]: None if check_item(it, "") else normalised_item(it)
        for it in pack.items
        if isinstance(it, dict) and it.get("basic_code") in wanted
    }
    check_bundles(
        [(pack.file(f), b) for f, b in pack.bundles],
        items,
        org.departments,
        org.windows,
        report,
        lambda file, where, bundle: _schema(report, file, where, "bundle", bundle),
    )


def _emit(problems, report: Report, file: str, where: str):
    for path, message in problems:
        report(file, where, path, message)
        yield path, message


def _check_time(item: dict, bad: set[str], say) -> None:
    if {"legal_days", "promised_days", "handling_type"} & bad:
        return
    legal, promised, kind = item["legal_days"], item["promised_days"], item["handling_type"]
    if promised > legal:
        # the promise shortens the statutory limit, never extends it
        say("promised_days", f"{promised} working days exceed the legal limit of {legal}; promise at most {legal}")
    if kind == "immediate" and promised > 1:
        say(
            "promised_days",
            f"an immediate item (即办件) is done on the spot or within 1 working day, not {promised}; "
            "set 0 or 1, or make it a promised item (承诺件)",
        )
    if kind == "promised" and promised == 0:
        say("handling_type", "a promise of 0 days is an immediate item; set handling_type: immediate")
    if item.get("extension_days") and not str(item.get("extension_rule") or "").strip():
        say(
            "extension_rule",
            "an extension (延期) needs its rule and legal basis, e.g. 行政许可法 §42: 经本机关负责人批准可延长10日",
        )


def _check_mode(item: dict, bad: set[str], say) -> None:
    if item.get("service_mode") == "zero_visit" and item.get("visits_required", 1) != 0:
        say("visits_required", "a zero-visit item (零上门) requires 0 visits; set visits_required: 0")
    if item.get("visits_required") == 0 and item.get("in_person_required"):
        say(
            "in_person_required",
            "an item that needs the applicant in person cannot require 0 visits; set visits_required: 1",
        )


def _check_routing(item: dict, bad: set[str], org: _Org, say) -> None:
    if "routing" in bad:
        return
    steps = (item.get("routing") or {}).get("steps") or []
    mode = (item.get("routing") or {}).get("mode", "sequential")
    if not steps:
        if item.get("handling_type") in ("joint",):
            say("routing", "a joint item (联办件) routes to several departments; list the steps")
        return
    leads = [s for s in steps if s.get("lead")]
    if len(leads) != 1:
        say("routing.steps", f"has {len(leads)} lead departments; mark exactly one step lead: true (牵头部门)")
    seen = set()
    for i, step in enumerate(steps, start=1):
        if step["department"] not in org.departments:
            say(
                f"routing.steps[{i}].department",
                f"{step['department']} is not a department of the pack or the database",
            )
        if step["department"] in seen and mode == "parallel":
            say(f"routing.steps[{i}].department", "appears twice in a parallel routing; one step per department")
        seen.add(step["department"])
    if item.get("handling_type") == "joint" and len(seen | set(item.get("joint_departments") or [])) < 2:
        say("routing.steps", "a joint item (联办件) needs at least two departments")
    if "promised_days" not in bad:
        total = sum(s["days"] for s in steps) if mode == "sequential" else max(s["days"] for s in steps)
        if total > item["promised_days"]:
            how = "the sum of the sequential steps" if mode == "sequential" else "the longest parallel step"
            say(
                "routing.steps",
                f"{how} takes {total} working days, more than the promised {item['promised_days']}; "
                "shorten the step limits or raise the promise",
            )


def _check_form(item: dict, bad: set[str], known: Known, say) -> None:
    form_key, fields = item.get("form_key"), item.get("fields") or []
    if form_key and "form_key" not in bad and form_key not in known.form_keys:
        say(
            "form_key",
            f"no loaded plugin registers the form {form_key!r}; install the plugin that provides it, "
            "or set form_key: null and declare fields",
        )
    if not form_key and not fields:
        say("fields", "an item needs an application form: declare fields or name a plugin form_key")
    if "fields" in bad:
        return
    names = set()
    for i, f in enumerate(fields, start=1):
        at = f"fields[{i}]"
        if f["name"] in names:
            say(f"{at}.name", f"{f['name']!r} is used twice; field names are unique within the form")
        names.add(f["name"])
        if f["type"] == "select" and not f.get("choices"):
            say(f"{at}.choices", "a choice field needs its choices listed")
        if f["type"] != "select" and f.get("choices"):
            say(f"{at}.choices", "only select fields take choices; set type: select or remove choices")
        if f.get("regex"):
            try:
                re.compile(f["regex"])
            except re.error as exc:
                say(f"{at}.regex", f"is not a valid regular expression ({exc}); fix or remove it")


def _check_materials(item: dict, bad: set[str], say) -> None:
    if "materials" in bad:
        return
    materials = item.get("materials") or []
    if not materials:
        say("materials", "the acceptance list (受理清单) is empty; list every material by name")
    names = set()
    for i, m in enumerate(materials, start=1):
        at = f'material {i} "{m["name"]}"'
        hit = CATCH_ALL.search(m["name"])
        if hit:
            # 不得有模糊语言、兜底条款; nothing outside the list may be demanded [003 §二 2]
            say(at, f'"{hit.group(0)}" is vague wording or a catch-all; list the documents by name')
        if m["name"] in names:
            say(at, "is listed twice; list each material once")
        names.add(m["name"])
        if m.get("licence_type_code") and m["source"] != "government":
            say(
                f"{at}.licence_type_code",
                "only government-issued materials (source: government) come from the e-licence library",
            )
        if m["form"] != "electronic" and m.get("copies", 1) < 1:
            say(f"{at}.copies", "a paper original or copy needs at least 1 copy")
