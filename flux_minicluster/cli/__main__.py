"""``python -m flux_minicluster.cli``: the ``flux-minicluster`` command."""

import sys

from .main import main

sys.exit(main())
