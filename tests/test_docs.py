"""The documentation: its examples run, its site builds warning-free and offline, and
it renders in a real browser.

* Every guide's ```python blocks (docs/index.md and docs/guides/*.md) run in order, in one
  namespace per page, against the importable lime_rs, in a scratch directory where
  ``tests/data`` is reachable as in the repository. A block written as a MyST
  ``{code-block} python`` directive is shown but not run (notebook-only code).
* The Sphinx site builds with ``-W --keep-going`` (warnings are errors), its pages load no
  outside resource (stylesheet, script, font, ``@import``), and headless chromium draws the
  landing page and a guide: not blank, text and highlighted code present.

The build needs the doc dependencies (``make docs`` installs them into .venv; ``make test``
depends on them); without Sphinx the build tests fail, they are never skipped.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from _batch_helpers import CHROMIUM_FLAGS

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDES = sorted(p for p in (DOCS / "guides").glob("*.md") if p.name != "index.md")
PAGES = [DOCS / "index.md", *GUIDES]
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The (first line number, source) of each ```python block of a Markdown page."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m["fence"], m["info"].strip()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(m["indent"]) :])
            i += 1
        i += 1  # the closing fence
        if info.split()[:1] == ["python"]:
            blocks.append((start + 1, "\n".join(body) + "\n"))
    return blocks


def test_python_blocks_parser():
    page = "x\n```python\na = 1\n```\n\n```{code-block} python\nnot run\n```\n```bash\nls\n```\n"
    assert python_blocks(page) == [(3, "a = 1\n")]


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_guide_runs(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks = python_blocks(page.read_text(encoding="utf8"))
    assert blocks, f"{page.name} has no python code block"
    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    try:
        for line, source in blocks:
            # Pad so that a traceback names the line of the page.
            code = compile("\n" * (line - 1) + source, str(page), "exec")
            exec(code, namespace)  # noqa: S102 - the documentation's own examples
    finally:
        plt.close("all")


PUBLIC_MODULES = [
    "lime_rs",
    "lime_rs.lime_tabular",
    "lime_rs.lime_text",
    "lime_rs.lime_image",
    "lime_rs.lime_base",
    "lime_rs.explanation",
    "lime_rs.discretize",
    "lime_rs.submodular_pick",
    "lime_rs.wrappers.scikit_image",
    "lime_rs.exceptions",
    "lime_rs.stability",
    "lime_rs.dask",
    "lime_rs.utils.generic_utils",
]


def test_api_pages_cover_the_public_modules():
    """Every public module has its page in docs/api (and nothing else is there)."""
    pages = {p.stem for p in (DOCS / "api").glob("*.rst")} - {"index"}
    assert pages == {m.removeprefix("lime_rs.") for m in PUBLIC_MODULES[1:]}
    toc = (DOCS / "api" / "index.rst").read_text(encoding="utf8")
    for page in pages:
        assert f"   {page}\n" in toc


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_docstring_examples(module, tmp_path, monkeypatch):
    """``>>>`` examples in the public modules' docstrings run and print what they show."""
    import doctest
    import importlib

    monkeypatch.chdir(tmp_path)
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    for test in finder.find(mod, module):
        parts = test.name[len(module) :].split(".")
        if any(p.startswith("_") and not p.endswith("__") for p in parts):
            continue  # private helpers' docstrings are not documentation
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {module} failed"


# ---- the site -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """sphinx-build of docs/ into a scratch directory, warnings as errors; with
    --keep-going the pages are written even when a warning fails the build, so the
    offline and browser checks still look at them."""
    try:
        import myst_parser  # noqa: F401
        import pydata_sphinx_theme  # noqa: F401
        import sphinx  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"the doc dependencies are not installed ({exc}); run `make docs-deps`")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, PYTHONWARNINGS="ignore")  # Sphinx's own deprecation noise
    res = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-E", "-q"]
        + [str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    return out, res


@pytest.fixture(scope="module")
def site(build):
    out, res = build
    if not (out / "index.html").is_file():
        pytest.fail(f"sphinx-build wrote no site:\n{res.stderr[-6000:]}")
    return out


def test_site_builds_without_warnings(build):
    """`make docs` runs the same build: a warning (a broken docstring, a page outside the
    toctrees, a dead cross-reference) fails it."""
    _, res = build
    assert res.returncode == 0, f"sphinx-build warned or failed:\n{res.stderr[-6000:]}"


def test_site_has_every_page(site):
    assert (site / "index.html").is_file()
    for page in GUIDES:
        assert (site / "guides" / f"{page.stem}.html").is_file()
    for module in ("lime_tabular", "lime_text", "lime_image", "explanation", "dask"):
        html = (site / "api" / f"{module}.html").read_text(encoding="utf8")
        assert f"lime_rs.{module}" in html
    api = (site / "api" / "lime_tabular.html").read_text(encoding="utf8")
    assert "explain_instances" in api and "LimeTabularExplainer" in api


OUTSIDE = re.compile(
    r"""<(?:link|script|img|iframe)\b[^>]*\b(?:href|src)\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_outside_url_pattern():
    fetches = [
        '<link rel="stylesheet" href="https://cdn.example/x.css">',
        "<script src='//cdn.example/x.js'></script>",
        '@import url("https://fonts.example/css?family=Lato");',
        "src: url(https://fonts.example/lato.woff2) format('woff2');",
    ]
    local = [
        '<link href="_static/styles/theme.css" rel="stylesheet" />',
        '<script src="_static/doctools.js"></script>',
        '@import "../basic.css";',
        '<a href="https://github.com/marcotcr/lime">lime</a>',  # a link, not a fetch
    ]
    assert all(OUTSIDE.search(t) for t in fetches)
    assert not any(OUTSIDE.search(t) for t in local)


def test_site_is_offline(site):
    """No page, stylesheet or script loads anything from outside the site."""
    offenders = []
    for path in site.rglob("*"):
        if path.suffix not in {".html", ".css", ".js"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf8", errors="replace")
        for m in OUTSIDE.finditer(text):
            offenders.append(f"{path.relative_to(site)}: {text[m.start() : m.start() + 120]!r}")
    assert not offenders, "\n".join(offenders[:20])


# ---- the site in a real browser ---------------------------------------------------------


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless chromium is needed (`make chromium` installs Debian's chromium)")


def _screenshot(site, page, out, tmp_path):
    import matplotlib.image as mpimg

    res = subprocess.run(
        [
            _chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,900",
            f"--screenshot={out}",
            (site / page).as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert res.returncode == 0 and out.is_file(), res.stderr[-2000:]
    img = mpimg.imread(out)[..., :3].astype(float)
    assert img.shape[:2] == (900, 1200)
    return img


@pytest.mark.browser
@pytest.mark.parametrize("page", ["index.html", "guides/tabular.html"])
def test_site_in_the_browser(site, page, tmp_path):
    shot = tmp_path / (page.replace("/", "_") + ".png")
    img = _screenshot(site, page, shot, tmp_path)
    keep = os.environ.get("LIME_RS_DOCS_SCREENSHOTS")  # a directory to keep them in
    if keep:
        pathlib.Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, pathlib.Path(keep) / shot.name)
    assert img.var() > 0.005, "blank page"
    dark = np.all(img < 0.35, axis=-1).mean()  # text
    assert dark > 0.005, "no text drawn"
    # Highlighted code: pixels clearly coloured (not grey), as Pygments' styles draw
    # keywords, strings and names; a page of unstyled code has (almost) none.
    saturation = img.max(axis=-1) - img.min(axis=-1)
    assert (saturation > 0.3).mean() > 0.0005, "no highlighted code"
