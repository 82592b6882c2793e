"""The page listing loaded plugins with version and status (已加载插件)."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l


class PluginsView(BaseView):
    route_base = "/plugins"
    default_view = "list"
    base_permissions = ["can_list"]

    @expose("/")
    @has_access
    def list(self):
        host = current_app.extensions["onewindow"].plugins
        return self.render_template("onewindow/plugins.html", plugins=host.plugins, title=_l("Plugins"))
