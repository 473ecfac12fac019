"""Deployed versions' scorers as bundles in the artifact store: a pickled Scorer stored under
its content's digest (the routing table names each version's), written by the control plane
and loaded by every scoring process on its own, through its host's cache when the store is a
bucket (decision 0039). Nothing is shared as a folder."""

from __future__ import annotations

import pickle
import threading

from designer.engine.store import ArtifactError, ArtifactStore
from designer.serving.scorer import Scorer


class BundleError(Exception):
    """A deployed bundle cannot be loaded (missing, damaged, or from an incompatible release)."""


def put(store: ArtifactStore, scorer: Scorer) -> str:
    """Store a scorer's bundle; its digest."""
    return store.put(pickle.dumps(scorer, protocol=pickle.HIGHEST_PROTOCOL))


def load(store: ArtifactStore, digest: str) -> Scorer:
    """The scorer a bundle holds (BundleError when it cannot be read or is not a scorer)."""
    try:
        data = store.get(digest)
    except (ArtifactError, OSError, ValueError) as exc:
        raise BundleError(f"the bundle cannot be read ({exc})") from exc
    try:
        scorer = pickle.loads(data)
    except Exception as exc:  # a damaged or incompatible bundle: say so, never crash the call
        raise BundleError(f"the bundle cannot be loaded ({type(exc).__name__})") from exc
    if not isinstance(scorer, Scorer):
        raise BundleError("the bundle does not hold a scorer")
    return scorer


class Loaded:
    """The scorers one process holds warm, by bundle digest. A version deployed again names
    another digest in the next routing table, which is loaded then; `keep` drops the scorers
    a table no longer names. Safe to call from several threads (one load per digest)."""

    def __init__(self, store: ArtifactStore):
        self.store = store
        self._scorers: dict[str, Scorer] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Scorer:
        """The warm scorer of a bundle (BundleError when it cannot be loaded)."""
        scorer = self._scorers.get(digest)
        if scorer is None:
            with self._lock:
                scorer = self._scorers.get(digest)
                if scorer is None:
                    scorer = self._scorers[digest] = load(self.store, digest)
        return scorer

    def keep(self, digests: set[str]) -> None:
        """Drop the scorers of every bundle not in `digests`."""
        with self._lock:
            for digest in set(self._scorers) - digests:
                del self._scorers[digest]

    def digests(self) -> list[str]:
        """The bundles this process holds."""
        return sorted(self._scorers)
