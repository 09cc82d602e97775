"""``python -m pytest_woosim.cli``: the ``woosim`` console script without installing it."""

import sys

from pytest_woosim.cli import main

sys.exit(main())
