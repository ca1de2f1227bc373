/*
 * fuzz_main — a driver for the fuzz targets (fuzz_decode.c, fuzz_roundtrip.c)
 * where libFuzzer is not there (gcc): it runs every seed, then mutants of
 * them until the time is spent. A mutant is a seed with one to four of: a
 * bit flipped, a byte overwritten, a run of bytes cut out or doubled, the
 * end cut off or extended with random bytes, the tail of another seed
 * spliced on. There is no coverage guidance: this is the smoke test that
 * runs on every CI machine, under ASan/UBSan like the targets, and
 * libFuzzer's runs (tests/test_sanitizers.py) go further where clang is.
 *
 *   gcc -fsanitize=address,undefined -Icsrc -Itests/c tests/c/fuzz_main.c \
 *       tests/c/fuzz_decode.c tests/c/alloc_plain.c CSRC_BUT_ALLOC -lm
 *   ./a.out SECONDS PRNG_SEED SEED_FILE...
 *
 * Prints "Done N runs in S seconds", as libFuzzer does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Mutants stay within the targets' useful length (their max_len). */
#define MAX_INPUT 4096

typedef struct {
    uint8_t *bytes;
    size_t len;
} seed;

static uint64_t next(uint64_t *state) /* xorshift64* */
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

static size_t below(uint64_t *state, size_t n)
{
    return n ? (size_t)(next(state) % n) : 0;
}

static int read_seed(const char *path, seed *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    s->bytes = malloc(MAX_INPUT);
    s->len = s->bytes ? fread(s->bytes, 1, MAX_INPUT, f) : 0;
    fclose(f);
    return s->bytes ? 0 : -1;
}

/* One mutation of buf[0..*len), which has room for MAX_INPUT bytes. */
static void mutate(uint64_t *rng, uint8_t *buf, size_t *len, const seed *seeds, int count)
{
    size_t n = *len;
    switch (below(rng, 6)) {
    case 0: /* flip a bit */
        if (n)
            buf[below(rng, n)] ^= (uint8_t)(1u << below(rng, 8));
        break;
    case 1: /* overwrite a byte */
        if (n)
            buf[below(rng, n)] = (uint8_t)next(rng);
        break;
    case 2: { /* cut out a run */
        size_t at = below(rng, n + 1), cut = below(rng, n - at + 1);
        memmove(buf + at, buf + at + cut, n - at - cut);
        n -= cut;
        break;
    }
    case 3: { /* double a run */
        size_t at = below(rng, n + 1), run = below(rng, n - at + 1);
        if (n + run > MAX_INPUT)
            run = MAX_INPUT - n;
        memmove(buf + at + run, buf + at, n - at);
        n += run;
        break;
    }
    case 4: /* cut the end off, or extend it with random bytes */
        if (next(rng) & 1) {
            n = below(rng, n + 1);
        } else {
            size_t more = below(rng, 64);
            for (; more && n < MAX_INPUT; more--)
                buf[n++] = (uint8_t)next(rng);
        }
        break;
    default: { /* splice the tail of another seed on */
        const seed *other = &seeds[below(rng, (size_t)count)];
        size_t from = below(rng, other->len + 1), at = below(rng, n + 1);
        size_t take = other->len - from;
        if (at + take > MAX_INPUT)
            take = MAX_INPUT - at;
        memcpy(buf + at, other->bytes + from, take);
        n = at + take;
        break;
    }
    }
    *len = n;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SECONDS PRNG_SEED SEED_FILE...\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[1]);
    uint64_t rng = strtoull(argv[2], NULL, 10) | 1; /* xorshift needs a non-zero state */
    int count = argc - 3;
    seed *seeds = calloc((size_t)count, sizeof(seed));
    uint8_t *buf = malloc(MAX_INPUT);
    if (!seeds || !buf)
        return 1;
    for (int i = 0; i < count; i++) {
        if (read_seed(argv[3 + i], &seeds[i]) != 0) {
            fprintf(stderr, "cannot read %s\n", argv[3 + i]);
            return 1;
        }
    }
    clock_t start = clock();
    unsigned long runs = 0;
    for (int i = 0; i < count; i++, runs++)
        LLVMFuzzerTestOneInput(seeds[i].bytes, seeds[i].len);
    while ((double)(clock() - start) / CLOCKS_PER_SEC < seconds) {
        const seed *s = &seeds[below(&rng, (size_t)count)];
        size_t len = s->len;
        memcpy(buf, s->bytes, len);
        for (size_t k = 1 + below(&rng, 4); k; k--)
            mutate(&rng, buf, &len, seeds, count);
        LLVMFuzzerTestOneInput(buf, len);
        runs++;
    }
    printf("Done %lu runs in %.0f second(s)\n", runs, (double)(clock() - start) / CLOCKS_PER_SEC);
    for (int i = 0; i < count; i++)
        free(seeds[i].bytes);
    free(seeds);
    free(buf);
    return 0;
}
