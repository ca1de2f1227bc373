/*
 * fuzz_decode — libFuzzer target: the decoder survives any segment. Whatever
 * the coded bytes, the declared size, the stage set and the way input and
 * output are handed over, decoding must stay within the buffers it is given,
 * keep the contract of midicoth.h (harness.h checks every call), stop early
 * once the coded bytes are exhausted, and end in a clean verdict.
 *
 * Input: [stages][size lo][size hi][hand-over][coded bytes...]
 *   stages     the low 6 bits: any stage set
 *   size       the declared size, 0..4095 bytes (bounds the time per input)
 *   hand-over  the low 4 bits choose the input step, the high 4 the output cap
 *
 *   clang -fsanitize=fuzzer,address,undefined -Icsrc -Itests/c \
 *       tests/c/fuzz_decode.c tests/c/alloc_plain.c CSRC_BUT_ALLOC -lm
 * where CSRC_BUT_ALLOC is every .c file of csrc/ but alloc.c
 * (tests/test_sanitizers.py builds it, seeds a corpus from valid segments
 * and runs it for a bounded time; docs/TESTING.md has the long run.)
 */
#include "harness.h"

static const size_t steps[16] = {1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 33, 64, 100, 255, 1000, 1 << 20};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    unsigned stages = data[0] & MDC_ALL_STAGES;
    uint64_t declared = (data[1] | (uint64_t)data[2] << 8) & 0xFFF;
    size_t step = steps[data[3] & 15], cap = steps[data[3] >> 4];
    mdc_engine *d = harness_engine(MDC_MIN_MEMORY_MIB, stages);
    harness_decode(d, data + 4, size - 4, declared, step, cap, NULL, 0);
    mdc_engine_free(d);
    return 0;
}
