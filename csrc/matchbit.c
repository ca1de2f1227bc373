#include "matchbit.h"

void matchbit_init(matchbit *m)
{
    for (int i = 0; i < MATCH_ENTRIES; i++)
        m->right[i] = MATCHBIT_START;
    m->predicted = m->entry = -1;
    for (int level = 0; level < 8; level++)
        m->on[level] = 0;
}
