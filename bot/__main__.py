"""`python -m bot`: the same as the `milestone-bot` console script."""

import sys

from bot.runtime.cli import main

if __name__ == "__main__":
    sys.exit(main())
