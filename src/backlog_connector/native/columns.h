/* The buffers of one Arrow column being filled: validity, values, string offsets. */
#ifndef BACKLOG_CONNECTOR_COLUMNS_H
#define BACKLOG_CONNECTOR_COLUMNS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "buf.h"

enum { K_INT, K_FLOAT, K_STR };

typedef struct {
    int kind;
    Buf valid; /* a byte per row, packed to bits by col_result */
    Buf data; /* int64, double, or string bytes */
    Buf offsets; /* int32, for strings */
    int64_t nulls;
} Col;

/* Each returns 0, or -1 when memory ran out (or the strings passed 2 GiB). */
int col_start(Col *c, int kind);
int col_null(Col *c);
int col_int(Col *c, int64_t v);
int col_double(Col *c, double v);
int col_str(Col *c, const char *s, size_t n);
void col_free(Col *c);

/* With the GIL: the bytes of a buffer; the packed validity bitmap (None without NULLs); a
 * column as (length, null count, validity or None, data, offsets or None). */
PyObject *bytes_of(const Buf *b);
PyObject *validity_bits(const Col *c);
PyObject *col_result(const Col *c);

#endif
