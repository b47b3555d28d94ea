/*
 * table.h: the readable report of `rexian replay`: one row per scope, labelled in Chinese
 * and English, figures formatted as the hotlines publish them (97.52%, 3.22 s).
 */
#ifndef REXIAN_TABLE_H
#define REXIAN_TABLE_H

#include <stdio.h>

#include "rexian/engine.h"
#include "rexian/view.h"

void rx_table_print(FILE *out, const struct rx_engine *e, enum rx_window_id win,
    const struct rx_ingest_stats *in);

#endif
