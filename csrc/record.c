#include "record.h"

#include "alloc.h"

size_t record_size(void)
{
    return RECORD_RING;
}

int record_init(record_model *r)
{
    r->ring = mdc_table_alloc(RECORD_RING, 1);
    r->pos = r->line_start = r->prev_start = 0;
    r->period = r->column = 0;
    return r->ring ? 0 : -1;
}

void record_free(record_model *r)
{
    mdc_table_free(r->ring, RECORD_RING);
    r->ring = NULL;
}

void record_set_period(record_model *r, uint32_t period)
{
    MDC_ASSERT(period <= MDC_MAX_PERIOD);
    r->period = period;
    if (period)
        r->column = (uint32_t)(r->pos % period);
    else {
        uint64_t col = r->pos - r->line_start;
        r->column = (uint32_t)(col < 0xFFFF ? col : 0xFFFF);
    }
}
