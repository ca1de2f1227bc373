/*
 * midicoth.h — the public interface of the Midicoth core.
 *
 * An engine holds one model (all stages) and one arithmetic coder. It codes
 * bytes into *segments*: a segment is the coder's output between two
 * flushes; the model carries on across segments, so a container can frame a
 * long stream into checksummed blocks and still compress it as one ("solid").
 * An engine is used either to encode or to decode, never both.
 *
 * Neither a stream nor a segment has a length limit: every count, length
 * and position in the core is 64-bit, is bounded (decayed, halved or
 * reset), saturates, or wraps where that is harmless and the same on both
 * sides (positions kept modulo 2^32 and used only as differences; a
 * match's streak after 2^32 right bytes). Each component's header states
 * its bounds; docs/TESTING.md ("Limits") lists them with their tests.
 *
 * Everything is plain C99, no globals: engines are independent and may run
 * on different threads. Output depends only on the input bytes, the
 * parameters and MDC_MODEL_VERSION — not on compiler, flags or CPU.
 *
 * Every call that can fail returns an error code (below): 0 for success,
 * a distinct negative code for each cause. Each rule on the parameters is
 * written once, here in the core; a binding maps the codes to its errors.
 */
#ifndef MIDICOTH_H
#define MIDICOTH_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever the model or coder changes a single emitted bit. A
 * segment coded in mode 0 (below) is coded as model 5 coded it. */
#define MDC_MODEL_VERSION 6

/* Stages after PPM, each switchable (PPM itself is on in every set but the
 * lean model's). The first four are the paper's pipeline; MIX and APM are
 * ours. */
#define MDC_STAGE_MATCH 1u
#define MDC_STAGE_WORD 2u
#define MDC_STAGE_HIGHCTX 4u
#define MDC_STAGE_TWEEDIE 8u
#define MDC_STAGE_MIX 16u  /* node mixer over the calibrated blend and binary contexts */
#define MDC_STAGE_APM 32u  /* final adaptive probability map */
/* The fast model (levels 1-3): no byte distribution, each binary decision
 * predicted directly by binary context models and one mixer (lean.h). It
 * replaces the PPM pipeline: with it, of the stages above only MATCH (an
 * input of its mixer) and APM (the final map after it) may be on. */
#define MDC_STAGE_LEAN 64u
#define MDC_PAPER_STAGES 15u
/* The full model (every stage of the PPM pipeline): the default. */
#define MDC_ALL_STAGES 63u
/* Every stage bit the engine knows; which combinations are valid is
 * mdc_check_params's to say. */
#define MDC_KNOWN_STAGES 127u

/* A segment's mode: the structure models on for it, chosen per block by
 * mdc_analyse and recorded by the container. RECORD and SPARSE need
 * MDC_STAGE_MIX or MDC_STAGE_LEAN (they feed the mixers). X86 is the
 * container's transform (mdc_x86_encode); the engine takes the bit for
 * what it is, data that the transform went over. */
#define MDC_MODE_RECORD 1u /* rows: the bytes a period (or a line) up, the column */
#define MDC_MODE_SPARSE 2u /* contexts that skip bytes: fields of 16/32/64-bit numbers */
#define MDC_MODE_X86 4u    /* x86 CALL/JMP targets made absolute */
#define MDC_MODE_ALL 7u
/* A record period is 0 (rows are lines) or 1 .. MDC_MAX_PERIOD bytes. */
#define MDC_MAX_PERIOD 32766u

/* The memory budget, MiB: a power of two. Table sizes follow from it alone. */
#define MDC_MIN_MEMORY_MIB 16u
#define MDC_MAX_MEMORY_MIB 4096u
#define MDC_DEFAULT_MEMORY_MIB 256u

/* Worst case coded bytes per input byte, and per segment end. */
#define MDC_MAX_BYTES_PER_BYTE 32u
#define MDC_MAX_FLUSH_BYTES 4u

/* The error codes, one per cause; mdc_error_message names each. */
enum {
    MDC_OK = 0,
    MDC_ERR_BUDGET = -1,        /* the memory budget is not one of the valid ones */
    MDC_ERR_STAGES = -2,        /* the engine takes no such stage set */
    MDC_ERR_MODE = -3,          /* mode bits outside MDC_MODE_ALL */
    MDC_ERR_PERIOD = -4,        /* a period past MDC_MAX_PERIOD, or one without record mode */
    MDC_ERR_MODE_STAGES = -5,   /* record or sparse mode without the mixer or the lean model */
    MDC_ERR_ADDRESS_SPACE = -6, /* a budget beyond this platform's address space */
    MDC_ERR_OUT_OF_MEMORY = -7, /* an allocation failed */
    MDC_ERR_TRUNCATED = -8,     /* decoding read past what any encoder writes */
    MDC_ERR_DAMAGED = -9        /* the coded bytes are not those the encoder wrote */
};

/* A one-line English message for an error code (a static string, no values
 * in it); "unknown error code" for a code not above. */
const char *mdc_error_message(int code);

typedef struct mdc_engine mdc_engine;

/* Whether an engine takes these parameters: MDC_OK, MDC_ERR_BUDGET unless
 * the budget is a power of two in [MDC_MIN_MEMORY_MIB, MDC_MAX_MEMORY_MIB],
 * else MDC_ERR_STAGES unless the stages are a subset of MDC_ALL_STAGES (the
 * PPM pipeline) or MDC_STAGE_LEAN with any of MDC_STAGE_MATCH and
 * MDC_STAGE_APM. The same on every platform: whether this one can address
 * the budget is mdc_engine_create's to say. */
int mdc_check_params(unsigned memory_mib, unsigned stages);
/* Bytes of the budget an engine takes (at most the budget; SIZE_MAX where
 * this platform cannot address it): its tables, and the fixed part as the
 * budget reserves it, a little more than that part takes on any platform.
 * The full model's: every stage set's is at most that. */
size_t mdc_engine_bytes(unsigned memory_mib);

/* The input size an engine is made for, when it is not known. */
#define MDC_SIZE_UNKNOWN UINT64_MAX

/* Make an engine into *out: MDC_OK, or (with *out NULL) mdc_check_params's
 * code, MDC_ERR_ADDRESS_SPACE, or MDC_ERR_OUT_OF_MEMORY. `expected_bytes`,
 * the bytes the engine will likely model (MDC_SIZE_UNKNOWN if not known),
 * does not change a coded bit: it only decides how the tables are paged
 * in. An engine of more than 32 MiB made for fewer bytes than one per 4 KiB
 * of budget keeps base pages, so that the memory it touches grows with the
 * bytes it sees (tens of KiB per byte at first) instead of 2 MiB per touch;
 * larger inputs and small budgets get huge pages, which cost fewer page
 * faults and TLB misses once most of the tables are touched. */
int mdc_engine_create(mdc_engine **out, unsigned memory_mib, unsigned stages,
                      uint64_t expected_bytes);
void mdc_engine_free(mdc_engine *e);

/* Whether the mode and period are valid for an engine of these stages:
 * MDC_OK, MDC_ERR_MODE, MDC_ERR_PERIOD or MDC_ERR_MODE_STAGES (checked in
 * that order). */
int mdc_check_mode(unsigned mode, unsigned period, unsigned stages);
/* Set the mode of the segment about to start (both sides identically,
 * before its first byte); it stays until set again. Mode 0 (the start)
 * codes as model 5. MDC_OK, or mdc_check_mode's code for the engine's
 * stages (and nothing changes). */
int mdc_set_mode(mdc_engine *e, unsigned mode, unsigned period);

/* Look at one block and choose its mode (a subset of `allowed` valid for
 * `stages`) and record period. Reads the block a few times (its first
 * 2^30 bytes at most: a longer block is judged by its start); allocates
 * about 384 KiB: MDC_OK, or MDC_ERR_OUT_OF_MEMORY if that fails. */
int mdc_analyse(const uint8_t *in, size_t len, unsigned stages, unsigned allowed,
                unsigned *mode, unsigned *period);

/* The x86 transform of a block, in place, and its inverse: the 32-bit
 * relative target after each E8 (CALL) or E9 (JMP) byte becomes absolute
 * (the position in the block added) where it is small (its top byte 00 or
 * FF), so that calls to one function code alike. */
void mdc_x86_encode(uint8_t *buf, size_t len);
void mdc_x86_decode(uint8_t *buf, size_t len);

/* Run the model over `in` as an encoder would, writing nothing: a decoder
 * takes a stored block's bytes so, to stay in step with the encoder that
 * coded them before storing them. Not within a segment being decoded. */
void mdc_learn(mdc_engine *e, const uint8_t *in, size_t in_len);

/* Encode from `in` while input remains and `out` has room for a whole byte's
 * worst case; *consumed gets the input bytes taken. Returns bytes written. */
size_t mdc_encode(mdc_engine *e, const uint8_t *in, size_t in_len, size_t *consumed,
                  uint8_t *out, size_t out_cap);
/* End the segment: write its last bytes (at most MDC_MAX_FLUSH_BYTES, none
 * for an empty segment) and return their count. */
size_t mdc_encode_end(mdc_engine *e, uint8_t *out);

/* Start a segment that decodes to `size` bytes. */
void mdc_decode_start(mdc_engine *e, uint64_t size);
/* Decode from the segment's coded bytes `in` (all of them that are known,
 * starting at the first not yet consumed). Unless `final` (in_len covers the
 * segment's end), a byte is decoded only with enough lookahead to be sure
 * it needs no byte beyond in_len. Returns bytes written to out (at most
 * out_cap and the segment's remainder); *consumed gets the input taken. */
size_t mdc_decode(mdc_engine *e, const uint8_t *in, size_t in_len, int final, size_t *consumed,
                  uint8_t *out, size_t out_cap);
/* Bytes of the segment still to decode. */
uint64_t mdc_decode_remaining(const mdc_engine *e);
/* 1 once the decoder has read further past the segment's end than any
 * encoder's flush allows: the coded bytes are damaged (MDC_ERR_TRUNCATED);
 * mdc_decode then returns no more bytes and mdc_decode_end fails. */
int mdc_decode_damaged(const mdc_engine *e);
/* After the last byte of a segment, given `unread` coded bytes not consumed:
 * MDC_OK if the coded bytes were exactly those the encoder wrote, else
 * MDC_ERR_TRUNCATED (mdc_decode_damaged) or MDC_ERR_DAMAGED. */
int mdc_decode_end(mdc_engine *e, size_t unread);

/* Diagnostics, off the coding path. */
typedef struct {
    uint64_t bytes;              /* bytes modelled (saturating at UINT64_MAX) */
    double ideal_bits;           /* sum of -log2 P(coded bit), if measuring */
    double tweedie_mean_abs_delta[3][8]; /* per step and confidence bin */
    double tweedie_observations[3][8];
    uint64_t settled_nodes;              /* nodes that took the short path (settled.h) */
} mdc_stats;
/* Turn on the ideal-cost measure (costs a table look-up per bit): MDC_OK,
 * or MDC_ERR_OUT_OF_MEMORY. */
int mdc_measure(mdc_engine *e);
void mdc_get_stats(const mdc_engine *e, mdc_stats *s);

#endif
