"""Hook implementations of the catalogue core part (registered by app.CORE_PARTS)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from onewindow.plugins import hookimpl

CATALOGUE = "Catalogue"

#: Read-only screens of the catalogue every working role consults (受理清单, 办事指南).
ITEM_VIEWS = [
    "ItemView",
    "ItemMaterialView",
    "ItemStepView",
    "ItemFieldView",
    "ItemFaqView",
    "ItemEventView",
    "ItemTypeView",
    "BundleView",
]
READERS = ["acceptor", "approver", "chief_rep", "output_clerk", "supervisor"]


@hookimpl
def register_views(register):
    from onewindow.catalogue.views import (  # noqa: F401
        BundleView,
        ItemEventView,
        ItemFaqView,
        ItemFieldView,
        ItemMaterialView,
        ItemStepView,
        ItemTypeView,
        ItemView,
        PackEventView,
        PackUploadView,
        PackView,
    )

    menu = {"category": CATALOGUE, "category_label": _l("Catalogue"), "icon": "fa-book"}
    register(ItemView, name="Items", label=_l("Service items"), **menu)
    register(ItemTypeView, name="Item types", label=_l("Item types"), **menu)
    register(BundleView, name="Bundles", label=_l("Bundles (一件事)"), **menu)
    register(ItemEventView, name="Item history", label=_l("Item history"), **menu)
    register(PackView, name="Item packs", label=_l("Item packs"), **menu)
    register(PackUploadView, name="Upload a pack", label=_l("Upload a pack"), **menu)
    register(PackEventView, name="Pack history", label=_l("Pack history"), **menu)
    for view in (ItemMaterialView, ItemStepView, ItemFieldView, ItemFaqView):
        register(view)


@hookimpl
def register_permissions(register):
    read = [(perm, view) for view in ITEM_VIEWS for perm in ("can_list", "can_show")]
    menus = [("menu_access", m) for m in ("Catalogue", "Items", "Item types", "Item history", "Bundles")]
    for role in READERS:
        register(role, read + menus)
    # e-supervision sees which catalogue is in force and how it changed (no 明减暗增)
    register(
        "supervisor",
        [
            ("can_list", "PackView"),
            ("can_show", "PackView"),
            ("can_list", "PackEventView"),
            ("can_show", "PackEventView"),
            ("menu_access", "Item packs"),
            ("menu_access", "Pack history"),
        ],
    )


@hookimpl
def register_commands(register):
    from onewindow.catalogue.commands import pack

    register(pack)
