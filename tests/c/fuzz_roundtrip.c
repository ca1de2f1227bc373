/*
 * fuzz_roundtrip — libFuzzer target: every input comes back byte for byte.
 * The input is coded as one segment by an engine with the chosen stages,
 * in pieces of the chosen size, then decoded with the chosen hand-over and
 * output sizes; the bytes must be identical and the segment must pass the
 * coder's end check. A second segment of the same bytes then goes through
 * the same two engines, so the model's state after learning is covered too.
 *
 * Input: [stages][pieces][data...]
 *   stages  the low 6 bits: any stage set
 *   pieces  the low 4 bits choose the encoder's input step, the high 4 the
 *           decoder's hand-over step; the output cap follows from both
 *
 *   clang -fsanitize=fuzzer,address,undefined -Icsrc -Itests/c \
 *       tests/c/fuzz_roundtrip.c tests/c/alloc_plain.c CSRC_BUT_ALLOC -lm
 * where CSRC_BUT_ALLOC is every .c file of csrc/ but alloc.c (see docs/TESTING.md).
 */
#include "harness.h"

static const size_t steps[16] = {1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 33, 64, 100, 255, 1000, 1 << 20};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned stages = data[0] & MDC_ALL_STAGES;
    size_t enc_step = steps[data[1] & 15], dec_step = steps[data[1] >> 4];
    size_t cap = steps[(data[1] + (data[1] >> 4)) & 15];
    const uint8_t *in = data + 2;
    size_t len = size - 2;
    mdc_engine *enc = harness_engine(MDC_MIN_MEMORY_MIB, stages);
    mdc_engine *dec = harness_engine(MDC_MIN_MEMORY_MIB, stages);
    for (int segment = 0; segment < 2; segment++) {
        size_t coded_len;
        uint8_t *coded = harness_encode(enc, in, len, enc_step, &coded_len);
        harness_decoded r = harness_decode(dec, coded, coded_len, len, dec_step, cap, in, len);
        HARNESS_CHECK(r.matches, "decoded bytes equal the input");
        HARNESS_CHECK(r.end_ok && !r.damaged, "a valid segment passes the end check");
        free(coded);
    }
    mdc_engine_free(enc);
    mdc_engine_free(dec);
    return 0;
}
