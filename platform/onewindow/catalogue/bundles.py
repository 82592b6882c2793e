"""Bundles (一件事一次办): items applied for once and handled as one [国发〔2024〕3号].

A bundle is data in the pack (``bundles:``): its members are items of the same pack, each
with an optional condition on the answers to the bundle's intake questions. Everything
shown about a bundle is derived from its members, both from the pack before it is
installed and from the installed items:

- the promised limit: the critical path through the members — a member's own routing
  takes the sum of its sequential steps or its longest parallel step, members run in
  parallel unless one waits for others (``after``);
- the fees, summed per payee (the member's implementing department);
- one form: a field several members share (the same name, or mapped to a common key) is
  asked once and copied to each member;
- one materials list: a material several members need (the same e-licence type, the same
  name, or declared the same in ``same_materials``) is asked once; where the e-licence
  library can hold it, it is pulled instead of asked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

#: necessity from the strictest: a material required by one member is required for the bundle
_NECESSITY_ORDER = ("required", "deferrable", "optional")
_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*元")


def bundle_where(bundle: Any, index: int) -> str:
    if isinstance(bundle, dict) and bundle.get("code"):
        return f"bundle {bundle['code']} {bundle.get('name') or ''}".rstrip()
    return f"bundle #{index + 1}"


def member_where(member: Any, index: int) -> str:
    code = member.get("item") if isinstance(member, dict) else None
    return f"members[{index + 1}] {code}" if code else f"members[{index + 1}]"


# --------------------------------------------------------------------------- derivation


def routing_days(item: dict[str, Any]) -> int:
    """Working days of one member's own routing: sequential steps add up, parallel ones overlap."""
    routing = item.get("routing") or {}
    steps = routing.get("steps") or []
    if not steps:  # approved by the implementing department within the promise (cases.routing)
        return 0 if item.get("handling_type") == "immediate" else int(item.get("promised_days") or 0)
    days = [int(s.get("days") or 0) for s in steps]
    return max(days) if routing.get("mode") == "parallel" else sum(days)


@dataclass
class CriticalPath:
    days: int
    path: list[str]  # member basic codes along the longest chain
    finish: dict[str, int]  # member → working day (from acceptance) its decision is due


def critical_path(members: list[dict[str, Any]], items: dict[str, dict[str, Any]]) -> CriticalPath:
    """The longest chain of members (each waiting for its ``after``), in working days.

    ``members`` must be free of cycles (validation checks it).
    """
    codes = [m["item"] for m in members]
    after = {m["item"]: [a for a in m.get("after") or [] if a in codes] for m in members}
    finish: dict[str, int] = {}
    via: dict[str, str | None] = {}

    def visit(code: str) -> int:
        if code not in finish:
            before = max(after[code], key=visit, default=None)
            finish[code] = (finish[before] if before else 0) + routing_days(items[code])
            via[code] = before
        return finish[code]

    for code in codes:
        visit(code)
    if not codes:
        return CriticalPath(0, [], {})
    end = max(codes, key=lambda c: finish[c])
    path: list[str] = []
    at: str | None = end
    while at is not None:
        path.append(at)
        at = via[at]
    return CriticalPath(finish[end], path[::-1], finish)


def due_dates(accepted_on: dt.date, cp: CriticalPath) -> dict[str, dt.date]:
    """Each member's due date, counted in working days from the day after acceptance as the engine counts."""
    from onewindow.cases import clock

    return {code: clock.add_workdays(accepted_on, days)[0] for code, days in cp.finish.items()}


@dataclass
class PayeeFees:
    payee: str  # implementing department (credit code)
    total: Decimal = Decimal(0)
    fees: list[dict[str, Any]] = field(default_factory=list)  # each with "item"
    unpriced: list[str] = field(default_factory=list)  # standards that are not a plain amount


def fees_by_payee(members: list[dict[str, Any]], items: dict[str, dict[str, Any]]) -> dict[str, PayeeFees]:
    out: dict[str, PayeeFees] = {}
    for m in members:
        item = items[m["item"]]
        for fee in item.get("fees") or []:
            payee = out.setdefault(item["department"], PayeeFees(item["department"]))
            payee.fees.append({**fee, "item": item["basic_code"]})
            amount = _AMOUNT.match(str(fee.get("standard") or ""))
            if amount:
                payee.total += Decimal(amount.group(1))
            else:
                payee.unpriced.append(f"{item['name']}: {fee.get('name')} {fee.get('standard')}")
    return out


@dataclass
class MergedField:
    key: str  # the common key the bundle asks under
    label: str
    type: str
    required: bool
    choices: list[str]
    targets: list[tuple[str, str]]  # (member basic code, that member's field name)

    @property
    def shared(self) -> bool:
        return len(self.targets) > 1


def merged_form(members: list[dict[str, Any]], items: dict[str, dict[str, Any]]) -> list[MergedField]:
    """One form for the bundle: a field shared by several members (by common key) once."""
    by_key: dict[str, MergedField] = {}
    for m in members:
        renamed = m.get("fields") or {}
        for f in items[m["item"]].get("fields") or []:
            key = renamed.get(f["name"], f["name"])
            merged = by_key.get(key)
            if merged is None:
                by_key[key] = MergedField(
                    key, f["label"], f["type"], bool(f.get("required", True)), list(f.get("choices") or []), []
                )
                merged = by_key[key]
            else:
                merged.required = merged.required or bool(f.get("required", True))
            merged.targets.append((m["item"], f["name"]))
    return list(by_key.values())


def split_answers(form: list[MergedField], answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The bundle form's answers copied into each member's application, under its own field names."""
    out: dict[str, dict[str, Any]] = {}
    for f in form:
        if f.key in answers:
            for code, name in f.targets:
                out.setdefault(code, {})[name] = answers[f.key]
    return out


@dataclass
class MergedMaterial:
    name: str
    necessity: str
    form: str
    copies: int
    source: str
    licence_type_code: str | None
    targets: list[tuple[str, str]]  # (member basic code, that member's material name)

    @property
    def shared(self) -> bool:
        return len(self.targets) > 1

    @property
    def from_library(self) -> bool:
        """Pulled from the e-licence library where it holds one for the applicant (免提交)."""
        return bool(self.licence_type_code) and self.source == "government"


def material_identity(material: dict[str, Any], same: dict[str, str]) -> str:
    if material.get("licence_type_code"):
        return f"licence:{material['licence_type_code']}"
    return f"name:{same.get(material['name'], material['name'])}"


def merged_materials(
    members: list[dict[str, Any]], items: dict[str, dict[str, Any]], same_materials: Iterable[list[str]] = ()
) -> list[MergedMaterial]:
    """One materials list: a material needed by several members is asked once."""
    same = {name: group[0] for group in same_materials for name in group if group}
    by_id: dict[str, MergedMaterial] = {}
    for m in members:
        for mat in items[m["item"]].get("materials") or []:
            key = material_identity(mat, same)
            merged = by_id.get(key)
            if merged is None:
                merged = by_id[key] = MergedMaterial(
                    mat["name"],
                    mat["necessity"],
                    mat["form"],
                    int(mat.get("copies", 1)),
                    mat["source"],
                    mat.get("licence_type_code"),
                    [],
                )
            else:
                merged.necessity = min(merged.necessity, mat["necessity"], key=_NECESSITY_ORDER.index)
                merged.copies = max(merged.copies, int(mat.get("copies", 1)))
                if mat["form"] == "original":
                    merged.form = "original"
            merged.targets.append((m["item"], mat["name"]))
    return list(by_id.values())


def library_supplies(materials: list[MergedMaterial], applicant_id: str, session: Any = None) -> dict[str, Any]:
    """Merged material name → the applicant's valid licence the e-licence library holds for it.

    Those are pulled instead of asked (免提交); the rest of the list is asked once.
    """
    from onewindow.licences.library import find_valid_licence

    found = {}
    for m in materials:
        if m.from_library and m.licence_type_code:
            licence = find_valid_licence(applicant_id, m.licence_type_code, session)
            if licence is not None:
                found[m.name] = licence
    return found


def applicable_members(bundle: dict[str, Any], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The members whose condition the intake answers meet (a member without one always applies)."""
    out = []
    for m in bundle.get("members") or []:
        when = m.get("when") or {}
        if all(answers.get(q) in (want if isinstance(want, list) else [want]) for q, want in when.items()):
            out.append(m)
    return out


@dataclass
class Derived:
    """What the bundle's members make of it (shown before install and on the bundle's page)."""

    computed_days: int
    promised_days: int
    path: list[str]
    fees: dict[str, PayeeFees]
    form: list[MergedField]
    materials: list[MergedMaterial]

    @property
    def shared_fields(self) -> list[MergedField]:
        return [f for f in self.form if f.shared]

    @property
    def shared_materials(self) -> list[MergedMaterial]:
        return [m for m in self.materials if m.shared]

    @property
    def asked_fields(self) -> int:
        return len(self.form)

    @property
    def member_fields(self) -> int:
        return sum(len(f.targets) for f in self.form)

    @property
    def member_materials(self) -> int:
        return sum(len(m.targets) for m in self.materials)


def derive(bundle: dict[str, Any], items: dict[str, dict[str, Any]]) -> Derived:
    """Derive limit, fees, form and materials of a valid bundle; ``items`` by basic code (pack format)."""
    members = list(bundle.get("members") or [])
    cp = critical_path(members, items)
    return Derived(
        cp.days,
        max(cp.days, int(bundle.get("promised_days") or 0)),
        cp.path,
        fees_by_payee(members, items),
        merged_form(members, items),
        merged_materials(members, items, bundle.get("same_materials") or []),
    )


# --------------------------------------------------------------------------- validation


def check_bundles(
    bundles: list[tuple[str, Any]],
    items: dict[str, dict[str, Any] | None],
    departments: set[str],
    windows: dict[str, int],
    say: Callable[[str, str, str, str], None],
    schema_ok: Callable[[str, str, Any], bool],
) -> None:
    """Report every problem of the pack's bundles, naming file, bundle, member and field.

    ``items``: the pack's items by basic code (normalised); ``say(file, where, field, message)``;
    ``schema_ok(file, where, bundle)`` checks the published schema and reports its problems.
    """
    seen: dict[str, str] = {}
    for index, (file, bundle) in enumerate(bundles):
        where = bundle_where(bundle, index)
        if not schema_ok(file, where, bundle):
            continue
        if bundle["code"] in seen:
            say(file, where, "code", f"is also used by the bundle in {seen[bundle['code']]}; give each bundle its own")
        seen[bundle["code"]] = file
        questions = _check_questions(bundle, file, where, say)
        ok = _check_members(bundle, items, questions, file, where, say)
        served: set[str] = set()
        for m in bundle["members"]:
            item = items.get(m["item"])
            if item:
                served |= {item["department"], *(item.get("joint_departments") or [])}
                served |= {s["department"] for s in (item.get("routing") or {}).get("steps") or []}
        lead = bundle["lead_department"]
        if lead not in departments:
            say(file, where, "lead_department", f"{lead} is not a department of the pack or the database")
        elif ok and lead not in served:
            say(
                file,
                where,
                "lead_department",
                f"{lead} serves none of the members; the lead department (牵头部门) must implement "
                "or approve one of them",
            )
        if bundle["output_window"] not in windows:
            say(file, where, "output_window", f"window {bundle['output_window']} is not declared; add it to windows")
        for g, group in enumerate(bundle.get("same_materials") or [], start=1):
            if len(group) < 2:
                say(file, where, f"same_materials[{g}]", "a group names at least two materials that are one")
        if ok:
            _check_merge(bundle, items, file, where, say)


def _check_questions(bundle: dict, file: str, where: str, say) -> dict[str, dict]:
    questions: dict[str, dict] = {}
    for i, q in enumerate(bundle.get("questions") or [], start=1):
        if q["key"] in questions:
            say(file, where, f"questions[{i}].key", f"{q['key']!r} is asked twice; keys are unique in a bundle")
        if q["type"] == "select" and not q.get("choices"):
            say(file, where, f"questions[{i}].choices", "a select question needs its choices listed")
        if q["type"] == "boolean" and q.get("choices"):
            say(file, where, f"questions[{i}].choices", "a yes/no question takes no choices; remove them")
        questions[q["key"]] = q
    return questions


def _check_members(bundle: dict, items: dict, questions: dict, file: str, where: str, say) -> bool:
    members = bundle["members"]
    ok = True
    if len(members) < 2:
        say(file, where, "members", "a bundle joins at least two items; list its members")
        ok = False
    codes: set[str] = set()
    for i, m in enumerate(members):
        at = f"{where}: {member_where(m, i)}"
        code = m["item"]
        if code in codes:
            say(file, at, "item", f"{code} is a member twice; list each item once")
            ok = False
        codes.add(code)
        if code not in items:
            say(file, at, "item", f"{code} is not an item of this pack; name a member by its basic code (基本编码)")
            ok = False
        elif items[code] is None:
            say(file, at, "item", f"item {code} has problems of its own (listed with the item); fix it first")
            ok = False
        for q, want in (m.get("when") or {}).items():
            question = questions.get(q)
            if question is None:
                declared = ", ".join(questions) or "none"
                say(file, at, f"when.{q}", f"refers to no declared question; declared: {declared}")
                continue
            wanted = want if isinstance(want, list) else [want]
            if question["type"] == "boolean" and any(type(w) is not bool for w in wanted):
                say(file, at, f"when.{q}", "answers a yes/no question: write true or false")
            if question["type"] == "select":
                for w in wanted:
                    if w not in question.get("choices", []):
                        say(
                            file,
                            at,
                            f"when.{q}",
                            f"{w!r} is not a choice of the question; choose from {question['choices']}",
                        )
    for i, m in enumerate(members):
        at = f"{where}: {member_where(m, i)}"
        for a in m.get("after") or []:
            if a not in codes:
                say(file, at, "after", f"{a} is not a member of this bundle; name a member's basic code")
                ok = False
            elif a == m["item"]:
                say(file, at, "after", "a member cannot wait for itself")
                ok = False
    if ok:
        cycle = _cycle(members)
        if cycle:
            say(
                file, where, "members.after", f"members wait for each other in a circle ({' → '.join(cycle)}); break it"
            )
            ok = False
    return ok


def _cycle(members: list[dict]) -> list[str]:
    after = {m["item"]: list(m.get("after") or []) for m in members}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(code: str) -> list[str]:
        state[code] = 1
        stack.append(code)
        for prior in after.get(code, []):
            if state.get(prior) == 1:
                return stack[stack.index(prior) :] + [prior]
            if prior not in state:
                found = visit(prior)
                if found:
                    return found
        stack.pop()
        state[code] = 2
        return []

    for code in after:
        if code not in state:
            found = visit(code)
            if found:
                return found
    return []


def _check_merge(bundle: dict, items: dict, file: str, where: str, say) -> None:
    for i, m in enumerate(bundle["members"]):
        names = {f["name"] for f in items[m["item"]].get("fields") or []}
        for name in m.get("fields") or {}:
            if name not in names:
                at = f"{where}: {member_where(m, i)}"
                say(
                    file,
                    at,
                    f"fields.{name}",
                    f"the item has no field {name!r}; its fields: {', '.join(sorted(names))}",
                )
    derived = derive(bundle, items)
    for f in derived.shared_fields:
        types = {next(x["type"] for x in items[code]["fields"] if x["name"] == name) for code, name in f.targets}
        if len(types) > 1:
            members = ", ".join(f"{c}.{n}" for c, n in f.targets)
            say(
                file,
                where,
                "members.fields",
                f"common key {f.key!r} joins fields of different types ({', '.join(sorted(types))}: {members}); "
                "map only fields that ask the same thing",
            )
    declared = bundle.get("promised_days")
    if declared is not None and declared < derived.computed_days:
        chain = " → ".join(derived.path)
        say(
            file,
            where,
            "promised_days",
            f"{declared} working days is shorter than the {derived.computed_days} the members' routing needs "
            f"(critical path {chain}); promise at least {derived.computed_days} or leave it out",
        )


# --------------------------------------------------------------------------- install


def bundle_hash(bundle: dict[str, Any], items: dict[str, dict[str, Any]]) -> str:
    """The bundle as declared plus its members' content: a changed member re-derives the bundle."""
    import hashlib
    import json

    from onewindow.catalogue.packs import content_hash

    members = {m["item"]: content_hash(items[m["item"]]) for m in bundle["members"]}
    text = json.dumps([bundle, members], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def install_bundles(pack: Any, session: Any) -> dict[str, int]:
    """Write the pack's bundles: new ones added, changed ones rewritten, gone ones removed.

    A bundle whose declaration and members are unchanged is left as it is (idempotent).
    Runs inside the pack's install transaction (validated before).
    """
    from sqlalchemy import select

    from onewindow.catalogue.organisation import centre_of
    from onewindow.catalogue.packs import implementation_code
    from onewindow.models import Department, Window, Zone
    from onewindow.models.bundles import Bundle, BundleMember
    from onewindow.models.items import _now

    items = {n["basic_code"]: n for n in pack.normalised()}
    existing = {b.code: b for b in session.scalars(select(Bundle).where(Bundle.pack_key == pack.key))}
    departments = dict(session.execute(select(Department.credit_code, Department.id)).all())
    centre = centre_of(session, pack.centre_name())
    windows = dict(
        session.execute(
            select(Window.code, Window.id).join(Zone, Window.zone_id == Zone.id).where(Zone.centre_id == centre.id)
        ).all()
        if centre
        else []
    )
    counts = {"new": 0, "changed": 0, "removed": 0, "unchanged": 0}
    for _file, declared in pack.bundles:
        digest = bundle_hash(declared, items)
        row = existing.pop(declared["code"], None)
        if row is not None and row.content_hash == digest:
            counts["unchanged"] += 1
            continue
        derived = derive(declared, items)
        if row is None:
            row = Bundle(pack_key=pack.key, code=declared["code"])
            session.add(row)
            counts["new"] += 1
        else:
            row.members.clear()
            counts["changed"] += 1
        row.name, row.audience, row.guide = declared["name"], declared["audience"], declared.get("guide") or ""
        row.lead_department_id = departments[declared["lead_department"]]
        row.output_window_id = windows[declared["output_window"]]
        row.questions = list(declared.get("questions") or [])
        row.same_materials = list(declared.get("same_materials") or [])
        row.declared_days = declared.get("promised_days")
        row.computed_days, row.promised_days = derived.computed_days, derived.promised_days
        row.content_hash, row.updated_on = digest, _now()
        for position, m in enumerate(declared["members"], start=1):
            row.members.append(
                BundleMember(
                    position=position,
                    basic_code=m["item"],
                    implementation_code=implementation_code(items[m["item"]]),
                    condition=dict(m.get("when") or {}),
                    after=list(m.get("after") or []),
                    field_keys=dict(m.get("fields") or {}),
                )
            )
    for gone in existing.values():
        session.delete(gone)
        counts["removed"] += 1
    session.flush()
    return counts


def bundle_changes(pack: Any, session: Any) -> list[str]:
    """What installing the pack does to its bundles, one line each (``onewindow pack diff``)."""
    from sqlalchemy import select

    from onewindow.models.bundles import Bundle

    items = {n["basic_code"]: n for n in pack.normalised()}
    existing = dict(session.execute(select(Bundle.code, Bundle.content_hash).where(Bundle.pack_key == pack.key)).all())
    lines = []
    for _file, declared in pack.bundles:
        old = existing.pop(declared["code"], None)
        if old == bundle_hash(declared, items):
            continue
        derived = derive(declared, items)
        sign = "+" if old is None else "~"
        lines.append(
            f"{sign} bundle {declared['code']} {declared['name']}: {len(declared['members'])} member(s), "
            f"limit {derived.promised_days}"
        )
    lines += [f"- bundle {code}: removed" for code in sorted(existing)]
    return lines


def installed_items(bundle: Any, session: Any) -> dict[str, dict[str, Any]]:
    """The current version of each member of an installed bundle, in pack format, by basic code."""
    from sqlalchemy import select

    from onewindow.catalogue.convert import item_to_dict
    from onewindow.models.items import Item

    codes = [m.implementation_code for m in bundle.members]
    rows = session.scalars(select(Item).where(Item.implementation_code.in_(codes), Item.is_current.is_(True)))
    return {i.basic_code: item_to_dict(i) for i in rows}


def derive_installed(bundle: Any, session: Any) -> Derived:
    declared = {
        "members": [m.as_pack() for m in bundle.members],
        "promised_days": bundle.declared_days,
        "same_materials": bundle.same_materials,
    }
    return derive(declared, installed_items(bundle, session))
