"""`make bench`: run every benchmark and print one table."""

from bench import audit_verify
from bench.common import print_table


def main() -> None:
    figures = []
    for module in (audit_verify,):
        figures += module.run()
    print_table(figures)


if __name__ == "__main__":
    main()
