"""The ``dfl-finance`` command line. It holds no model logic: it calls the public API and prints.

Exit status: 0 success, 2 bad input (invalid scenario, missing file, bad option, an output folder that cannot be
written), never a traceback for input a user can get wrong; 1 when standard output cannot be written (a full disk);
141 (128 + SIGPIPE, as coreutils) when the reader of standard output went away before the output was written, as in
``dfl-finance run ... | true``.

The parts: :mod:`~dfl_finance.cli.parser` (commands and options), :mod:`~dfl_finance.cli.commands` (what each
command does), :mod:`~dfl_finance.cli.render` (what it prints).
"""

from __future__ import annotations

import gc
import os
import sys

from dfl_finance.cli.commands import EXIT_INPUT, EXIT_OK, in_flags
from dfl_finance.cli.parser import build_parser
from dfl_finance.errors import DflFinanceError

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_INPUT", "EXIT_OK", "EXIT_OUTPUT", "build_parser", "main"]

EXIT_OUTPUT = 1  # standard output could not be written
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except DflFinanceError as exc:
        print(in_flags(exc), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    light = argv is None and sys.argv[1:2] == ["validate"]
    if light:
        # a short process that builds pydantic's models and ends: the cyclic garbage collector, which runs many
        # times while the models are built and frees nothing that matters before the end, is off (about 7 ms of
        # validate's 140; issue 21), and the process ends at once (_exit_now)
        gc.disable()
    elif argv is None:  # a command run as a program, which ends with its command: the engine's freed arrays are
        # kept for its next ones (issue 21: a third of the engine's time at 10,000 draws; dfl_finance.memory)
        from dfl_finance.memory import keep_freed_memory

        keep_freed_memory()
    code = _guarded(argv)
    if light:
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """Flush standard output and error, then end the process with ``code`` at once (``os._exit``): the objects are
    not freed one by one, which the operating system does at once when the process ends. For ``validate`` run as a
    program (``argv`` None; a caller in Python gets its status back as before): it prints and holds no other file,
    thread or exit handler, and Python's teardown of the modules it loads (pydantic's models and schemas) is about
    16 ms of its 140 (issue 21: under twice a bare ``import numpy``)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away, or a closed stream: as main's own handling
            code = code or EXIT_OUTPUT
    os._exit(code)


def _guarded(argv: list[str] | None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader that went away (`| head`) shows here at the latest
    except BrokenPipeError:
        # as the Python docs advise (signal module, "Note on SIGPIPE"): point stdout at devnull so that the final
        # flush at exit cannot fail again, and end quietly
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # standard output cannot be written (a full disk, /dev/full): say so, no traceback
        _silence_stdout()
        try:
            print(f"error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        except OSError:
            pass
        return EXIT_OUTPUT


def _silence_stdout() -> None:
    """Point standard output at devnull, so that the flush at exit cannot fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # stdout is not a real file (tests)
        pass
