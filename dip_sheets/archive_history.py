"""The archived versions as the update history needs them, read from the published site.

Split from :mod:`dip_sheets.publish` so that publishing reads the archive in one place: each version
from the summary its manifest stores (:func:`dip_sheets.history.summary`), its ``dip.json`` only when
a render needs its records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .history import PastVersion, Record, from_summary
from .messages import Message
from .site import ARCHIVE, Manifest
from .switch import Progress
from .targets import Target


def past_versions(target: Target, archived: Sequence[Manifest], progress: Progress) -> list[PastVersion]:
    """Every archived version, for the update history (``riwayat.html``).

    A version whose manifest stores its changes costs nothing more here: its ``dip.json`` is read
    only if the render iterates its records. One without (published before summaries were kept) is
    read now, as before; a damaged archive entry is reported and left out of the history.
    """
    history = []
    for manifest in archived:
        path = f"{ARCHIVE}/{manifest.version}/dip.json"
        try:
            if manifest.history is not None:
                history.append(from_summary(manifest.version, manifest.published_at, manifest.history,
                                            _records_of(target, path, progress)))
                continue
            data = target.read(path)
            if data is not None:
                history.append(PastVersion.from_dip_json(data))
        except ValueError as problem:
            progress(Message(f"  riwayat: {problem}", f"  history: {problem}"))
    return history


def _records_of(target: Target, path: str, progress: Progress) -> Callable[[], Sequence[Record]]:
    """Reads an archived version's records when first needed; a damaged one counts as empty."""
    def load() -> Sequence[Record]:
        data = target.read(path)
        try:
            return PastVersion.from_dip_json(data).records if data is not None else ()
        except ValueError as problem:
            progress(Message(f"  riwayat: {problem}", f"  history: {problem}"))
            return ()
    return load
