"""The one way to change a case: every transition of the lifecycle, in one façade.

Screens, the REST API, the CLI, the scheduler and plugins all call these functions.
Each checks role, department and state, runs plugin rules, appends a hash-chained
event and commits — or changes nothing and raises a clear error.
"""

from onewindow.cases.acceptance import (  # noqa: F401
    Application,
    accept,
    accept_deferred,
    pre_review,
    reject,
    request_correction,
    submit,
    supply_material,
    validate_application,
)
from onewindow.cases.approval import (  # noqa: F401
    apply_silence_consent,
    approve_step,
    decide_on_the_spot,
    deny_step,
    return_for_correction,
)
from onewindow.cases.bundles import (  # noqa: F401
    BundleApplication,
    add_bundle_files,
    bundle_continue,
    bundle_withdraw_all,
    deliver_bundle,
    submit_bundle_online,
)
from onewindow.cases.clockops import (  # noqa: F401
    SPECIAL_PROCEDURES,
    deem_accepted,
    extend,
    recompute_due,
    recompute_open_cases,
    resume,
    suspend,
    withdraw,
)
from onewindow.cases.core import SYSTEM, Actor, applicant_actor, load_case  # noqa: F401
from onewindow.cases.materialfiles import submit_with_files  # noqa: F401
from onewindow.cases.output import (  # noqa: F401
    confirm_post_delivery,
    deliver_pickup,
    deliver_post,
    hand_to_output,
    refuse_at_output,
)
