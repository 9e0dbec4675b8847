"""lime_rs: a Rust-accelerated, drop-in replacement for lime.

Use ``lime_rs`` wherever you used ``lime``::

    from lime_rs.lime_tabular import LimeTabularExplainer
"""

from lime_rs._native import __version__
from lime_rs._validation import threads_from_env

threads_from_env()  # warns once about an invalid LIME_RS_NUM_THREADS (the pool ignores it)

__all__ = ["__version__"]
