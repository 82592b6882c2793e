"""``onewindow licence …``: offline verification, export, and seal keys.

``verify FILE`` needs no database and no instance: it checks an exported licence with
the public key and signature it carries (exit 0 valid, 1 otherwise, with the reason).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group("licence")
def licence_cli() -> None:
    """E-licence library (电子证照库): verify, export, seal keys."""


@licence_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    default=None,
    help="The issuing department's published SM2 public key (128 hex) to pin; "
    "without it the key in the file is trusted for origin.",
)
def verify_cmd(file: Path, public_key: str | None) -> None:
    """Verify an exported licence file offline (exit 0 valid, 1 otherwise)."""
    from onewindow.licences.verification import verify_export

    try:
        exported = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(f"invalid: {file}: cannot read an exported licence ({exc})")
        sys.exit(1)
    result = verify_export(exported, pinned_public_key=public_key)
    identifier = (exported.get("document") or {}).get("identifier", "?") if isinstance(exported, dict) else "?"
    click.echo(f"{result.status}: {identifier}: {result.reason}")
    sys.exit(0 if result.valid else 1)


@licence_cli.command("export")
@click.argument("identifier")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_cmd(identifier: str, file: Path) -> None:
    """Write a sealed licence, with its seal's public key, to FILE (JSON)."""
    from onewindow.app import db
    from onewindow.cli import current_app_context
    from onewindow.licences.library import get_licence
    from onewindow.licences.verification import export_licence

    with current_app_context():
        exported = export_licence(get_licence(db.session, identifier))
    file.write_text(json.dumps(exported, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    click.echo(f"exported {exported['document']['identifier']} to {file}")


def _seal_command(action: str, department: str) -> None:
    import getpass

    from onewindow.app import db
    from onewindow.cli import current_app_context
    from onewindow.errors import ValidationError
    from onewindow.licences import seals

    with current_app_context():
        session = db.session
        try:
            dept = seals.department_by_code(session, department)
            seal = getattr(seals, f"{action}_seal")(session, dept, f"cli:{getpass.getuser()}")
            session.commit()
        except ValidationError:
            session.rollback()
            raise
        click.echo(f"{dept.name}: seal {seal.key_id} ({seal.algorithm}) is now in use; public key {seal.public_key}")


@licence_cli.command("seal-create")
@click.option("--department", required=True, help="The department's unified social credit code.")
def seal_create_cmd(department: str) -> None:
    """Create a department's electronic seal (SM2 key pair; the private key is stored encrypted)."""
    _seal_command("create", department)


@licence_cli.command("seal-rotate")
@click.option("--department", required=True, help="The department's unified social credit code.")
def seal_rotate_cmd(department: str) -> None:
    """Replace a department's seal key; licences sealed with the old key stay verifiable."""
    _seal_command("rotate", department)
