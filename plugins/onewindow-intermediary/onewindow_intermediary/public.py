"""Public pages of the market (no login): the agency directory with public scores and the
published selections with their inputs, so anyone can re-run a draw [000 §三(九) 公开透明]."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, jsonify, render_template
from sqlalchemy import select

from onewindow import db
from onewindow_intermediary.models import Agency, AgencyStatus, Selection

bp = Blueprint(
    "intermediary_public",
    __name__,
    url_prefix="/market",
    template_folder=str(Path(__file__).resolve().parent / "templates"),
)


@bp.get("/agencies")
def directory():
    """Active agencies only: suspended and blacklisted ones leave the directory."""
    agencies = (
        db.session.execute(
            select(Agency)
            .where(Agency.status == AgencyStatus.active)
            .order_by(Agency.score.desc().nulls_last(), Agency.name)
        )
        .scalars()
        .all()
    )
    selections = db.session.execute(select(Selection).order_by(Selection.id.desc()).limit(50)).scalars().all()
    return render_template("intermediary/directory.html", agencies=agencies, selections=selections)


@bp.get("/selections/<int:purchase_id>")
def selection(purchase_id: int):
    """The recorded inputs of one selection as JSON: method, seed, ordered candidates, result."""
    chosen = db.session.execute(select(Selection).where(Selection.purchase_id == purchase_id)).scalar()
    if chosen is None:
        abort(404)
    return jsonify(
        {
            "purchase": purchase_id,
            "title": chosen.purchase.title,
            "method": chosen.method.name,
            "seed": chosen.seed,
            "inputs": chosen.inputs,
            "result_bid": chosen.result_bid_id,
            "result_agency": chosen.result_bid.agency.name,
            "how_to_check": "random_draw: random.Random(seed).randrange(len(candidates)) over candidates "
            "sorted by bid_id picks the index of the result",
        }
    )
