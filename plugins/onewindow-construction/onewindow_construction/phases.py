"""The five phases of construction project approval and what belongs to each (plugin data).

立项 → 用地 → 规划 → 施工许可 → 验收, each with a lead department, responsible departments,
a phase time limit in working days, the items of the demo pack handled in it (by basic
code) and its joint tasks [003 附件4 第4项; 000 §三(五); DOMAIN "Service areas"].

The mapping lives here and not in the pack because the pack loader refuses a section
named after a plugin that is not loaded: a ``construction:`` section in the demo pack
would break installing the pack with this plugin disabled. Departments are referenced by
unified social credit code, like everywhere in the pack.
"""

from __future__ import annotations

from dataclasses import dataclass

DRC = "11369921102583171C"  # 发改局 (development and reform)
NR = "113699211027415555"  # 自然资源局 (land resources and planning)
HOUSING = "11369921102662363Q"  # 住建局 (housing and construction)
FIRE = "11369921102899934R"  # 消防救援大队
ECO = "11369921103137501X"  # 生态环境局


@dataclass(frozen=True)
class JointTaskSpec:
    kind: str  # survey | drawing_review | mapping | acceptance
    departments: tuple[str, ...]  # each signs off; the first leads


@dataclass(frozen=True)
class PhaseSpec:
    key: str
    label: str
    lead: str
    responsible: tuple[str, ...]
    limit_days: int
    items: tuple[str, ...]  # basic codes
    joint: tuple[JointTaskSpec, ...] = ()
    fee_stage: str | None = None  # the fee stage collected in this phase (three stages)


PHASES: tuple[PhaseSpec, ...] = (
    PhaseSpec("initiation", "立项", DRC, (DRC,), 10, ("110401000000", "010402000000", "010403000000")),
    PhaseSpec(
        "land",
        "用地",
        NR,
        (NR, HOUSING),
        15,
        ("010404000000", "010405000000"),
        (JointTaskSpec("survey", (NR, HOUSING, ECO)),),
        fee_stage="land",
    ),
    PhaseSpec(
        "planning",
        "规划",
        NR,
        (NR, HOUSING, FIRE),
        20,
        ("010406000000", "010408000000"),
        (JointTaskSpec("drawing_review", (HOUSING, FIRE, NR)),),
    ),
    PhaseSpec(
        "permit", "施工许可", HOUSING, (HOUSING, NR, FIRE), 10, ("010407000000", "010412000000"), fee_stage="permit"
    ),
    # 联合验收 led by 住建局 with 消防 and 规划核实 (自然资源局); 多测合一 for the as-built survey
    PhaseSpec(
        "acceptance",
        "验收",
        HOUSING,
        (HOUSING, FIRE, NR),
        12,
        ("010409000000", "110410000000"),
        (JointTaskSpec("acceptance", (HOUSING, FIRE, NR)), JointTaskSpec("mapping", (NR, HOUSING))),
        fee_stage="acceptance",
    ),
)

BY_KEY = {p.key: p for p in PHASES}
PHASE_OF_ITEM = {code: p for p in PHASES for code in p.items}
FEE_STAGES = ("land", "permit", "acceptance")


def spec(key: str) -> PhaseSpec:
    return BY_KEY[key]
