"""``python -m widenets`` is the ``widenets`` command."""
import sys

from widenets.reproduce.cli import main

sys.exit(main())
