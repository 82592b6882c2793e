"""Staff download of case notices: ``/documents/notice/<id>.html`` and ``.pdf``.

Two checks, both needed: ``@has_access`` (the role holds ``can_print`` on
``NoticeDocumentView``) and the case screens' own scope
(:func:`onewindow.cases.scope.may_see`: department roles see the cases their department
implements or has a step in; front office, output window and supervision see all).
A notice the user may not see answers 404 like one that does not exist, so ids cannot
be probed for other departments' cases.
"""

from __future__ import annotations

from flask import Response, abort, g
from flask_appbuilder import BaseView, expose, has_access

from onewindow.cases.models import Notice
from onewindow.cases.scope import may_see
from onewindow.documents.render import pdf_filename, render_notice_html, render_notice_pdf


def _db():
    from onewindow.app import db

    return db.session


class NoticeDocumentView(BaseView):
    route_base = "/documents"
    # One permission for both formats: whoever may read a notice may print it.
    method_permission_name = {"html": "print", "pdf": "print"}

    def _notice(self, notice_id: int) -> Notice:
        notice = _db().get(Notice, notice_id)
        if notice is None or not may_see(g.user, notice.case):
            abort(404)
        return notice

    @expose("/notice/<int:notice_id>.html")
    @has_access
    def html(self, notice_id: int):
        return Response(render_notice_html(self._notice(notice_id)), mimetype="text/html")

    @expose("/notice/<int:notice_id>.pdf")
    @has_access
    def pdf(self, notice_id: int):
        notice = self._notice(notice_id)
        return Response(
            render_notice_pdf(notice),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{pdf_filename(notice)}"'},
        )
