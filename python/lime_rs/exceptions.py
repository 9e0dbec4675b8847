"""Exceptions of lime_rs.

``LimeError`` is lime's exception. Errors from the native core are raised as
one subclass per variant of the core's error enum (``src/error.rs``); every
one is also a ``ValueError``, so existing ``except ValueError`` clauses keep
working.
"""

__all__ = ["InvalidValueError", "LimeError", "NonFiniteError", "NumericalError", "ShapeError"]


class LimeError(ValueError):
    """Raise for errors (lime's exception; also a ValueError)."""


class ShapeError(LimeError):
    """An argument has the wrong shape or length."""


class NonFiniteError(LimeError):
    """An argument holds NaN or infinity."""


class InvalidValueError(LimeError):
    """An argument has a value outside its valid range."""


class NumericalError(LimeError):
    """The numbers admit no answer (for example, every sample weight is zero)."""
