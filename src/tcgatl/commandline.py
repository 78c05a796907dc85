"""How the command-line tools answer a bad input: one line on stderr that names the file and the
problem, and exit status 2 (argparse's, for a bad command line), never a traceback.

What counts as a bad input is decided per tool and per stage, not by catching everything: the
library's own :class:`~tcgatl.errors.InputError` and :class:`~tcgatl.errors.ConfigError`
always; ``OSError`` (a file missing, unreadable, or an output folder not writable) always; and a
plain ``ValueError`` only where a tool reads the user's files (a parser's complaint about the
file), or one the library raised itself (:func:`raised_by_library`: it says what is wrong with
the data), because one from inside numpy, scikit-learn or Keras elsewhere is a bug, whose
traceback is what a report needs.
"""

from __future__ import annotations

import sys

from .errors import ConfigError, InputError

# Always the user's to fix.
USER_ERRORS = (InputError, ConfigError, OSError)
# While reading the user's files: parsers (pandas, pyarrow, json, yaml) say ValueError.
READING_ERRORS = (*USER_ERRORS, ValueError)

EXIT_BAD_INPUT = 2


def raised_by_library(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by this library's own code (its innermost frame is in a
    ``tcgatl`` module): a message written for the user, not a failure inside a dependency."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return str(tb.tb_frame.f_globals.get("__name__", "")).startswith("tcgatl.")


def describe(exc: BaseException, source=None) -> str:
    """The error as the user should read it, on one line (a config's errors excepted: one per
    problem): an OSError as 'FILE: reason' (its own text repeats the errno and quotes the name),
    anything else as its message; prefixed with ``source`` (the file being read, or what was
    being done) unless the text names it already."""
    if isinstance(exc, OSError) and exc.filename is not None:
        where = f"{exc.filename} -> {exc.filename2}" if exc.filename2 is not None else f"{exc.filename}"
        text = f"{where}: {exc.strerror or exc}"
    else:
        text = str(exc) or type(exc).__name__
    if not isinstance(exc, ConfigError):  # which lists every problem of a config, one a line
        text = " ".join(text.split())  # YAML's and parsers' messages span lines
    if source is not None and str(source) not in text:
        text = f"{source}: {text}"
    return text


def fail(prog: str, exc: BaseException, source=None) -> int:
    """Print ``prog: error: message`` to stderr (see :func:`describe`); return the exit status."""
    print(f"{prog}: error: {describe(exc, source)}", file=sys.stderr)
    return EXIT_BAD_INPUT
