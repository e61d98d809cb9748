import sys

from fullcycle.cli import main

sys.exit(main())
