"""``python -m collectives``: see :mod:`collectives.cli`."""

import sys

from collectives.cli import main

sys.exit(main())
