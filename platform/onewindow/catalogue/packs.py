"""Loading an item pack (事项包) from its directory.

A pack is a directory of human-editable YAML: ``pack.yaml`` (the manifest) and any
number of other ``*.yaml`` files, each a mapping of sections (``departments``,
``zones``, ``windows``, ``item_types``, ``items``… or a plugin's own section named
after its key). Loading never raises on bad content: problems are collected so that
``onewindow pack validate`` shows every one of them at once.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from flask_babel import gettext

from onewindow.errors import ValidationError

MANIFEST = "pack.yaml"
#: Sections the core understands; any other section must be named after a loaded plugin.
ORG_SECTIONS = ("regions", "departments", "centre", "zones", "windows", "staff")
CORE_SECTIONS = (*ORG_SECTIONS, "item_types", "items", "bundles")

#: Platform defaults of optional item fields (what an item gets when neither it nor the
#: manifest's ``defaults`` sets them).
ITEM_DEFAULTS: dict[str, Any] = {
    "parent": None,
    "exercise_level": "4",
    "service_area": None,
    "entrusted_department": None,
    "joint_departments": [],
    "zone": None,
    "windows": [],
    "legal_basis": "",
    "conditions": "",
    "special_procedures": [],
    "correction_limit_days": 5,  # 行政许可法 §32: within 5 working days
    "pre_review_days": 2,  # online pre-review answered within 2 working days [003 §四(一)]
    "extension_days": 0,
    "extension_rule": "",
    "warning_days": 1,
    "visits_required": 1,
    "online_depth": 2,
    "postal_delivery": True,
    "appointment": False,
    "in_person_required": False,
    "confidential": False,
    "fees": [],
    "joint_fee": False,
    "routing": {"mode": "sequential", "steps": []},
    "form_key": None,
    "fields": [],
    "licence_type_code": None,
    "guide": "",
    "faq": [],
}
MATERIAL_DEFAULTS: dict[str, Any] = {"copies": 1, "licence_type_code": None, "sample": None, "standard": ""}
STEP_DEFAULTS: dict[str, Any] = {"lead": False, "silence_consents": False, "task": ""}
FIELD_DEFAULTS: dict[str, Any] = {"required": True, "choices": [], "regex": None, "help": ""}


@dataclass
class LoadProblem:
    file: str
    message: str


@dataclass
class Pack:
    """A loaded pack. ``items`` are the item mappings as written (manifest defaults applied)."""

    path: Path
    display: str  # how messages name the pack's folder (as the user typed it)
    manifest: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    item_files: list[str] = field(default_factory=list)  # file of each item, same order
    org: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)  # section → [(file, row)]
    item_types: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bundles: list[tuple[str, Any]] = field(default_factory=list)  # (file, bundle) 一件事一次办
    sections: dict[str, Any] = field(default_factory=dict)  # plugin sections, by name
    section_files: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)  # relative name → parsed document
    problems: list[LoadProblem] = field(default_factory=list)
    checksum: str = ""
    sep: str = "/"  # between display and a file name ("#" for a workbook's sheets)
    manifest_name: str = MANIFEST

    def normalised(self) -> list[dict[str, Any]]:
        """Every item with its optional fields filled in (computed once)."""
        cached: list[dict[str, Any]] | None = getattr(self, "_normalised", None)
        if cached is None or len(cached) != len(self.items):
            cached = self._normalised = [normalised_item(it) for it in self.items]
        return cached

    @property
    def key(self) -> str:
        return str(self.manifest.get("key") or "")

    @property
    def version(self) -> str:
        return str(self.manifest.get("version") or "")

    def file(self, relative: str) -> str:
        return f"{self.display.rstrip('/')}{self.sep}{relative}"

    @property
    def manifest_file(self) -> str:
        return self.file(self.manifest_name)

    def centre_name(self) -> str | None:
        rows = self.org.get("centre") or []
        return rows[0][1].get("name") if rows and isinstance(rows[0][1], dict) else None


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(version).split(".") if p.isdigit())


def load_pack(path: str | Path, display: str | None = None) -> Pack:
    """Read every YAML file of the pack at ``path`` (a directory)."""
    root = Path(path)
    pack = Pack(path=root, display=display or str(path))
    if not root.is_dir():
        raise ValidationError(
            gettext(
                "%(path)s: not a pack directory; give the folder that holds %(manifest)s",
                path=path,
                manifest=MANIFEST,
            )
        )
    if not (root / MANIFEST).is_file():
        raise ValidationError(
            gettext(
                "%(path)s: no %(manifest)s here; every pack has one manifest (key, version, title)",
                path=path,
                manifest=MANIFEST,
            )
        )
    digest = hashlib.sha256()
    for file in sorted(root.rglob("*.y*ml")):
        relative = file.relative_to(root).as_posix()
        if file.suffix not in (".yaml", ".yml") or relative.startswith("schema/"):
            continue
        raw = file.read_bytes()
        digest.update(relative.encode() + b"\0" + raw + b"\0")
        try:
            document = _parse(raw.decode("utf-8"))
        except UnicodeDecodeError:
            pack.problems.append(LoadProblem(pack.file(relative), "is not UTF-8 text; save it as UTF-8"))
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            pack.problems.append(
                LoadProblem(
                    pack.file(relative),
                    f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc}); fix the syntax",
                )
            )
            continue
        pack.files[relative] = document
    # files a pack ships beside its YAML (the hall's blank forms and samples under forms/)
    # are content too: a changed form with the same version is not "unchanged"
    for file in sorted(p for p in (root / "forms").rglob("*") if p.is_file()):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    pack.checksum = digest.hexdigest()
    _sort_sections(pack)
    return pack


def _parse(text: str) -> Any:
    """YAML; a file written in JSON syntax (a subset of YAML) takes the fast C JSON parser.

    PyYAML builds Python objects in Python, many times slower than the C JSON parser:
    generated catalogues are written in JSON syntax (bench/pack_install.py --style).
    """
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style that is not strict JSON
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _sort_sections(pack: Pack) -> None:
    manifest = pack.files.get(MANIFEST)
    if not isinstance(manifest, dict):
        pack.problems.append(LoadProblem(pack.manifest_file, "must be a mapping with key, version and title"))
        manifest = {}
    pack.manifest = manifest
    defaults: dict[str, Any] = manifest["defaults"] if isinstance(manifest.get("defaults"), dict) else {}
    for relative, document in pack.files.items():
        if relative == MANIFEST or document is None:
            continue
        if not isinstance(document, dict):
            pack.problems.append(
                LoadProblem(pack.file(relative), "must be a mapping of sections (items:, departments:…)")
            )
            continue
        for name, content in document.items():
            if name == "items" and isinstance(content, list):
                for row in content:
                    pack.items.append({**defaults, **row} if isinstance(row, dict) else row)
                    pack.item_files.append(relative)
            elif name == "item_types" and isinstance(content, list):
                pack.item_types += [(relative, row) for row in content]
            elif name == "bundles" and isinstance(content, list):
                pack.bundles += [(relative, row) for row in content]
            elif name == "bundles":
                pack.problems.append(LoadProblem(pack.file(relative), "bundles: must be a list of bundles (- code: …)"))
            elif name in ORG_SECTIONS:
                rows = content if isinstance(content, list) and name != "centre" else [content]
                pack.org.setdefault(name, []).extend((relative, row) for row in rows)
            elif name not in CORE_SECTIONS:
                pack.section_files.setdefault(name, []).append(relative)
                if isinstance(content, list) and isinstance(pack.sections.get(name), list):
                    pack.sections[name] = pack.sections[name] + content
                else:
                    pack.sections[name] = content


def normalised_item(item: dict[str, Any]) -> dict[str, Any]:
    """The item with every optional field filled in (what gets installed and hashed)."""
    out = {**ITEM_DEFAULTS, **{k: v for k, v in item.items() if k != "change"}}
    routing = {"mode": "sequential", "steps": [], **(out.get("routing") or {})}
    routing["steps"] = [{**STEP_DEFAULTS, **s} for s in routing["steps"]]
    out["routing"] = routing
    out["materials"] = [{**MATERIAL_DEFAULTS, **m} for m in out.get("materials") or []]
    out["fields"] = [{**FIELD_DEFAULTS, **f} for f in out.get("fields") or []]
    return out


#: Item fields that are sets: their order carries no meaning.
UNORDERED = ("joint_departments", "windows")


def comparable(normalised: dict[str, Any]) -> dict[str, Any]:
    return {**normalised, **{k: sorted(normalised.get(k) or []) for k in UNORDERED}}


def content_hash(normalised: dict[str, Any]) -> str:
    text = json.dumps(comparable(normalised), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def implementation_code(item: dict[str, Any]) -> str:
    """实施编码 = implementing body's credit code (18) + exercise level (1) + basic code (12)."""
    return f"{item.get('department') or ''}{item.get('exercise_level') or ''}{item.get('basic_code') or ''}"


def extract_zip(archive: str | Path, target: Path, max_bytes: int = 50_000_000) -> Path:
    """Unpack an uploaded pack; returns the folder holding pack.yaml. Refuses unsafe paths."""
    target.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise ValidationError(
            gettext("the upload is not a zip file; zip the pack folder (with pack.yaml) and upload it")
        ) from None
    with zf:
        if sum(i.file_size for i in zf.infolist()) > max_bytes:
            raise ValidationError(
                gettext("the zip unpacks to more than %(mb)s MB; is it really a pack?", mb=max_bytes // 1_000_000)
            )
        for info in zf.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts:
                raise ValidationError(
                    gettext("the zip holds an unsafe path %(path)s; zip the pack folder itself", path=info.filename)
                )
        zf.extractall(target)
    manifests = sorted(target.rglob(MANIFEST), key=lambda p: len(p.parts))
    if not manifests:
        raise ValidationError(
            gettext("the zip holds no %(manifest)s; zip the pack folder that contains it", manifest=MANIFEST)
        )
    return manifests[0].parent
