"""The three selection methods (比选方式), as pure functions over recorded inputs.

Each returns the winning bid id and the inputs it used, in plain JSON, so the
published selection can be checked by anyone: :func:`rerun` recomputes the result from
the inputs alone. The random draw uses ``random.Random(seed)`` over the candidates
sorted by bid id; the seed is published, so the draw is reproducible, and it is drawn
by the platform (``secrets``) when nobody supplies one, so nobody can choose it.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Candidate:
    bid_id: int
    agency_id: int
    agency_name: str
    quote: Decimal
    quality: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "bid_id": self.bid_id,
            "agency_id": self.agency_id,
            "agency": self.agency_name,
            "quote": str(self.quote),
            "quality": None if self.quality is None else str(self.quality),
        }


def _from_json(rows: list[dict[str, Any]]) -> list[Candidate]:
    return [
        Candidate(
            r["bid_id"],
            r["agency_id"],
            r["agency"],
            Decimal(r["quote"]),
            None if r.get("quality") is None else Decimal(r["quality"]),
        )
        for r in rows
    ]


def lowest_price(candidates: list[Candidate]) -> tuple[int, dict[str, Any]]:
    """最低价法: the lowest quote wins; a tie goes to the earlier sign-up (lower bid id)."""
    ordered = sorted(candidates, key=lambda c: c.bid_id)
    winner = min(ordered, key=lambda c: (c.quote, c.bid_id))
    return winner.bid_id, {"candidates": [c.as_json() for c in ordered], "rule": "lowest quote, then earliest bid"}


def new_seed() -> str:
    return secrets.token_hex(8)


def draw(seed: str, bid_ids: list[int]) -> int:
    """The draw itself: ``random.Random(seed)`` picks one of ``bid_ids`` (sorted by id)."""
    ordered = sorted(bid_ids)
    return ordered[random.Random(seed).randrange(len(ordered))]


def random_draw(candidates: list[Candidate], seed: str) -> tuple[int, dict[str, Any]]:
    """随机抽取 among the qualified agencies; records the seed and the ordered candidates."""
    ordered = sorted(candidates, key=lambda c: c.bid_id)
    winner = draw(seed, [c.bid_id for c in ordered])
    return winner, {
        "candidates": [c.as_json() for c in ordered],
        "seed": seed,
        "rule": "random.Random(seed).randrange(len(candidates)) over candidates sorted by bid id",
    }


def quality_price(candidates: list[Candidate], quality_weight: int, price_weight: int) -> tuple[int, dict[str, Any]]:
    """综合评分法: quality points (0–100 scaled to the quality weight) plus price points
    (lowest quote ÷ this quote × price weight, the usual 基准价 formula). Highest total wins;
    a tie goes to the lower quote, then the earlier sign-up."""
    ordered = sorted(candidates, key=lambda c: c.bid_id)
    base = min(c.quote for c in ordered)
    scores = {}
    for c in ordered:
        quality_points = (Decimal(c.quality) * quality_weight / 100).quantize(CENT, ROUND_HALF_UP)
        price_points = (base / c.quote * price_weight).quantize(CENT, ROUND_HALF_UP)
        scores[str(c.bid_id)] = {
            "quality_points": str(quality_points),
            "price_points": str(price_points),
            "total": str(quality_points + price_points),
        }
    winner = max(ordered, key=lambda c: (Decimal(scores[str(c.bid_id)]["total"]), -c.quote, -c.bid_id))
    return winner.bid_id, {
        "candidates": [c.as_json() for c in ordered],
        "scores": scores,
        "quality_weight": quality_weight,
        "price_weight": price_weight,
        "rule": "quality×weight/100 + lowest quote/quote×price weight; ties: lower quote, earlier bid",
    }


def rerun(method: str, inputs: dict[str, Any]) -> int:
    """Recompute a published selection from its recorded inputs only."""
    candidates = _from_json(inputs["candidates"])
    if method == "random_draw":
        return random_draw(candidates, inputs["seed"])[0]
    if method == "quality_price":
        return quality_price(candidates, inputs["quality_weight"], inputs["price_weight"])[0]
    return lowest_price(candidates)[0]
