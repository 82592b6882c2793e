"""Hook implementations of the REST API core part (registered by app.CORE_PARTS as "core.api")."""

from __future__ import annotations

from onewindow.plugins import hookimpl

#: Who may read cases through the API and who may change them. The engine then checks
#: the specific role, department and state of each transition.
CASE_READERS = ("acceptor", "approver", "chief_rep", "seal_admin", "output_clerk", "supervisor")
CASE_WRITERS = ("acceptor", "approver", "chief_rep", "seal_admin", "output_clerk")


@hookimpl
def register_views(register):
    from onewindow.api.cases import CaseApi

    register(CaseApi)


@hookimpl
def register_permissions(register):
    for role in CASE_READERS:
        # the OpenAPI document lets API clients discover the endpoints they may call
        pairs = [("can_read", "CaseApi"), ("can_get", "OpenApi")]
        if role in CASE_WRITERS:
            pairs.append(("can_write", "CaseApi"))
        register(role, pairs)


@hookimpl
def register_commands(register):
    from onewindow.api.case_cli import case_cli

    register(case_cli)


@hookimpl
def register_jobs(register):
    # expired Idempotency-Keys (IDEMPOTENCY_KEY_HOURS) are deleted every hour
    register("api.idempotency_cleanup", "onewindow.api.idempotency:delete_expired", hours=1)
