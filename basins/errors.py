"""Every exception basins raises, under one base class."""

from __future__ import annotations

__all__ = [
    "BasinsError",
    "InvalidArgument",
    "ActivationError",
    "NotApplicable",
    "HypothesisFailed",
    "CaseFormatError",
    "VerificationFailed",
]


class BasinsError(Exception):
    """Base class of every error basins raises on purpose."""


class InvalidArgument(BasinsError, ValueError):
    """An argument has a bad value (its name and value are in the message)."""


class ActivationError(InvalidArgument):
    """An activation expression cannot be parsed or is not allowed."""


class NotApplicable(BasinsError):
    """A theorem's hypothesis does not hold, so the construction is refused.

    ``theorem`` names the result whose hypothesis failed and ``hypothesis``
    the hypothesis itself, so that callers can react to the rule.
    """

    def __init__(self, message: str, *, theorem: str = "", hypothesis: str = ""):
        super().__init__(message)
        self.theorem = theorem
        self.hypothesis = hypothesis


class HypothesisFailed(NotApplicable):
    """A numbered condition of a construction fails for the given inputs."""


class CaseFormatError(BasinsError, ValueError):
    """A case file is malformed, of an unknown schema, or inconsistent."""


class VerificationFailed(BasinsError):
    """A verification check failed; ``check`` names it."""

    def __init__(self, message: str, *, check: str = ""):
        super().__init__(message)
        self.check = check
