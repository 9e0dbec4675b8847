"""lime_rs: a Rust-accelerated, drop-in replacement for lime.

Use ``lime_rs`` wherever you used ``lime``::

    from lime_rs.lime_tabular import LimeTabularExplainer
"""

from lime_rs._native import __version__

__all__ = ["__version__"]
