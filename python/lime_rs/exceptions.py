class LimeError(ValueError):
    """Raise for errors (lime's exception; also a ValueError)."""
