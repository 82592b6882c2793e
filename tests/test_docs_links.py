"""The README and docs/ link to files and headings that exist; the README stays a front door."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: Pages written alongside these docs on other branches; linked before they land.
WRITTEN_ELSEWHERE = {
    "docs/operator/serving.md",
    "docs/operator/backups.md",
    "docs/operator/security.md",
    "docs/operator/audit.md",
    "docs/plugin-api.md",
    "bench/RESULTS.md",
}
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text_outside_code(page: Path) -> str:
    return re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _text_outside_code(page), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_every_relative_link_reaches_a_file_and_heading():
    broken = []
    for page in PAGES:
        for target in LINK.findall(_text_outside_code(page)):
            if re.match(r"^[a-z]+:", target) or target.startswith("<"):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            name = dest.relative_to(ROOT).as_posix() if dest.is_relative_to(ROOT) else str(dest)
            if not dest.exists():
                if name not in WRITTEN_ELSEWHERE:
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
                continue
            if anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading in {name})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_readme_is_a_front_door_not_the_manual():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == ["The two commands", "Configuration", "Where to read on"], headings
    assert "bash scripts/demo.sh" in text and "bash scripts/test.sh" in text


def test_docs_keep_no_lab_notebook():
    """Benchmark runs belong in bench/RESULTS.md; editing leftovers nowhere."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"Measured (20\d\d|and not kept)|section for README", text), page
