"""Exception and warning hierarchy.

Three kinds of failure (see ``STYLE.md``): bad input raises :class:`InputError` at once
(the CLI turns it into exit code 2); a soft numerical problem returns a result with a status
and emits a :class:`FitWarning`; a hard failure raises :class:`FitError`, which carries
what is known (exit code 1 in the CLI).
"""

from __future__ import annotations


class ScalingLawsError(Exception):
    """Root of every error raised by scalinglaws."""


class InputError(ScalingLawsError, ValueError):
    """The user's input (data, law, option) is invalid; the message says what to do."""


class DataError(InputError):
    """A table or ``dataset.toml`` cannot be used as given."""


class LawError(InputError):
    """An unknown law, a malformed formula or an invalid parameter specification."""


class FitError(ScalingLawsError, RuntimeError):
    """A fit failed outright (no finite objective from any start)."""


class ScalingLawsWarning(UserWarning):
    """Root of every warning emitted by scalinglaws."""


class FitWarning(ScalingLawsWarning):
    """A fit finished with a soft problem: a parameter at a bound, ill-conditioning."""


class DataWarning(ScalingLawsWarning):
    """Something in the data deserves attention (rows dropped by policy, duplicates)."""
