"""``python -m naslib_zero.cli``: the same as the ``naslib-zero`` command."""

import sys

from naslib_zero.cli.main import main

sys.exit(main())
