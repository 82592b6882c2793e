"""Flask-AppBuilder's own screen strings that its Chinese catalogue leaves untranslated.

Listed here so ``scripts/update_catalog.py`` extracts them into our catalogue, which is
loaded after FAB's and so completes (and where needed overrides) it. Nothing calls this
list; FAB looks the same message ids up when it renders its templates and flashes.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FAB_STRINGS = [
    _l("Add"),
    _l("Edit"),
    _l("Delete"),
    _l("Show"),
    _l("Groups"),
    _l("List Groups"),
    _l("Show Group"),
    _l("Add Group"),
    _l("Edit Group"),
    _l("Are you sure you want to delete this item?"),
    _l("Contains (insensitive)"),
    _l("In"),
    _l("Not In"),
    _l("Database Error"),
    _l("Edit User Information"),
    _l("User information changed"),
    _l("Either select a role or a group"),
    _l("The user's password for authentication"),
    _l("User(s) exists in the group, cannot delete"),
    _l("User(s) exists in the role, cannot delete"),
    _l("Sign In with "),
    _l("OK"),
    _l("Cancel"),
    _l("Access is Denied"),
    _l("Record"),
    _l("Forbidden"),
    _l("It's not a good policy to remove a user, just make it inactive"),
]
