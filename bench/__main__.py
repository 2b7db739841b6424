"""`make bench`: run every benchmark and print one table."""

from bench import animals_import, audit_verify, decisions, flags_scale, lock_hold, rush, scale
from bench.common import print_table


def main() -> None:
    figures = []
    for module in (decisions, audit_verify, scale, rush, lock_hold, animals_import, flags_scale):
        figures += module.run()
    print_table(figures)


if __name__ == "__main__":
    main()
