"""The driver's two message forms, shared by every module so the words stay the driver's:
progress "[isobench] ..." and errors "isobench: error: ..." (exit 1), both on stderr."""
import sys


class Die(Exception):
    """An error that ends the command: the message (without prefix) and the exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def say(text):
    """Progress and warnings: '[isobench] TEXT' on stderr."""
    sys.stdout.flush()
    print(f"[isobench] {text}", file=sys.stderr, flush=True)


def error(text):
    """'isobench: error: TEXT' on stderr (the caller exits)."""
    sys.stdout.flush()
    print(f"isobench: error: {text}", file=sys.stderr, flush=True)


def die(text, status=1):
    """Raise Die: the CLI prints 'isobench: error: TEXT' and exits with status."""
    raise Die(text, status)
