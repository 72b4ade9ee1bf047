"""``python -m nets ...`` is the ``kubik`` command."""
import sys

from .cli import main

sys.exit(main())
