# cython: language_level=3, boundscheck=False, wraparound=False
"""The native core's skin: buffers in, buffers out, the GIL released around
the per-byte loop. Contract and docstrings: _core.pyi. Model: csrc/."""

from cpython.exc cimport PyErr_CheckSignals
from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

cdef extern from "midicoth.h" nogil:
    ctypedef struct mdc_engine:
        pass
    ctypedef struct mdc_stats:
        uint64_t bytes
        double ideal_bits
        double tweedie_mean_abs_delta[3][8]
        double tweedie_observations[3][8]
        uint64_t settled_nodes

    int MDC_MODEL_VERSION
    unsigned MDC_STAGE_MATCH, MDC_STAGE_WORD, MDC_STAGE_HIGHCTX, MDC_STAGE_TWEEDIE
    unsigned MDC_STAGE_MIX, MDC_STAGE_APM, MDC_STAGE_LEAN, MDC_PAPER_STAGES, MDC_ALL_STAGES
    unsigned MDC_KNOWN_STAGES
    unsigned MDC_MIN_MEMORY_MIB, MDC_MAX_MEMORY_MIB, MDC_DEFAULT_MEMORY_MIB
    unsigned MDC_MAX_BYTES_PER_BYTE, MDC_MAX_FLUSH_BYTES
    unsigned MDC_MODE_RECORD, MDC_MODE_SPARSE, MDC_MODE_X86, MDC_MODE_ALL, MDC_MAX_PERIOD

    int mdc_params_valid(unsigned memory_mib, unsigned stages)
    size_t mdc_engine_bytes(unsigned memory_mib)
    uint64_t MDC_SIZE_UNKNOWN
    mdc_engine *mdc_engine_new(unsigned memory_mib, unsigned stages, uint64_t expected_bytes)
    void mdc_engine_free(mdc_engine *e)
    size_t mdc_encode(mdc_engine *e, const uint8_t *inp, size_t in_len, size_t *consumed,
                      uint8_t *out, size_t out_cap)
    size_t mdc_encode_end(mdc_engine *e, uint8_t *out)
    void mdc_decode_start(mdc_engine *e, uint64_t size)
    size_t mdc_decode(mdc_engine *e, const uint8_t *inp, size_t in_len, int final,
                      size_t *consumed, uint8_t *out, size_t out_cap)
    uint64_t mdc_decode_remaining(const mdc_engine *e)
    int mdc_decode_damaged(const mdc_engine *e)
    int mdc_decode_end(mdc_engine *e, size_t unread)
    int mdc_mode_valid(unsigned mode, unsigned period, unsigned stages)
    int mdc_set_mode(mdc_engine *e, unsigned mode, unsigned period)
    int mdc_analyse(const uint8_t *inp, size_t len, unsigned stages, unsigned allowed,
                    unsigned *mode, unsigned *period)
    void mdc_x86_encode(uint8_t *buf, size_t len)
    void mdc_x86_decode(uint8_t *buf, size_t len)
    void mdc_learn(mdc_engine *e, const uint8_t *inp, size_t in_len)
    int mdc_measure(mdc_engine *e)
    void mdc_get_stats(const mdc_engine *e, mdc_stats *s)

STAGE_MATCH = MDC_STAGE_MATCH
STAGE_WORD = MDC_STAGE_WORD
STAGE_HIGHCTX = MDC_STAGE_HIGHCTX
STAGE_TWEEDIE = MDC_STAGE_TWEEDIE
STAGE_MIX = MDC_STAGE_MIX
STAGE_APM = MDC_STAGE_APM
STAGE_LEAN = MDC_STAGE_LEAN
PAPER_STAGES = MDC_PAPER_STAGES
ALL_STAGES = MDC_ALL_STAGES
KNOWN_STAGES = MDC_KNOWN_STAGES
MODEL_VERSION = MDC_MODEL_VERSION
MIN_MEMORY_MIB = MDC_MIN_MEMORY_MIB
MAX_MEMORY_MIB = MDC_MAX_MEMORY_MIB
DEFAULT_MEMORY_MIB = MDC_DEFAULT_MEMORY_MIB
MAX_EXPANSION = MDC_MAX_BYTES_PER_BYTE
MODE_RECORD = MDC_MODE_RECORD
MODE_SPARSE = MDC_MODE_SPARSE
MODE_X86 = MDC_MODE_X86
MODE_ALL = MDC_MODE_ALL
MAX_PERIOD = MDC_MAX_PERIOD

# Input is coded in pieces of this many bytes, each into a scratch buffer of
# the worst-case size; the GIL is released for each piece.
DEF PIECE = 1 << 16
# The most bytes one Decoder.decompress call returns (the rest comes with
# the next call).
DEF MAX_CALL_BYTES = 1 << 30


def stages_valid(long stages):
    """True if the engine takes this stage set (the core's rule, mdc_params_valid)."""
    return 0 <= stages <= MDC_KNOWN_STAGES and mdc_params_valid(MDC_MIN_MEMORY_MIB, stages) != 0


def model_memory(int memory_mib):
    _check_params(memory_mib, 0)
    return mdc_engine_bytes(memory_mib)


def mode_valid(long mode, long period, long stages):
    return 0 <= mode <= MDC_MODE_ALL and 0 <= period <= MDC_MAX_PERIOD and 0 <= stages and \
        mdc_mode_valid(mode, period, stages) != 0


def analyse(const uint8_t[::1] data not None, long stages, long allowed):
    cdef unsigned mode = 0, period = 0
    cdef size_t n = data.shape[0]
    cdef int rc
    if stages < 0 or allowed < 0:
        raise ValueError("stages and allowed modes are non-negative")
    with nogil:
        rc = mdc_analyse(&data[0] if n else NULL, n, <unsigned>stages,
                         <unsigned>(allowed & MDC_MODE_ALL), &mode, &period)
    if rc != 0:
        raise MemoryError()
    return mode, period


def x86_encode(uint8_t[::1] buf not None):
    cdef size_t n = buf.shape[0]
    if n:
        with nogil:
            mdc_x86_encode(&buf[0], n)


def x86_decode(uint8_t[::1] buf not None):
    cdef size_t n = buf.shape[0]
    if n:
        with nogil:
            mdc_x86_decode(&buf[0], n)


cdef _set_mode(mdc_engine *e, long mode, long period):
    if mode < 0 or period < 0 or mode > MDC_MODE_ALL or period > MDC_MAX_PERIOD or \
            mdc_set_mode(e, mode, period) != 0:
        raise ValueError(f"invalid block mode {mode:#x} with period {period} for these stages")


cdef _check_params(long memory_mib, long stages):
    if memory_mib < 0 or stages < 0 or not mdc_params_valid(memory_mib, stages):
        raise ValueError(
            f"invalid parameters: memory_mib must be a power of two in "
            f"[{MDC_MIN_MEMORY_MIB}, {MDC_MAX_MEMORY_MIB}] (got {memory_mib}), "
            f"stages a subset of {MDC_ALL_STAGES:#x}, or lean with match and apm "
            f"(got {stages:#x})")


cdef mdc_engine *_new_engine(long memory_mib, long stages, size_hint) except NULL:
    _check_params(memory_mib, stages)
    cdef uint64_t expected = MDC_SIZE_UNKNOWN
    if size_hint is not None and 0 <= size_hint < MDC_SIZE_UNKNOWN:
        expected = size_hint
    cdef mdc_engine *e = mdc_engine_new(memory_mib, stages, expected)
    if e == NULL:
        raise MemoryError(f"cannot allocate a {memory_mib} MiB model")
    return e


cdef dict _stats(mdc_engine *e):
    cdef mdc_stats s
    mdc_get_stats(e, &s)
    return {
        "bytes": s.bytes,
        "ideal_bits": s.ideal_bits,
        "tweedie_mean_abs_delta": [[s.tweedie_mean_abs_delta[i][j] for j in range(8)]
                                   for i in range(3)],
        "tweedie_observations": [[s.tweedie_observations[i][j] for j in range(8)]
                                 for i in range(3)],
        "settled_nodes": s.settled_nodes,
    }


cdef class Encoder:
    cdef mdc_engine *_e
    cdef uint8_t *_scratch
    cdef readonly int memory_mib
    cdef readonly int stages
    cdef readonly unsigned long long bytes_in
    cdef readonly unsigned long long segment_in

    def __cinit__(self, *, int memory_mib=MDC_DEFAULT_MEMORY_MIB, int stages=MDC_ALL_STAGES,
                  bint measure=False, size_hint=None):
        self._e = _new_engine(memory_mib, stages, size_hint)
        self._scratch = <uint8_t *>malloc(PIECE * MDC_MAX_BYTES_PER_BYTE + MDC_MAX_FLUSH_BYTES)
        if self._scratch == NULL:
            raise MemoryError()
        if measure and mdc_measure(self._e) != 0:
            raise MemoryError()
        self.memory_mib = memory_mib
        self.stages = stages

    def __dealloc__(self):
        mdc_engine_free(self._e)
        free(self._scratch)

    def compress(self, const uint8_t[::1] data not None):
        cdef size_t n = data.shape[0], pos = 0, take, consumed, made
        cdef size_t cap = PIECE * MDC_MAX_BYTES_PER_BYTE
        pieces = []
        while pos < n:
            take = n - pos if n - pos < PIECE else PIECE
            with nogil:
                made = mdc_encode(self._e, &data[pos], take, &consumed, self._scratch, cap)
            pieces.append(self._scratch[:made])
            pos += consumed
            PyErr_CheckSignals()  # Ctrl-C between pieces, not after the whole input
        self.bytes_in += n
        self.segment_in += n
        return b"".join(pieces)

    def set_mode(self, long mode, long period):
        if self.segment_in:
            raise ValueError("the mode is set between segments")
        _set_mode(self._e, mode, period)

    def end_segment(self):
        cdef size_t made = mdc_encode_end(self._e, self._scratch)
        self.segment_in = 0
        return self._scratch[:made]

    def stats(self):
        return _stats(self._e)


cdef class Decoder:
    cdef mdc_engine *_e
    cdef bytearray _pending       # coded bytes given but not yet consumed
    cdef bint _final
    cdef readonly int memory_mib
    cdef readonly int stages

    def __cinit__(self, *, int memory_mib=MDC_DEFAULT_MEMORY_MIB, int stages=MDC_ALL_STAGES,
                  bint measure=False, size_hint=None):
        self._e = _new_engine(memory_mib, stages, size_hint)
        if measure and mdc_measure(self._e) != 0:
            raise MemoryError()
        self._pending = bytearray()
        self.memory_mib = memory_mib
        self.stages = stages

    def __dealloc__(self):
        mdc_engine_free(self._e)

    def start_segment(self, unsigned long long size):
        if mdc_decode_remaining(self._e):
            raise ValueError("the open segment is not fully decoded")
        mdc_decode_start(self._e, size)
        self._pending = bytearray()
        self._final = False

    def set_mode(self, long mode, long period):
        _set_mode(self._e, mode, period)

    def learn(self, const uint8_t[::1] data not None):
        if mdc_decode_remaining(self._e):
            raise ValueError("the open segment is not fully decoded")
        cdef size_t n = data.shape[0], pos = 0, take
        while pos < n:
            take = n - pos if n - pos < PIECE else PIECE
            with nogil:
                mdc_learn(self._e, &data[pos], take)
            pos += take
            PyErr_CheckSignals()

    @property
    def segment_remaining(self):
        return mdc_decode_remaining(self._e)

    def decompress(self, data, bint final=False, long long max_length=-1):
        cdef const uint8_t[::1] view = data
        if self._final and view.shape[0]:
            raise ValueError("data given after the segment's final piece")
        self._pending += view
        self._final = self._final or final
        cdef unsigned long long want = mdc_decode_remaining(self._e)
        if max_length >= 0 and <unsigned long long>max_length < want:
            want = max_length
        if want > MAX_CALL_BYTES:  # one call's buffer, whatever the width of size_t
            want = MAX_CALL_BYTES
        cdef uint8_t *out = <uint8_t *>malloc(want if want else 1)
        if out == NULL:
            raise MemoryError()
        cdef const uint8_t[::1] pend = self._pending
        cdef size_t pos = 0, made = 0, consumed, got
        cdef size_t plen = pend.shape[0]
        cdef int fin = self._final
        cdef uint8_t dummy = 0
        cdef const uint8_t *src
        try:
            while made < want:
                src = &pend[pos] if pos < plen else &dummy
                with nogil:
                    got = mdc_decode(self._e, src, plen - pos, fin, &consumed, out + made,
                                     want - made if want - made < PIECE else PIECE)
                pos += consumed
                made += got
                if got == 0:
                    break
                PyErr_CheckSignals()
            result = out[:made]
        finally:
            free(out)
        if mdc_decode_damaged(self._e):
            self._pending = bytearray()
            raise ValueError("damaged data: the coded segment ends too early")
        del pend
        del self._pending[:pos]
        return result

    def end_segment(self):
        cdef size_t unread = len(self._pending)
        if mdc_decode_end(self._e, unread) != 0:
            self._pending = bytearray()
            raise ValueError("damaged data: the coded segment does not match its contents")
        self._pending = bytearray()
        self._final = False

    def stats(self):
        return _stats(self._e)
