"""Online hall (网上办事大厅): the citizen's side of OneWindow, a plugin with the key ``hall``.

A county that uses its province's portal switches it off like any other plugin.
"""
