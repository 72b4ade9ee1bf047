"""``python -m kubik ...`` is the ``kubik`` command."""
import sys

from kubik.nets.cli import main

sys.exit(main())
