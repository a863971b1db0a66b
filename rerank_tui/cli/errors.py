"""The one kind of error the commands report: a line on stderr, exit status 2, no traceback."""

from contextlib import contextmanager

EXIT_USAGE = 2


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


@contextmanager
def reading(path, what: str = ""):
    """Turn a bad input file (`FILE:LINE: message`) or one that cannot be read into a UserError.

    `what` names the file in the second case ("queries file": `cannot read queries file F: …`)."""
    from rerank_tui.session.judgment_readers import JudgmentFileError

    try:
        yield
    except JudgmentFileError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        name = f"{what} " if what else ""
        raise UserError(f"cannot read {name}{exc.filename or path}: {exc.strerror or exc}") from None
