"""The `cadresim` command line, installed with the Python package."""

import sys

from . import _cadresim


def main() -> None:
    sys.exit(_cadresim.main(sys.argv[1:]))


if __name__ == "__main__":
    main()
