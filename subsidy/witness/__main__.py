"""``python -m subsidy.witness``: the command line of :mod:`subsidy.witness.cli`."""

from subsidy.witness.cli import main

if __name__ == "__main__":  # importing the module (a test walking the package) runs nothing
    raise SystemExit(main())
