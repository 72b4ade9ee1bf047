"""Sphinx configuration of the kubik documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Everything under ``generated/`` (the API reference, one page per CLI command,
the registry listing) is written by ``_ext/kubik_generate.py`` at the start
of every build, from the code itself, so it cannot drift.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_ext"))

import kubik  # noqa: E402

project = "kubik"
author = "the kubik authors"
copyright = "the kubik authors (MIT)"
release = version = kubik.__version__

extensions = [
    "myst_nb",                 # MyST Markdown pages and notebooks, executed at build time
    "sphinx.ext.autodoc",      # the API reference from the docstrings
    "sphinx.ext.mathjax",
    "kubik_generate",          # generated/: API pages, CLI pages, registries; docstring check
]

# MyST-NB: every tutorial is executed on each build; a cell that raises fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 120
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# MathJax from a local copy (the PyPI package django-static-mathjax ships MathJax 3's
# files; the site must render math without reaching the internet).
mathjax_path = "mathjax/tex-svg.js"
html_static_path = ["_build_static"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

html_theme = "alabaster"
html_title = f"kubik {release}"
html_theme_options = {"description": "backpropagation from building blocks", "fixed_sidebar": True,
                      "page_width": "1200px", "body_max_width": "none"}
exclude_patterns = ["tutorials/_cli.py", "_build", "_build_static", "README.md", "**.ipynb_checkpoints", "jupyter_execute"]
suppress_warnings = ["mystnb.unknown_mime_type"]
