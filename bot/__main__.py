"""`python -m bot` is the `contestbot` command."""

import sys

from bot.cli.main import main

sys.exit(main())
