"""``onewindow intermediary …``: check published selections from the command line."""

from __future__ import annotations

import click
from flask_babel import gettext


@click.group("intermediary")
def intermediary_cli() -> None:
    """Intermediary supermarket (中介超市): re-run published selections."""


@intermediary_cli.command("redraw")
@click.argument("purchase_id", type=int)
def redraw_command(purchase_id: int) -> None:
    """Re-run the selection of PURCHASE_ID from its recorded seed and candidates."""
    from onewindow import ValidationError, current_app_context, db
    from onewindow_intermediary.models import Purchase
    from onewindow_intermediary.service import recheck

    with current_app_context():
        purchase = db.session.get(Purchase, purchase_id)
        if purchase is None:
            raise ValidationError(
                gettext("purchase %(id)s does not exist; see the list under 中介超市 → 采购项目", id=purchase_id)
            )
        result = recheck(purchase)
    click.echo(f"method {result['method']}, seed {result['seed'] or '-'}, candidates (bid ids) {result['candidates']}")
    click.echo(
        f"recorded bid {result['recorded']}, recomputed bid {result['recomputed']}: "
        f"{'MATCH' if result['matches'] else 'MISMATCH'}"
    )
    if not result["matches"]:
        raise SystemExit(1)
