"""Type stubs for the native core (midicoth/_core.pyx).

The core knows nothing of containers: an Encoder turns bytes into coder
*segments*; a Decoder turns segments back. The model state carries on from
one segment to the next (a "solid" stream); each segment has its own
arithmetic-coder start and end, so the container can frame it with sizes
and a checksum. Both sides must be built with the same parameters.

Every rule on the parameters is the core's (csrc/midicoth.h), stated once
there; its refusals come here as exceptions: ValueError for a parameter or
damaged data, MemoryError when memory is short, each with the core's
message for the cause and, for a parameter, the offending value appended.
"""

from typing import TypeAlias

Buffer: TypeAlias = bytes | bytearray | memoryview

STAGE_MATCH: int  # match model (context lengths 4..16)
STAGE_WORD: int  # trie word model + bigrams
STAGE_HIGHCTX: int  # hashed contexts of orders 5..8
STAGE_TWEEDIE: int  # micro-diffusion calibrator
STAGE_MIX: int  # node mixer over the calibrated blend and binary context models
STAGE_APM: int  # final adaptive probability map
STAGE_LEAN: int  # the fast model (levels 1-3): binary context models and one mixer, no PPM;
# with it only STAGE_MATCH and STAGE_APM may be on
PAPER_STAGES: int  # the paper's pipeline alone (match | word | highctx | tweedie)
ALL_STAGES: int  # the default: every stage of the PPM pipeline on
KNOWN_STAGES: int  # every stage bit the engine knows (not every combination is valid)
MODEL_VERSION: int  # changes whenever the model changes what it emits
MIN_MEMORY_MIB: int
MAX_MEMORY_MIB: int
DEFAULT_MEMORY_MIB: int
MAX_EXPANSION: int  # a segment of n bytes codes to at most n * MAX_EXPANSION + 8 bytes
MODE_RECORD: int  # block mode: contexts a record period (or a line) up, and the column
MODE_SPARSE: int  # block mode: contexts that skip bytes (fields of 16/32/64-bit numbers)
MODE_X86: int  # block mode: x86 CALL/JMP targets made absolute (x86_encode)
MODE_ALL: int
MAX_PERIOD: int  # the largest record period

def check_params(memory_mib: int, stages: int) -> None:
    """Raise ValueError unless an engine takes this memory budget (MiB) and
    stage set; the message is the core's for the cause, with the value
    appended (e.g. "memory budget is not a power of two from 16 to 4096 MiB:
    48"). Ints that are negative or wider than 32 bits are refused alike."""

def check_mode(mode: int, period: int, stages: int) -> None:
    """Raise ValueError unless a block may be coded in `mode` with record
    `period` (0: by lines, or no record mode) by an engine of these stages;
    the message as check_params's."""

def memory_valid(memory_mib: int) -> bool:
    """True if the engine takes this memory budget (check_params's rule)."""

def stages_valid(stages: int) -> bool:
    """True if the engine takes this stage set: a subset of ALL_STAGES, or
    STAGE_LEAN with any of STAGE_MATCH and STAGE_APM (check_params's rule)."""

def mode_valid(mode: int, period: int, stages: int) -> bool:
    """True if check_mode takes these."""

def analyse(data: Buffer, stages: int, allowed: int) -> tuple[int, int]:
    """Choose a block's mode (a subset of `allowed`) and record period from
    cheap statistics of its bytes (MemoryError if its tables cannot be had)."""

def x86_encode(buf: bytearray | memoryview) -> None:
    """Make the block's x86 CALL/JMP targets absolute, in place."""

def x86_decode(buf: bytearray | memoryview) -> None:
    """Undo x86_encode, in place."""

def model_memory(memory_mib: int) -> int:
    """Bytes of the budget an engine built with this budget takes (at most
    the budget): its tables, and the fixed part as the budget reserves it.
    ValueError as check_params for a budget the engine does not take."""

class Encoder:
    def __init__(
        self,
        *,
        memory_mib: int = ...,
        stages: int = ...,
        measure: bool = ...,
        size_hint: int | None = ...,
    ) -> None:
        """An engine with this budget and these stages: ValueError as
        check_params if the engine does not take them, MemoryError if memory
        is short (or the budget is beyond this platform's address space).
        ``size_hint``, the bytes it will likely model, changes no output: an
        engine of more than 32 MiB made for fewer bytes than one per 4 KiB of
        budget pages its tables in small pages, so that it touches memory in
        step with the data it sees."""
    @property
    def memory_mib(self) -> int: ...
    @property
    def stages(self) -> int: ...
    @property
    def bytes_in(self) -> int:
        """Uncompressed bytes fed so far, over all segments."""
    @property
    def segment_in(self) -> int:
        """Uncompressed bytes fed to the current (open) segment."""
    def compress(self, data: Buffer) -> bytes:
        """Model and code `data`; return the coded bytes ready so far (may be b'')."""
    def set_mode(self, mode: int, period: int) -> None:
        """Set the mode of the next segment (before its first byte): ValueError
        as check_mode if it is not valid for this engine's stages, or if a
        segment is open."""
    def end_segment(self) -> bytes:
        """Flush the coder and close the segment; return its last bytes.

        The model keeps what it learned; the next compress() opens a new segment.
        """
    def stats(self) -> dict[str, object]:
        """Diagnostics: bytes modelled, ideal code length in bits (with
        measure=True), and the calibrator's mean |delta| and observations per
        (step, confidence bin)."""

class Decoder:
    def __init__(
        self,
        *,
        memory_mib: int = ...,
        stages: int = ...,
        measure: bool = ...,
        size_hint: int | None = ...,
    ) -> None:
        """As :class:`Encoder`'s (``size_hint``: the bytes it will likely decode)."""
    def stats(self) -> dict[str, object]: ...
    def set_mode(self, mode: int, period: int) -> None:
        """Set the mode of the next segment, as its encoder did (ValueError as
        check_mode)."""
    def learn(self, data: Buffer) -> None:
        """Run the model over `data` as its encoder did (a stored block of a
        solid stream), between segments."""
    def start_segment(self, size: int) -> None:
        """Open a segment that decodes to exactly `size` bytes."""
    @property
    def segment_remaining(self) -> int:
        """Bytes of the open segment not yet produced."""
    def decompress(self, data: Buffer, final: bool = False, max_length: int = -1) -> bytes:
        """Append coded bytes of the open segment; return up to max_length decoded
        bytes (and at most 1 GiB a call).

        Pass final=True once the segment's last coded byte has been given:
        until then the decoder keeps a lookahead in reserve and may return
        fewer bytes than it could. Raises ValueError ("damaged data: the coded
        segment ends too early") once the decoder has read further past the
        coded bytes than any encoder writes.
        """
    def end_segment(self) -> None:
        """Close a fully decoded segment; raises ValueError if the coded bytes
        given were not exactly those the encoder wrote (damaged data)."""
