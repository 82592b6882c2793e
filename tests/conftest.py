"""Shared fixtures come from onewindow.testing (the pytest plugin shipped for plugin authors)."""
