"""The three selection methods and the reproducible random draw."""

from decimal import Decimal

import pytest
from click.testing import CliRunner
from intermediary_helpers import market, select, with_bids  # noqa: F401  (market is a fixture)
from onewindow_intermediary import selection as methods
from onewindow_intermediary import service
from onewindow_intermediary.models import Method, PurchaseState

from onewindow.app import db
from onewindow.errors import ValidationError


def test_lowest_price_selects_the_lowest_quote(market):
    p = with_bids("lowest_price", [32000, 29500, 31000, 29800])
    chosen = select(p)
    assert chosen.result_bid.quote == Decimal("29500.00")
    assert chosen.method == Method.lowest_price and chosen.seed is None
    assert [c["quote"] for c in chosen.inputs["candidates"]] == ["32000.00", "29500.00", "31000.00", "29800.00"]
    assert p.state == PurchaseState.selected


def test_lowest_price_tie_goes_to_the_earlier_sign_up(market):
    p = with_bids("lowest_price", [30000, 29000, 29000])
    assert select(p).result_bid.id == p.bids[1].id


def test_random_draw_records_its_seed_and_candidates(market):
    p = with_bids("random_draw", [30000, 31000, 32000, 33000, 34000])
    chosen = select(p, seed="yx-2026-11-30")
    ids = sorted(b.id for b in p.bids)
    assert chosen.seed == "yx-2026-11-30"
    assert [c["bid_id"] for c in chosen.inputs["candidates"]] == ids
    assert chosen.result_bid_id == methods.draw("yx-2026-11-30", ids)


def test_random_draw_is_reproducible_from_its_seed(market):
    p = with_bids("random_draw", [30000, 31000, 32000, 33000, 34000])
    chosen = select(p)  # the platform draws the seed
    assert chosen.seed and len(chosen.seed) == 16
    check = service.recheck(p)
    assert check["matches"] and check["recomputed"] == chosen.result_bid_id
    import random  # anyone can re-run it with the published data alone

    candidates = [c["bid_id"] for c in chosen.inputs["candidates"]]
    assert candidates[random.Random(chosen.seed).randrange(len(candidates))] == chosen.result_bid_id


def test_different_seeds_can_pick_different_agencies(market):
    ids = list(range(1, 8))
    assert len({methods.draw(f"seed-{n}", ids) for n in range(40)}) > 1


def test_redraw_command_reports_a_match(market, app):
    from onewindow_intermediary.cli import intermediary_cli

    from onewindow.cli import State

    p = with_bids("random_draw", [30000, 31000, 32000])
    select(p, seed="abc")
    state = State(None)
    state._app = app  # the command runs on this test's app and database
    result = CliRunner().invoke(intermediary_cli, ["redraw", str(p.id)], obj=state)
    assert result.exit_code == 0, result.output
    assert "seed abc" in result.output and "MATCH" in result.output


def test_a_tampered_result_is_detected(market):
    p = with_bids("random_draw", [30000, 31000, 32000])
    chosen = select(p, seed="abc")
    chosen.result_bid = next(b for b in p.bids if b.id != chosen.result_bid_id)
    db.session.commit()
    assert service.recheck(p)["matches"] is False


def test_quality_price_combines_quality_and_price(market):
    # weights 70/30: A 90 quality at 40000, B 70 at 30000, C 80 at 36000
    p = with_bids("quality_price", [40000, 30000, 36000], qualities=[90, 70, 80])
    chosen = select(p)
    scores = chosen.inputs["scores"]
    totals = {c["bid_id"]: Decimal(scores[str(c["bid_id"])]["total"]) for c in chosen.inputs["candidates"]}
    assert totals[p.bids[0].id] == Decimal("85.50")  # 63 + 30000/40000×30 = 63 + 22.5
    assert totals[p.bids[1].id] == Decimal("79.00")  # 49 + 30
    assert totals[p.bids[2].id] == Decimal("81.00")  # 56 + 25
    assert chosen.result_bid_id == p.bids[0].id
    assert service.recheck(p)["matches"]


def test_quality_price_needs_every_quality_score(market):
    p = with_bids("quality_price", [40000, 30000, 36000], qualities=[90, None, 80])
    with pytest.raises(ValidationError, match="尚未评分"):
        select(p)
