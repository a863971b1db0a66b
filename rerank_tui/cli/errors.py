"""The errors the commands report: one line on stderr, no traceback.

Exit statuses: 0 done; 2 usage and bad input (`UserError`: a missing path, a bad line in a
file, an unknown option); 1 a failure at run time (`RunFailure`: the server is down, the model
failed to load or to score); 130 interrupted (Ctrl-C).
"""

from contextlib import contextmanager

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A problem with what the user gave; printed as one line, exit status 2."""

    exit_status = EXIT_USAGE


class RunFailure(UserError):
    """Something failed while running (a server, a model), not the input; exit status 1."""

    exit_status = EXIT_FAILURE


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


def model_error(exc: Exception, prefix: str = "") -> UserError:
    """A reranker's or embedder's error as the CLI reports it: a model that is not there or a
    backend that is not installed is the user's to fix (status 2); anything else failed while
    running (status 1: a server down, out of memory, a bad answer)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    fixable = bool(names & {"ModelNotFoundError", "EmbedModelNotFoundError", "BackendUnavailableError", "EmbedBackendUnavailableError"})
    message = f"{prefix}{exc}"
    return UserError(message) if fixable else RunFailure(message)
