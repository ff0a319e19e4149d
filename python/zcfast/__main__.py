"""``python -m zcfast``: the same as the ``zcfast`` command."""

import sys

from zcfast.cli import main

sys.exit(main())
