"""Checksums of the identifiers the platform accepts.

- Resident ID number 公民身份号码 (GB 11643, ISO 7064 MOD 11-2)
- Unified social credit code 统一社会信用代码 (GB 32100)
- Administrative division code 行政区划代码 (GB/T 2260, 6 digits, plus 3-digit town / 3-digit village)

The check characters are computed by python-stdnum (``stdnum.cn.ric``, ``stdnum.cn.uscc``);
the format checks and the Chinese messages, which name the expected check character,
are the platform's.
"""

from __future__ import annotations

import datetime as _dt
import re

from stdnum.cn import ric, uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z


def resident_id_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid 18-digit resident ID number, or None if it is."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return "身份证号码应为18位：17位数字加1位校验码（数字或X）"
    try:
        _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return f"身份证号码中的出生日期 {value[6:14]} 不存在"
    expected = ric.calc_check_digit(value)  # stdnum reads the 17 digits before the check digit
    if value[17] != expected:
        return f"身份证号码校验码错误：最后一位应为 {expected}，请核对号码"
    return None


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character over the first 17 characters."""
    return uscc.calc_check_digit(first17)


def uscc_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid unified social credit code, or None if it is."""
    value = (value or "").strip().upper()
    if len(value) != 18:
        return f"统一社会信用代码应为18位，当前为{len(value)}位"
    bad = sorted({c for c in value if c not in USCC_ALPHABET})
    if bad:
        return f"统一社会信用代码含有不允许的字符 {''.join(bad)}（不使用 I、O、S、V、Z）"
    if not value[2:8].isdigit():
        return "统一社会信用代码第3至8位应为登记管理机关行政区划码（6位数字）"
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return f"统一社会信用代码校验码错误：最后一位应为 {expected}，请核对代码"
    return None


def division_code_problem(value: str) -> str | None:
    """Division codes: 6 digits (province/city/county), 9 (town), 12 (village)."""
    value = (value or "").strip()
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", value):
        return "行政区划代码应为6位（省/市/县）、9位（乡镇/街道）或12位（村/社区）数字"
    return None


def mask_resident_id(value: str | None) -> str:
    """Show the region prefix and check digit only: 440304********1236 style."""
    if not value:
        return ""
    value = value.strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
