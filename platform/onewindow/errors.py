"""Errors that stop startup or refuse input, each with a message naming what, where and how to fix."""


class OneWindowError(Exception):
    """Base of every error the platform raises on purpose."""


class StartupError(OneWindowError):
    """The platform cannot start: configuration, database or plugin problem (one clear line)."""


class DuplicateRegistration(StartupError):
    """Two plugins (or one plugin twice) registered the same key."""


class ValidationError(OneWindowError):
    """Input refused; ``str(err)`` says what is wrong, where, and how to fix it."""
