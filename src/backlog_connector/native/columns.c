/* Column buffers (columns.h). */
#include "columns.h"

int col_start(Col *c, int kind) {
    memset(c, 0, sizeof(Col));
    c->kind = kind;
    if (kind == K_STR) {
        int32_t zero = 0;
        return buf_put(&c->offsets, &zero, 4);
    }
    return 0;
}

static int col_offset(Col *c) {
    if (c->data.len > 0x7fffffff) return -1;
    int32_t off = (int32_t)c->data.len;
    return buf_put(&c->offsets, &off, 4);
}

int col_null(Col *c) {
    char zero = 0;
    c->nulls++;
    if (buf_put(&c->valid, &zero, 1)) return -1;
    if (c->kind == K_STR) return col_offset(c);
    int64_t blank = 0;
    return buf_put(&c->data, &blank, 8);
}

int col_int(Col *c, int64_t v) {
    char one = 1;
    return buf_put(&c->valid, &one, 1) || buf_put(&c->data, &v, 8);
}

int col_double(Col *c, double v) {
    char one = 1;
    return buf_put(&c->valid, &one, 1) || buf_put(&c->data, &v, 8);
}

int col_str(Col *c, const char *s, size_t n) {
    char one = 1;
    return buf_put(&c->valid, &one, 1) || buf_put(&c->data, s, n) || col_offset(c);
}

void col_free(Col *c) {
    buf_free(&c->valid);
    buf_free(&c->data);
    buf_free(&c->offsets);
}

PyObject *bytes_of(const Buf *b) {
    return PyBytes_FromStringAndSize(b->data ? b->data : "", (Py_ssize_t)b->len);
}

PyObject *validity_bits(const Col *c) {
    /* None when nothing is NULL (Arrow's convention), else the packed bitmap */
    if (!c->nulls) Py_RETURN_NONE;
    size_t n = c->valid.len;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)((n + 7) / 8));
    if (!out) return NULL;
    unsigned char *bits = (unsigned char *)PyBytes_AS_STRING(out);
    memset(bits, 0, (n + 7) / 8);
    for (size_t i = 0; i < n; i++)
        if (c->valid.data[i]) bits[i >> 3] |= (unsigned char)(1u << (i & 7));
    return out;
}

PyObject *col_result(const Col *c) {
    /* (length, null count, validity bits or None, data, offsets or None) */
    PyObject *bits = validity_bits(c);
    if (!bits) return NULL;
    PyObject *data = bytes_of(&c->data);
    PyObject *offsets = c->kind == K_STR ? bytes_of(&c->offsets) : Py_NewRef(Py_None);
    if (!data || !offsets) {
        Py_DECREF(bits);
        Py_XDECREF(data);
        Py_XDECREF(offsets);
        return NULL;
    }
    return Py_BuildValue("(nLNNN)", (Py_ssize_t)c->valid.len, (long long)c->nulls, bits, data,
                         offsets);
}
