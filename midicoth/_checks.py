"""The checks of the arguments that the API, the levels and the command line
take, each rule written once.

Which memory budgets and stage sets the engine takes is the core's rule:
these checks ask the core (:func:`midicoth._core.check_params`) and put the
argument's name in front of its message, so that the rule and its wording
live in the core alone. The other rules are the API's own: an int where one
is due, mode sets, the block sizes a writer takes, counts that cannot be
negative, and that a level excludes the settings it stands for. Which
numbers are levels is :func:`midicoth.levels.lookup`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _core
from .format import MAX_BLOCK_SIZE, MIN_BLOCK_SIZE


def check_int(name: str, value: Any) -> None:
    """TypeError unless ``value`` is an int (a bool is not)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def _ask_core(name: str, memory_mib: int, stages: int) -> None:
    """The core's check of an engine's parameters, its message led by ``name``."""
    try:
        _core.check_params(memory_mib, stages)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def check_memory_mib(name: str, memory_mib: Any) -> None:
    """TypeError unless an int; ValueError unless the engine takes this
    memory budget (MiB)."""
    check_int(name, memory_mib)
    _ask_core(name, memory_mib, _core.ALL_STAGES)  # the default stages: only the budget can fail


def check_stages(name: str, stages: Any) -> None:
    """TypeError unless an int; ValueError unless the engine takes this stage set."""
    check_int(name, stages)
    _ask_core(name, _core.MIN_MEMORY_MIB, stages)  # a budget every engine takes


def check_modes(name: str, modes: Any) -> None:
    """TypeError unless an int; ValueError unless a combination of the
    ``MODE_*`` flags (the block methods an analyser may pick)."""
    check_int(name, modes)
    if modes < 0 or modes & ~_core.MODE_ALL:
        raise ValueError(f"{name} must be a combination of the MODE_* flags, not {modes:#x}")


def check_block_size(block_size: Any) -> None:
    """A writer's block size: None, or an int of ``MIN_BLOCK_SIZE`` …
    ``MAX_BLOCK_SIZE`` bytes."""
    if block_size is None:
        return
    if not isinstance(block_size, int) or isinstance(block_size, bool):
        raise TypeError(f"block_size must be an int or None, not {type(block_size).__name__}")
    if not MIN_BLOCK_SIZE <= block_size <= MAX_BLOCK_SIZE:
        raise ValueError(
            f"block_size must be from {MIN_BLOCK_SIZE} to {MAX_BLOCK_SIZE} bytes, not {block_size}"
        )


def check_count(name: str, value: Any, *, optional: bool = False) -> None:
    """TypeError unless an int (or None, if ``optional``); ValueError if negative."""
    if value is None and optional:
        return
    check_int(name, value)
    if value < 0:
        raise ValueError(
            f"{name} must be non-negative{' or None' if optional else ''}, not {value}"
        )


def check_level_alone(level: str, settings: Mapping[str, Any]) -> None:
    """ValueError if any of ``settings`` (name: value, None when not given)
    is given with the level named ``level``: a level stands for them."""
    given = [name for name, value in settings.items() if value is not None]
    if given:
        raise ValueError(
            f"{level} and {' and '.join(given)} exclude each other: a level sets the "
            "stages, modes and memory (give one or the other)"
        )
