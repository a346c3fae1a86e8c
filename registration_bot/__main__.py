"""``python -m registration_bot`` is the ``registration-bot`` command."""

import sys

from .cli import main

sys.exit(main())
