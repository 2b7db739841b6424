"""``python -m subsidy.witness``: the command line of :mod:`subsidy.witness.cli`."""

from subsidy.witness.cli import main

raise SystemExit(main())
