"""Errors of the case engine; each message says what is wrong and what to do."""

from onewindow.errors import OneWindowError, ValidationError


class TransitionError(ValidationError):
    """The transition is not allowed in the case's state or with this input."""


class CaseNotFound(TransitionError):
    """No case has that number (adapters answer 404)."""


class PermissionDenied(OneWindowError):
    """The actor's role or department does not allow this transition."""


class ConflictError(OneWindowError):
    """Someone else changed the case first; reload and try again."""


class ApplicationInvalid(ValidationError):
    """The application has problems; ``problems`` lists (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(f"{field}: {msg}" if field else msg for field, msg in problems))
