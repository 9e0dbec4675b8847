"""Sphinx configuration of the lime_rs documentation (built by ``make docs``).

Offline by construction: no intersphinx, no remote theme assets, no web fonts;
tests/test_docs.py checks the built pages for outside URLs.
"""

# The installed package is documented (`make docs` runs `make develop` first, an
# editable install of python/): autodoc imports it, native extension included.
import lime_rs

project = "lime_rs"
author = "the lime_rs authors"
copyright = "the lime_rs authors"
release = lime_rs.__version__
version = release

extensions = [
    "myst_parser",  # guides in Markdown: readable on the repository's web view too
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the docstrings are Google style (lime's) and numpydoc style
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # explanation_schema.md starts at a level-1 title per table

# --- API reference ---------------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "undoc-members": False,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"  # types from the annotations, next to each parameter
autodoc_typehints_description_target = "documented"
autodoc_class_signature = "mixed"  # the class line shows __init__'s parameters
autoclass_content = "both"
autodoc_preserve_defaults = True
# Heavy optional dependencies are imported lazily by lime_rs; nothing to mock.
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = False

# --- HTML --------------------------------------------------------------------------
# pydata-sphinx-theme: the theme of numpy, scipy, pandas and scikit-learn's docs. It ships
# its CSS, JavaScript and icon fonts in the wheel; nothing is fetched when a page is viewed.
html_theme = "pydata_sphinx_theme"
html_title = f"lime_rs {release}"
html_static_path = ["_static"]
html_css_files = ["lime_rs.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "use_edit_page_button": False,
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_center": [],
    "footer_end": [],
    "secondary_sidebar_items": ["page-toc"],
    "pygments_light_style": "default",
    "pygments_dark_style": "monokai",
}
html_context = {"default_mode": "light"}
pygments_style = "default"
