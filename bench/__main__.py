"""`make bench`: run every benchmark and print one table."""

from bench import audit_verify, decisions
from bench.common import print_table


def main() -> None:
    figures = []
    for module in (decisions, audit_verify):
        figures += module.run()
    print_table(figures)


if __name__ == "__main__":
    main()
