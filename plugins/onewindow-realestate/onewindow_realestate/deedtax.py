"""Deed tax (契税) estimated from the declared price — a simplified public rule.

Rule (财政部 税务总局公告2024年第16号, simplified for individuals buying a home):

- first home (家庭唯一住房), area ≤ 90 m²: 1 %
- first home, area > 90 m²: 1.5 %
- otherwise (second home, non-residential use): 3 %

The tax bureau assesses the exact tax (taxable price, exemptions, second-home relief) in
its parallel step; this figure is the estimate shown to the applicant and recorded with
the transfer. "First home" is read from the register: the buyer holds no other
residential unit of the county.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SMALL_HOME_M2 = Decimal("90")
RATE_FIRST_SMALL = Decimal("0.01")
RATE_FIRST_LARGE = Decimal("0.015")
RATE_OTHER = Decimal("0.03")


def deed_tax_rate(first_home: bool, area_m2: Decimal, residential: bool = True) -> Decimal:
    if first_home and residential:
        return RATE_FIRST_SMALL if area_m2 <= SMALL_HOME_M2 else RATE_FIRST_LARGE
    return RATE_OTHER


def deed_tax(price: Decimal, first_home: bool, area_m2: Decimal, residential: bool = True) -> tuple[Decimal, Decimal]:
    """(rate, tax in yuan rounded to the fen) for a declared price."""
    rate = deed_tax_rate(first_home, area_m2, residential)
    return rate, (Decimal(price) * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
