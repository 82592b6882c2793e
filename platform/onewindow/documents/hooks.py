"""Hook implementations of the documents core part (registered by app.CORE_PARTS)."""

from __future__ import annotations

from onewindow.plugins import hookimpl

VIEW = "NoticeDocumentView"

#: Everyone who issues, receives, hands out or supervises case documents. The view
#: still scopes department roles to their own cases (documents.views.may_see).
PRINTING_ROLES = ("acceptor", "approver", "chief_rep", "seal_admin", "output_clerk", "supervisor")


@hookimpl
def register_views(register):
    from onewindow.documents.views import NoticeDocumentView

    register(NoticeDocumentView)  # no menu: reached from a case's notices


@hookimpl
def register_permissions(register):
    for role in PRINTING_ROLES:
        register(role, [("can_print", VIEW)])


@hookimpl
def app_ready(app):
    from onewindow.documents.progress import bp

    app.register_blueprint(bp)
