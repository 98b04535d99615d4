"""A run of one action over many offices (``dip … --all``, several ``[[register]]`` entries).

:func:`run_offices` runs one action for several offices: one office's failure never stops the
others, each run of ``sync`` and ``publish`` leaves a line in the run log, under cron a run that
found another one holding the lock stays silent and a register that stays busy is reported once
(:mod:`dip_sheets.cron`), and the exit code is the worst one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from . import cron
from .config import Config
from .errors import ConfigError, DipError
from .messages import Message
from .office import Office
from .runlog import run_logger, summary_line

#: commands whose runs leave a line in the run log (read-only ones do not).
LOGGED = ("sync", "publish")



def select(configs: Sequence[Config], name: str | None = None, *, every: bool = False) -> list[Config]:
    """The register called ``name``; else all of them, which must be asked for (``every``) when the
    configuration has several, so a command never runs for more offices than meant."""
    if name:
        chosen = [c for c in configs if c.name == name]
        if not chosen:
            names = ", ".join(c.name for c in configs)
            raise ConfigError(
                f"Register '{name}' tidak ada di konfigurasi (ada: {names}).",
                f"Register '{name}' is not configured (configured: {names}).",
            )
        return chosen
    if len(configs) > 1 and not every:
        names = ", ".join(c.name for c in configs)
        raise ConfigError(
            f"Konfigurasi memuat beberapa register ({names}); pilih dengan --register NAMA atau"
            " gunakan --all.",
            f"The configuration has several registers ({names}); choose one with --register NAME"
            " or use --all.",
        )
    return list(configs)


class Result(Protocol):
    """What every action of :class:`Office` returns: its ``--json`` document and run log line."""

    def summary(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Result)


@dataclass
class Outcome(Generic[R]):
    """How one office's run ended: a result, or the error that stopped it."""

    office: Office
    result: R | None = None
    error: DipError | None = None
    #: False when the error is not worth printing (under cron: another run holds the lock, or the
    #: register is still busy since a run that already said so).
    reported: bool = True
    #: what to say before the result (under cron: the register works again).
    notices: list[Message] = field(default_factory=list)


@dataclass
class Run(Generic[R]):
    outcomes: list[Outcome[R]]

    @property
    def exit_code(self) -> int:
        """The worst exit code of all offices (0 when all of them succeeded)."""
        return max((o.error.exit_code for o in self.outcomes if o.error is not None), default=0)


def run_offices(offices: Sequence[Office], action: Callable[[Office], R], *, command: str,
                cron_run: bool = False, on_start: Callable[[Office], None] = lambda _: None,
                on_done: Callable[[Outcome[R]], None] = lambda _: None) -> Run[R]:
    """Run ``action`` for each office in turn; a :class:`DipError` ends that office's run only.

    ``command`` names the run in the run log (only ``sync`` and ``publish`` leave a line there);
    ``cron_run`` applies cron's rules (see the module docstring). ``on_start`` is called before an
    office runs and ``on_done`` with each outcome as soon as it is known, so a front end can print
    as the run goes.
    """
    outcomes: list[Outcome[R]] = []
    for office in offices:
        on_start(office)
        config = office.config
        logger = run_logger(config.state_dir) if command in LOGGED else None
        try:
            result = action(office)
        except DipError as error:
            if logger is not None:
                logger.warning(f"{command} {office.name}: {error.message('id')}")
            reported = not cron_run or cron.worth_reporting(config.state_dir, office.name, error,
                                                           config.now())
            outcome: Outcome[R] = Outcome(office, error=error, reported=reported)
        else:
            if logger is not None:
                logger.info(summary_line(command, office.name, result.summary()))
            again = cron.back_to_normal(config.state_dir, office.name) if cron_run else None
            outcome = Outcome(office, result, notices=[again] if again is not None else [])
        outcomes.append(outcome)
        on_done(outcome)
    return Run(outcomes)
