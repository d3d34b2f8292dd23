"""A result computed once per batch tensor, for the replayed forward of SAM."""
import weakref
from typing import Any, Callable, Hashable, Optional, Tuple

import torch


class BatchCache:
    """Holds the result of one computation on one batch tensor.

    ``SAMOptimWrapper`` runs a model's forward twice per step: its second pass replays
    the recorded call on the very same batch tensor at the perturbed weights. Work
    that depends on the batch only (a frozen teacher's logits) or that must happen once
    per step (PaCo's momentum update and queue push) is done on the first call and the
    result reused on the replay.

    The entry is keyed by a weak reference to the tensor (it keeps nothing alive, and a
    new batch never matches, even at a recycled address), the tensor's version counter
    (an in-place change invalidates it) and an optional ``state`` (e.g. the autocast
    state the result was computed under). Only the last batch is held.
    """

    def __init__(self):
        self._entry: Optional[Tuple[weakref.ref, Tuple[int, Hashable], Any]] = None

    def get(self, tensor: torch.Tensor, compute: Callable[[], Any],
            state: Hashable = None) -> Any:
        """``compute()``'s result for ``tensor`` in ``state``; computed on the first call.

        Args:
            tensor (Tensor): the batch the result belongs to.
            compute (callable): computes the result (called at most once per entry).
            state (hashable, optional): anything else the result depends on.
        """
        key = (tensor._version, state)
        entry = self._entry
        if entry is not None and entry[0]() is tensor and entry[1] == key:
            return entry[2]
        value = compute()
        self._entry = (weakref.ref(tensor), key, value)
        return value

    @property
    def value(self) -> Any:
        """The held result, None if there is none."""
        return None if self._entry is None else self._entry[2]

    def clear(self) -> None:
        """Forget the held result (the next call computes)."""
        self._entry = None
