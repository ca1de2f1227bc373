# cython: language_level=3, boundscheck=False, wraparound=False
"""The native core's skin: buffers in, buffers out, the GIL released around
the per-byte loop. Contract and docstrings: _core.pyi. Model: csrc/."""

from operator import index

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

    int MDC_OK, MDC_ERR_BUDGET, MDC_ERR_STAGES, MDC_ERR_MODE, MDC_ERR_PERIOD
    int MDC_ERR_MODE_STAGES, MDC_ERR_ADDRESS_SPACE, MDC_ERR_OUT_OF_MEMORY
    int MDC_ERR_TRUNCATED, MDC_ERR_DAMAGED
    const char *mdc_error_message(int code)

    int mdc_check_params(unsigned memory_mib, unsigned stages)
    size_t mdc_engine_bytes(unsigned memory_mib)
    uint64_t MDC_SIZE_UNKNOWN
    int mdc_engine_create(mdc_engine **out, unsigned memory_mib, unsigned stages,
                          uint64_t expected_bytes)
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
    int mdc_check_mode(unsigned mode, unsigned period, unsigned stages)
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


# --- the core's error codes ---------------------------------------------------------

cdef object _error(int code, detail=None):
    """The exception for one of the core's error codes (not MDC_OK): MemoryError
    when memory is short (or the budget beyond this platform's address space),
    ValueError for a parameter or damaged data. Its message is the core's,
    with ``detail`` (the offending value) appended when given."""
    message = mdc_error_message(code).decode("ascii")
    if detail is not None:
        message = f"{message}: {detail}"
    if code == MDC_ERR_OUT_OF_MEMORY or code == MDC_ERR_ADDRESS_SPACE:
        return MemoryError(message)
    return ValueError(message)


cdef unsigned _u32(value, unsigned refused) except? 0xFFFFFFFF:
    """An int as the core's unsigned, or ``refused``, a value the core refuses
    for the same cause, where it is negative or wider than 32 bits."""
    return value if 0 <= value <= 0xFFFFFFFF else refused


cdef int _params_code(memory_mib, stages) except? -100:
    return mdc_check_params(_u32(memory_mib, 0), _u32(stages, 0xFFFFFFFF))


cdef object _params_error(int code, memory_mib, stages):
    if code == MDC_ERR_BUDGET:
        return _error(code, memory_mib)
    if code == MDC_ERR_STAGES:
        return _error(code, f"{stages:#x}")
    return _error(code, f"{memory_mib} MiB")


cdef int _mode_code(mode, period, stages) except? -100:
    return mdc_check_mode(_u32(mode, 0xFFFFFFFF), _u32(period, 0xFFFFFFFF), _u32(stages, 0))


cdef object _mode_error(int code, mode, period, stages):
    if code == MDC_ERR_MODE:
        return _error(code, f"{mode:#x}")
    if code == MDC_ERR_PERIOD:
        return _error(code, f"period {period} in mode {mode:#x}")
    return _error(code, f"mode {mode:#x} with stages {stages:#x}")


def check_params(memory_mib, stages):
    memory_mib, stages = index(memory_mib), index(stages)
    cdef int code = _params_code(memory_mib, stages)
    if code != MDC_OK:
        raise _params_error(code, memory_mib, stages)


def check_mode(mode, period, stages):
    mode, period, stages = index(mode), index(period), index(stages)
    cdef int code = _mode_code(mode, period, stages)
    if code != MDC_OK:
        raise _mode_error(code, mode, period, stages)


def memory_valid(memory_mib):
    return _params_code(index(memory_mib), 0) == MDC_OK


def stages_valid(stages):
    return _params_code(MDC_MIN_MEMORY_MIB, index(stages)) == MDC_OK


def mode_valid(mode, period, stages):
    return _mode_code(index(mode), index(period), index(stages)) == MDC_OK


def model_memory(memory_mib):
    check_params(memory_mib, 0)
    return mdc_engine_bytes(memory_mib)


def analyse(const uint8_t[::1] data not None, long stages, long allowed):
    cdef unsigned mode = 0, period = 0
    cdef size_t n = data.shape[0]
    cdef int rc
    if stages < 0 or allowed < 0:
        raise ValueError("stages and allowed modes are non-negative")
    with nogil:
        rc = mdc_analyse(&data[0] if n else NULL, n, <unsigned>stages,
                         <unsigned>(allowed & MDC_MODE_ALL), &mode, &period)
    if rc != MDC_OK:
        raise _error(rc)
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


cdef _set_mode(mdc_engine *e, unsigned stages, mode, period):
    mode, period = index(mode), index(period)
    cdef int code = mdc_set_mode(e, _u32(mode, 0xFFFFFFFF), _u32(period, 0xFFFFFFFF))
    if code != MDC_OK:
        raise _mode_error(code, mode, period, stages)


cdef mdc_engine *_new_engine(memory_mib, stages, size_hint) except NULL:
    memory_mib, stages = index(memory_mib), index(stages)
    cdef uint64_t expected = MDC_SIZE_UNKNOWN
    if size_hint is not None and 0 <= size_hint < MDC_SIZE_UNKNOWN:
        expected = size_hint
    cdef mdc_engine *e = NULL
    cdef int code = mdc_engine_create(&e, _u32(memory_mib, 0), _u32(stages, 0xFFFFFFFF), expected)
    if code != MDC_OK:
        raise _params_error(code, memory_mib, stages)
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

    def __cinit__(self, *, memory_mib=MDC_DEFAULT_MEMORY_MIB, stages=MDC_ALL_STAGES,
                  bint measure=False, size_hint=None):
        self._e = _new_engine(memory_mib, stages, size_hint)
        self.memory_mib = memory_mib
        self.stages = stages
        self._scratch = <uint8_t *>malloc(PIECE * MDC_MAX_BYTES_PER_BYTE + MDC_MAX_FLUSH_BYTES)
        if self._scratch == NULL:
            raise _error(MDC_ERR_OUT_OF_MEMORY)
        cdef int code = mdc_measure(self._e) if measure else MDC_OK
        if code != MDC_OK:
            raise _error(code)

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

    def set_mode(self, mode, period):
        if self.segment_in:
            raise ValueError("the mode is set between segments")
        _set_mode(self._e, self.stages, mode, period)

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

    def __cinit__(self, *, memory_mib=MDC_DEFAULT_MEMORY_MIB, stages=MDC_ALL_STAGES,
                  bint measure=False, size_hint=None):
        self._e = _new_engine(memory_mib, stages, size_hint)
        self.memory_mib = memory_mib
        self.stages = stages
        self._pending = bytearray()
        cdef int code = mdc_measure(self._e) if measure else MDC_OK
        if code != MDC_OK:
            raise _error(code)

    def __dealloc__(self):
        mdc_engine_free(self._e)

    def start_segment(self, unsigned long long size):
        if mdc_decode_remaining(self._e):
            raise ValueError("the open segment is not fully decoded")
        mdc_decode_start(self._e, size)
        self._pending = bytearray()
        self._final = False

    def set_mode(self, mode, period):
        _set_mode(self._e, self.stages, mode, period)

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
            raise _error(MDC_ERR_OUT_OF_MEMORY)
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
            raise _error(MDC_ERR_TRUNCATED)
        del pend
        del self._pending[:pos]
        return result

    def end_segment(self):
        cdef size_t unread = len(self._pending)
        cdef int code = mdc_decode_end(self._e, unread)
        self._pending = bytearray()
        if code != MDC_OK:
            raise _error(code)
        self._final = False

    def stats(self):
        return _stats(self._e)
