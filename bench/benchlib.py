"""Helpers shared by the benchmarks: throwaway databases, the benchmark item, percentiles
and interleaved rounds.

Interleaving: on a shared machine the load changes from one minute to the next, so a
benchmark that times the engine for a minute and then its baseline for a minute moves
its ratio with the load. :func:`interleaved` runs the two in rounds (A B, B A, A B …,
the order alternating so neither always goes first) and :func:`pair_ratios` takes the
ratio of each round's pair, so a slow minute slows both sides of the same ratio.
"""

from __future__ import annotations

import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PERSON = "440304200002291236"


def throwaway_database(url: str | None) -> tuple[str, Callable[[], None]]:
    """``(database URL, drop)``: a SQLite file in a temporary folder, or with ``url`` a new
    database ``ow_bench_<random>`` on that PostgreSQL server, dropped by ``drop()``."""
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="ow-bench-"))
        return f"sqlite:///{folder / 'bench.db'}", lambda: None
    name = f"ow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def add_bench_item(dept, basic_code: str = "999000000001", materials: int = 4):
    """A promised item of ``dept`` with ``materials`` required materials and one lead step
    of ``dept`` (added to the session, not committed)."""
    from onewindow.app import db
    from onewindow.models.items import (
        HandlingType,
        Item,
        ItemType,
        Material,
        MaterialForm,
        MaterialSource,
        Necessity,
        RoutingStep,
        ServiceMode,
    )

    item_type = db.session.query(ItemType).first() or ItemType(code="01", name="行政许可")
    item = Item(
        basic_code=basic_code,
        implementation_code=f"{dept.credit_code}3{basic_code}",
        name="基准测试事项",
        item_type=item_type,
        department=dept,
        legal_days=20,
        promised_days=5,
        handling_type=HandlingType.promised,
        service_mode=ServiceMode.window_post,
    )
    for i in range(materials):
        item.materials.append(
            Material(
                position=i + 1,
                name=f"材料{i + 1}",
                necessity=Necessity.required,
                form=MaterialForm.original,
                copies=1,
                source=MaterialSource.applicant,
            )
        )
    item.steps.append(RoutingStep(position=1, department=dept, is_lead=True, days=5))
    db.session.add(item)
    return item


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0–1) of ``samples`` by the nearest rank; NaN when empty."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def interleaved(rounds: int, sides: dict[str, Callable[[int], object]]) -> dict[str, list]:
    """Run every side once per round, the order reversed every other round; returns each
    side's results in round order. Each side is called with the round number."""
    out: dict[str, list] = {name: [] for name in sides}
    names = list(sides)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            out[name].append(sides[name](r))
    return out


def pair_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """The ratio of each round's pair (never of totals or of separate medians)."""
    return [n / d if d else float("inf") for n, d in zip(numerators, denominators)]


def describe(ratios: Sequence[float]) -> str:
    """``median (min–max over N rounds)`` of pair ratios."""
    if not ratios:
        return "n/a"
    return f"{statistics.median(ratios):.2f}x (rounds: {min(ratios):.2f}–{max(ratios):.2f}, n={len(ratios)})"
