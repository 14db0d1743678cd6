"""The `cadresim` command line, installed with the Python package."""

import signal
import sys

from . import _cadresim


def main() -> None:
    # Ctrl-C stops the command as it stops the binary (the default disposition: the process
    # ends at once, and resumable commands continue with --resume). Python's own handler
    # would only set a flag that a command running in Rust never reads.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_cadresim.main(sys.argv[1:]))


if __name__ == "__main__":
    main()
