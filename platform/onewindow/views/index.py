"""Home page: what the platform is and, for staff, their workspace (工作台)."""

from __future__ import annotations

from flask import current_app, g
from flask_appbuilder import IndexView as FabIndexView
from flask_appbuilder import expose

from onewindow.views.org import role_names
from onewindow.workspace import workspace


class IndexView(FabIndexView):
    index_template = "onewindow/index.html"

    @expose("/")
    def index(self):
        self.update_redirect()
        user = getattr(g, "user", None)
        staff = user if getattr(user, "is_authenticated", False) else None
        if staff is None:
            public = current_app.extensions["onewindow"].plugins.hook.public_home()
            if public is not None:
                return public
        sections = workspace(staff) if staff is not None else []
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            staff=staff,
            sections=sections,
            roles=role_names(staff.roles) if staff is not None else "",
        )
