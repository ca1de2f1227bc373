"""Compression levels 1-9: named settings, as xz's, zstd's and lzma's presets.

A level chooses the model stages, the block methods the analyser may pick
and the rule that sizes the model's memory budget from the input's size;
:data:`LEVELS` holds them, and every other part of midicoth (the API's
``level=``, the command line's ``-1`` … ``-9``, the benchmark's
``python -m bench levels``, the tests) reads them from there. A stream records the level
it was written at (format 4, docs/FORMAT.md), for ``midicoth info``; a
decoder needs none of it, since the header also records the stages and the
budget themselves.

Level :data:`DEFAULT_LEVEL` (6) is what midicoth wrote before levels
existed: every stage, every block method, and :func:`auto_memory_mib`'s
budget (128 bytes of model per input byte, at most ``DEFAULT_MEMORY_MIB``).
Lower levels turn stages off and shrink the model to code faster; higher
ones give the model more memory for a smaller output. Compressing and
decompressing cost the same time at every level (the decoder runs the
model the encoder ran), and decoding a stream needs the memory its level
chose: at most :func:`memory_for` of an unknown size, the level's cap.

The values are the engine's to tune (``python -m bench levels``
measures them); a test checks that each level's output over a few corpus
files is smaller than the level below's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import _core
from ._checks import check_memory_mib, check_modes, check_stages
from .format import SOLID_BLOCK_SIZE

__all__ = ["DEFAULT_LEVEL", "LEVELS", "Level", "auto_memory_mib", "memory_for"]


def _budget(size: int | None, cap: int, per_byte: int) -> int:
    """The smallest power of two (MiB) of at least ``per_byte`` bytes per
    input byte, between ``MIN_MEMORY_MIB`` and ``cap``; ``cap`` for an
    unknown ``size``. The one rule behind :func:`memory_for` and
    :func:`auto_memory_mib`."""
    if size is None:
        return cap
    mib = _core.MIN_MEMORY_MIB
    while mib < cap and mib << 20 < size * per_byte:
        mib *= 2
    return min(mib, cap)


@dataclass(frozen=True)
class Level:
    """The settings one compression level stands for.

    Raises :class:`ValueError` for settings the engine would refuse (a stage
    set it does not take, modes outside ``MODE_ALL``, a cap that is not a
    valid memory budget) or that would break the promise that every door
    writes the same bytes, so that a table that cannot be used fails at
    import time, not when that level is first used. That promise needs the
    cap to be reached by every input longer than :data:`SOLID_BLOCK_SIZE`:
    a streaming compressor that holds one such block without knowing the
    total length must choose the budget that :func:`midicoth.compress`,
    which knows it, chooses.
    """

    stages: int
    """Model stages on besides PPM: a combination of ``STAGE_*``."""
    modes: int
    """Block methods the analyser may pick: a combination of ``MODE_*``."""
    memory_cap_mib: int
    """The largest memory budget (MiB) the level gives a model: a budget
    the engine takes (``_core.memory_valid``). An input of unknown size
    gets it."""
    memory_per_byte: int
    """Model memory per input byte the budget aims for (see :func:`memory_for`)."""
    summary: str
    """One line for people: what the level trades, as ``--help`` lists it."""

    def __post_init__(self) -> None:
        check_stages("a level's stages", self.stages)
        check_modes("a level's modes", self.modes)
        check_memory_mib("a level's memory cap", self.memory_cap_mib)
        if self.memory_per_byte < 1:
            raise ValueError(f"a level's memory per byte is positive, not {self.memory_per_byte}")
        if _budget(SOLID_BLOCK_SIZE + 1, self.memory_cap_mib, self.memory_per_byte) != (
            self.memory_cap_mib
        ):
            raise ValueError(
                f"a level's memory cap ({self.memory_cap_mib} MiB) must be reached by "
                f"{SOLID_BLOCK_SIZE + 1} bytes at {self.memory_per_byte} bytes per byte"
            )
        if not self.summary or "\n" in self.summary:
            raise ValueError("a level's summary is one line")


_MATCH, _WORD, _HIGHCTX = _core.STAGE_MATCH, _core.STAGE_WORD, _core.STAGE_HIGHCTX
_TWEEDIE, _MIX, _APM = _core.STAGE_TWEEDIE, _core.STAGE_MIX, _core.STAGE_APM
_LEAN = _core.STAGE_LEAN
_EVERY = _MATCH | _WORD | _HIGHCTX | _TWEEDIE | _MIX | _APM  # model 6's ALL_STAGES
_MODES = _core.MODE_ALL

# Chosen with `python -m bench levels` (bench/results/levels.md): each
# level's total over Canterbury + Calgary below the one before's, each a
# point where no other stage set and budget measured was both smaller and
# faster. Keep level 6 the engine's defaults (a test checks it).
LEVELS: Mapping[int, Level] = MappingProxyType(
    {
        # level: Level(stages, modes, memory cap MiB, memory per input byte, summary)
        1: Level(_LEAN, _MODES, 16, 32, "fastest: the lean model alone (no PPM), 16 MiB"),
        2: Level(_LEAN | _MATCH, _MODES, 16, 32, "the lean model and the match model, 16 MiB"),
        3: Level(_LEAN | _MATCH, _MODES, 64, 64, "level 2 with up to 64 MiB"),
        4: Level(_MATCH | _MIX | _APM, _MODES, 64, 128, "PPM, match, mixer and map, up to 64 MiB"),
        5: Level(
            _EVERY & ~_HIGHCTX, _MODES, 64, 128, "adds word model and calibrator, up to 64 MiB"
        ),
        6: Level(_EVERY, _MODES, 256, 128, "the default: every stage, up to 256 MiB"),
        7: Level(_EVERY, _MODES, 512, 256, "every stage, up to 512 MiB"),
        8: Level(_EVERY, _MODES, 1024, 512, "every stage, up to 1 GiB"),
        9: Level(_EVERY, _MODES, 1024, 1024, "every stage, 1 GiB from 1 MiB of input"),
    }
)
"""The compression levels by number, 1 (fastest) to 9 (smallest output).

Each :class:`Level` names the model stages it runs (levels 1-3 the lean
model, which has no PPM; 4-9 PPM and more stages, 6-9 every stage), the block methods the analyser may pick,
and its memory rule: the budget is the smallest power of two of at least
``memory_per_byte`` bytes per input byte, at most ``memory_cap_mib``
(:func:`memory_for`). Decoding a stream takes the budget it was written
with; every cap here is within the decoder's default memory limit
(``DEFAULT_MEMLIMIT``, 1 GiB), so every level decodes without ``-M``."""

DEFAULT_LEVEL = 6
"""The level used when neither a level nor any explicit setting is given.
The settings a call leaves out (say ``modes`` when only ``stages`` is
given) are this level's."""


def lookup(number: object) -> Level:
    """The :class:`Level` numbered ``number``; :class:`ValueError` naming
    the range for anything else (a bool, a float, a string are no levels).
    The one check of a level number, for :func:`memory_for` and the API."""
    if isinstance(number, int) and not isinstance(number, bool) and number in LEVELS:
        return LEVELS[number]
    raise ValueError(f"level must be from {min(LEVELS)} to {max(LEVELS)}, not {number!r}")


def memory_for(level: int | Level, size: int | None) -> int:
    """The memory budget (MiB) ``level`` (a number of :data:`LEVELS`, or a
    :class:`Level`) gives an input of ``size`` bytes (None: unknown).

    Tables larger than the input can fill cost time (every page must be
    zeroed) and buy little, so a known size gets the smallest power of two
    of at least ``memory_per_byte`` bytes per input byte, between
    ``MIN_MEMORY_MIB`` and the level's ``memory_cap_mib``; an unknown size
    gets the cap. Raises :class:`ValueError` for a number that is no level.
    """
    if not isinstance(level, Level):
        level = lookup(level)
    return _budget(size, level.memory_cap_mib, level.memory_per_byte)


def auto_memory_mib(size: int | None, cap: int = _core.DEFAULT_MEMORY_MIB) -> int:
    """The memory budget (MiB) chosen for ``size`` input bytes, at most ``cap``:
    :data:`DEFAULT_LEVEL`'s rule (:func:`memory_for`, with that level's
    memory per byte) under another cap; an unknown size (``None``) gets
    ``cap``. With the default cap this is the budget of a compressor given
    ``stages`` or ``modes`` but neither a level nor ``memory_mib``."""
    return _budget(size, cap, LEVELS[DEFAULT_LEVEL].memory_per_byte)
