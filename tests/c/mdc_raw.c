/*
 * mdc_raw — a plain C driver of the core, for the cross-build determinism
 * test: built with different compilers and flags, it must write the same
 * bytes for the same input.
 *
 *   mdc_raw MEMORY_MIB STAGES < input > coded
 *
 * It codes stdin as one segment in the mode the analyser chooses for it
 * (applying the x86 transform if chosen), writes the coded bytes to
 * stdout, then decodes them again (in small pieces, to exercise the
 * streaming path) and exits 3 if the round trip differs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#include "midicoth.h"

static unsigned char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mdc_raw MEMORY_MIB STAGES < in > out\n");
        return 2;
    }
    unsigned memory = (unsigned)atoi(argv[1]), stages = (unsigned)atoi(argv[2]);
    size_t len;
#ifdef _WIN32
    /* Windows opens the standard streams in text mode: no translation here. */
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    unsigned char *data = read_all(stdin, &len);
    size_t cap = len * MDC_MAX_BYTES_PER_BYTE + MDC_MAX_FLUSH_BYTES;
    unsigned char *coded = malloc(cap + 1), *back = malloc(len + 1);
    mdc_engine *enc = NULL, *dec = NULL;
    int rc = mdc_engine_create(&enc, memory, stages, len);
    if (rc == MDC_OK)
        rc = mdc_engine_create(&dec, memory, stages, len);
    if (!data || !coded || !back)
        rc = MDC_ERR_OUT_OF_MEMORY;
    if (rc != MDC_OK) {
        fprintf(stderr, "mdc_raw: %s\n", mdc_error_message(rc));
        return 1;
    }
    unsigned mode, period;
    if (mdc_analyse(data, len, stages, MDC_MODE_ALL, &mode, &period) != 0 ||
        mdc_set_mode(enc, mode, period) != 0 || mdc_set_mode(dec, mode, period) != 0)
        return 5;
    if (mode & MDC_MODE_X86)
        mdc_x86_encode(data, len);
    size_t consumed, clen = mdc_encode(enc, data, len, &consumed, coded, cap);
    clen += mdc_encode_end(enc, coded + clen);
    if (consumed != len)
        return 4;
    fwrite(coded, 1, clen, stdout);

    /* Decode, handing the coded bytes over 7 at a time. */
    size_t given = 0, pos = 0, out = 0;
    mdc_decode_start(dec, len);
    while (mdc_decode_remaining(dec)) {
        given = given + 7 < clen ? given + 7 : clen;
        out += mdc_decode(dec, coded + pos, given - pos, given == clen, &consumed, back + out,
                          len - out);
        pos += consumed;
    }
    if (out != len || memcmp(back, data, len) != 0 || mdc_decode_end(dec, clen - pos) != 0) {
        fprintf(stderr, "mdc_raw: round trip failed\n");
        return 3;
    }
    mdc_engine_free(enc);
    mdc_engine_free(dec);
    free(data);
    free(coded);
    free(back);
    return 0;
}
