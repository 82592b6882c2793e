"""Unified social credit codes (统一社会信用代码, GB 32100-2015) assigned at establishment.

Layout of the 18 characters the plugin assigns:

====  ======================================================================
1     registration authority: ``9`` 工商 (market regulation)
2     entity type: ``1`` 企业
3–8   6-digit administrative division code of the registering department's region
9–17  organisation code (GB 11714-1997): 8 body characters + its check character
18    GB 32100 check character over the first 17
====  ======================================================================

The body is ``MA`` + a 6-digit serial per region, the form market regulation uses for
codes assigned since 2015 ("MA" never collides with the digits-only codes converted
from old organisation codes). Serials come from one counter row per region, bumped with
``UPDATE … RETURNING``: the row lock makes concurrent approvals queue instead of reading
the same value, and the unique index on ``enterprise_enterprise.uscc`` backs it up.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from onewindow import TransitionError, uscc_check_char, uscc_problem
from onewindow_enterprise.models import CodeCounter

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997 §5
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # value = index
PREFIX = "91"  # 9 工商 + 1 企业
MAX_SERIAL = 999_999


def org_check_char(body8: str) -> str:
    """GB 11714 check character: C9 = 11 − (Σ Ci·Wi mod 11); 10 → X, 11 → 0."""
    total = sum(_ORG_CHARS.index(c) * w for c, w in zip(body8.upper(), _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def build_uscc(division6: str, serial: int) -> str:
    if not (len(division6) == 6 and division6.isdigit()):
        raise ValueError(f"division code {division6!r}: a credit code needs the 6-digit county code")
    body = f"MA{serial:06d}"
    first17 = PREFIX + division6 + body + org_check_char(body)
    code = first17 + uscc_check_char(first17)
    assert uscc_problem(code) is None, code  # our own construction: a failure is a bug here
    return code


def next_serial(session, division6: str) -> int:
    """The region's next serial, unique under concurrency (see the module docstring)."""
    for _attempt in range(3):
        stmt = (
            update(CodeCounter)
            .where(CodeCounter.region_code == division6)
            .values(last_serial=CodeCounter.last_serial + 1)
            .returning(CodeCounter.last_serial)
            .execution_options(synchronize_session=False)
        )
        row = session.execute(stmt).first()
        if row is not None:
            if row[0] > MAX_SERIAL:
                raise TransitionError(f"区划 {division6} 的统一社会信用代码序号已用尽，请联系系统管理员")
            return row[0]
        try:  # first code of the region: insert the counter; losing that race retries the UPDATE
            with session.begin_nested():
                session.add(CodeCounter(region_code=division6, last_serial=1))
            return 1
        except IntegrityError:
            continue
    raise TransitionError(f"未能为区划 {division6} 分配统一社会信用代码，请重试")


def assign_uscc(session, division_code: str) -> str:
    division6 = (division_code or "")[:6]
    return build_uscc(division6, next_serial(session, division6))
