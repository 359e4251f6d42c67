/* Issue pages from their raw JSON bytes to Arrow buffers, without a Python object per value.
 *
 * parse(body) reads one page (a JSON array of objects) into a flat node tape, with the GIL
 * released; extract(pages, plan) walks the tapes of a batch's pages and fills the buffers of
 * the columns a Plan names, also without the GIL. Both are strict: anything this code does not
 * reproduce exactly as the Python path would (a value of another JSON type than the column
 * expects, an unknown top-level field with a value, an integer past 64 bits, a lone surrogate,
 * invalid UTF-8, ...) makes them answer None, and the caller builds that batch the Python way.
 * So a table is the same whichever path built it; this one is only faster.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { J_NULL, J_FALSE, J_TRUE, J_INT, J_FLOAT, J_STR, J_ARR, J_OBJ };

typedef struct {
    uint32_t type;
    uint32_t end; /* index one past this node's subtree */
    uint32_t count; /* members of an object, elements of an array */
    uint32_t len; /* string length */
    union {
        int64_t i;
        double d;
        uint64_t off; /* string start in the page's string buffer */
    } v;
} Node;

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t more) {
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const void *src, size_t n) {
    if (buf_reserve(b, n)) return -1;
    if (n) memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

static void buf_free(Buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- the parser -------------------------------------------------------------------------- */

#define MAX_DEPTH 64
#define MAX_NODES 0x7fffffffu

typedef struct {
    const unsigned char *p, *end;
    Node *nodes;
    size_t n, cap;
    Buf strs;
    locale_t c_locale;
} Parser;

static int64_t new_node(Parser *ps, uint32_t type) {
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 4096;
        if (cap > MAX_NODES) return -1;
        Node *nodes = realloc(ps->nodes, cap * sizeof(Node));
        if (!nodes) return -1;
        ps->nodes = nodes;
        ps->cap = cap;
    }
    Node *node = &ps->nodes[ps->n];
    memset(node, 0, sizeof(Node));
    node->type = type;
    node->end = (uint32_t)(ps->n + 1);
    return (int64_t)ps->n++;
}

static void skip_ws(Parser *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

static int hex4(const unsigned char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(Buf *b, uint32_t cp) {
    unsigned char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (unsigned char)(0xF0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_put(b, out, n);
}

/* The length of the valid UTF-8 sequence at p (1-4), or 0 (overlong forms, surrogates and
 * code points past U+10FFFF are invalid, as Python's decoder has them). */
static int utf8_seq(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        if (end - p < 2 || (p[1] & 0xC0) != 0x80) return 0;
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;
        if (c == 0xED && p[1] >= 0xA0) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

static int parse_string(Parser *ps) {
    /* at the opening quote */
    int64_t idx = new_node(ps, J_STR);
    if (idx < 0) return -1;
    ps->p++;
    size_t start = ps->strs.len;
    for (;;) {
        const unsigned char *run = ps->p;
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x20 &&
               *ps->p < 0x80)
            ps->p++;
        if (buf_put(&ps->strs, run, (size_t)(ps->p - run))) return -1;
        if (ps->p >= ps->end) return -1;
        unsigned char c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20) return -1;
        if (c >= 0x80) {
            int n = utf8_seq(ps->p, ps->end);
            if (!n || buf_put(&ps->strs, ps->p, (size_t)n)) return -1;
            ps->p += n;
            continue;
        }
        /* a backslash */
        if (ps->end - ps->p < 2) return -1;
        unsigned char e = ps->p[1];
        char plain = 0;
        switch (e) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': break;
        default: return -1;
        }
        if (e != 'u') {
            if (buf_put(&ps->strs, &plain, 1)) return -1;
            ps->p += 2;
            continue;
        }
        uint32_t cp;
        if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp)) return -1;
        ps->p += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return -1; /* a lone trailing surrogate */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                hex4(ps->p + 2, &low) || low < 0xDC00 || low > 0xDFFF)
                return -1; /* a lone leading surrogate */
            ps->p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (put_utf8(&ps->strs, cp)) return -1;
    }
    size_t len = ps->strs.len - start;
    if (len > 0x7fffffff) return -1;
    Node *node = &ps->nodes[idx];
    node->v.off = start;
    node->len = (uint32_t)len;
    return 0;
}

static int parse_number(Parser *ps) {
    const unsigned char *start = ps->p;
    const unsigned char *q = ps->p;
    int negative = 0, is_float = 0;
    if (q < ps->end && *q == '-') {
        negative = 1;
        q++;
    }
    if (q >= ps->end) return -1;
    if (*q == '0') {
        q++;
    } else if (*q >= '1' && *q <= '9') {
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    } else {
        return -1;
    }
    const unsigned char *int_end = q;
    if (q < ps->end && *q == '.') {
        is_float = 1;
        q++;
        if (q >= ps->end || *q < '0' || *q > '9') return -1;
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        is_float = 1;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-')) q++;
        if (q >= ps->end || *q < '0' || *q > '9') return -1;
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    ps->p = q;
    int64_t idx = new_node(ps, is_float ? J_FLOAT : J_INT);
    if (idx < 0) return -1;
    Node *node = &ps->nodes[idx];
    if (!is_float) {
        const unsigned char *d = start + negative;
        uint64_t mag = 0;
        for (; d < int_end; d++) {
            uint64_t digit = (uint64_t)(*d - '0');
            if (mag > (UINT64_MAX - digit) / 10) return -1;
            mag = mag * 10 + digit;
        }
        if (negative) {
            if (mag > (uint64_t)INT64_MAX + 1) return -1;
            node->v.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        } else {
            if (mag > (uint64_t)INT64_MAX) return -1; /* past int64: the Python path decides */
            node->v.i = (int64_t)mag;
        }
        return 0;
    }
    char text[64];
    size_t n = (size_t)(q - start);
    if (n >= sizeof(text)) return -1; /* long literals: left to the Python path */
    memcpy(text, start, n);
    text[n] = 0;
    char *stop;
    double d = strtod_l(text, &stop, ps->c_locale);
    if (stop != text + n || !isfinite(d)) return -1;
    node->v.d = d;
    return 0;
}

static int parse_value(Parser *ps, int depth);

static int parse_container(Parser *ps, int depth, int object) {
    if (depth > MAX_DEPTH) return -1;
    int64_t idx = new_node(ps, object ? J_OBJ : J_ARR);
    if (idx < 0) return -1;
    ps->p++;
    uint32_t count = 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
    } else {
        for (;;) {
            skip_ws(ps);
            if (object) {
                if (ps->p >= ps->end || *ps->p != '"' || parse_string(ps)) return -1;
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':') return -1;
                ps->p++;
                skip_ws(ps);
            }
            if (parse_value(ps, depth + 1)) return -1;
            count++;
            skip_ws(ps);
            if (ps->p >= ps->end) return -1;
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p == (object ? '}' : ']')) {
                ps->p++;
                break;
            }
            return -1;
        }
    }
    Node *node = &ps->nodes[idx];
    node->count = count;
    node->end = (uint32_t)ps->n;
    return 0;
}

static int literal(Parser *ps, const char *word, uint32_t type) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) return -1;
    ps->p += n;
    return new_node(ps, type) < 0 ? -1 : 0;
}

static int parse_value(Parser *ps, int depth) {
    if (ps->p >= ps->end) return -1;
    switch (*ps->p) {
    case '{': return parse_container(ps, depth, 1);
    case '[': return parse_container(ps, depth, 0);
    case '"': return parse_string(ps);
    case 't': return literal(ps, "true", J_TRUE);
    case 'f': return literal(ps, "false", J_FALSE);
    case 'n': return literal(ps, "null", J_NULL);
    default: return parse_number(ps);
    }
}

/* ---- Page: one parsed page ------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *body; /* the page's bytes (rows are sliced from it) */
    Node *nodes;
    size_t n_nodes;
    char *strs;
    uint32_t *rows; /* node index of each row */
    uint64_t *spans; /* start and end byte offset of each row */
    Py_ssize_t n_rows;
} Page;

static void Page_dealloc(Page *self) {
    Py_XDECREF(self->body);
    free(self->nodes);
    free(self->strs);
    free(self->rows);
    free(self->spans);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t Page_len(Page *self) { return self->n_rows; }

static PySequenceMethods Page_as_sequence = {.sq_length = (lenfunc)Page_len};

static const Node *member(const Node *nodes, const char *strs, uint32_t obj, const char *key,
                          size_t key_len) {
    /* the value of the last member named key (as a dict keeps it), or NULL */
    const Node *found = NULL;
    uint32_t i = obj + 1;
    for (uint32_t m = 0; m < nodes[obj].count; m++) {
        const Node *k = &nodes[i];
        if (k->len == key_len && !memcmp(strs + k->v.off, key, key_len)) found = &nodes[i + 1];
        i = nodes[i + 1].end;
    }
    return found;
}

static PyObject *Page_ints(Page *self, PyObject *arg) {
    /* list of the rows' integer values of a top-level key (None where null or missing);
     * None when some row holds another type */
    Py_ssize_t key_len;
    const char *key = PyUnicode_AsUTF8AndSize(arg, &key_len);
    if (!key) return NULL;
    PyObject *out = PyList_New(self->n_rows);
    if (!out) return NULL;
    for (Py_ssize_t r = 0; r < self->n_rows; r++) {
        const Node *v = member(self->nodes, self->strs, self->rows[r], key, (size_t)key_len);
        PyObject *item;
        if (!v || v->type == J_NULL) {
            item = Py_NewRef(Py_None);
        } else if (v->type == J_INT) {
            item = PyLong_FromLongLong(v->v.i);
            if (!item) {
                Py_DECREF(out);
                return NULL;
            }
        } else {
            Py_DECREF(out);
            Py_RETURN_NONE;
        }
        PyList_SET_ITEM(out, r, item);
    }
    return out;
}

static PyObject *Page_texts(Page *self, PyObject *arg) {
    /* as ints, for text values */
    Py_ssize_t key_len;
    const char *key = PyUnicode_AsUTF8AndSize(arg, &key_len);
    if (!key) return NULL;
    PyObject *out = PyList_New(self->n_rows);
    if (!out) return NULL;
    for (Py_ssize_t r = 0; r < self->n_rows; r++) {
        const Node *v = member(self->nodes, self->strs, self->rows[r], key, (size_t)key_len);
        PyObject *item;
        if (!v || v->type == J_NULL) {
            item = Py_NewRef(Py_None);
        } else if (v->type == J_STR) {
            item = PyUnicode_DecodeUTF8(self->strs + v->v.off, v->len, "strict");
            if (!item) {
                Py_DECREF(out);
                return NULL;
            }
        } else {
            Py_DECREF(out);
            Py_RETURN_NONE;
        }
        PyList_SET_ITEM(out, r, item);
    }
    return out;
}

static PyObject *Page_row(Page *self, PyObject *arg) {
    /* the JSON bytes of row i */
    Py_ssize_t r = PyLong_AsSsize_t(arg);
    if (r == -1 && PyErr_Occurred()) return NULL;
    if (r < 0 || r >= self->n_rows) {
        PyErr_SetString(PyExc_IndexError, "row index out of range");
        return NULL;
    }
    const char *data = PyBytes_AS_STRING(self->body);
    return PyBytes_FromStringAndSize(data + self->spans[2 * r],
                                     (Py_ssize_t)(self->spans[2 * r + 1] - self->spans[2 * r]));
}

static PyMethodDef Page_methods[] = {
    {"ints", (PyCFunction)Page_ints, METH_O, "integers of a top-level key, or None"},
    {"texts", (PyCFunction)Page_texts, METH_O, "texts of a top-level key, or None"},
    {"row", (PyCFunction)Page_row, METH_O, "the JSON bytes of one row"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PageType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "backlog_connector.native._pages.Page",
    .tp_basicsize = sizeof(Page),
    .tp_dealloc = (destructor)Page_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One page of objects parsed from its JSON bytes (see parse).",
    .tp_as_sequence = &Page_as_sequence,
    .tp_methods = Page_methods,
};

static locale_t c_locale;

static PyObject *parse(PyObject *module, PyObject *arg) {
    if (!PyBytes_CheckExact(arg)) {
        PyErr_SetString(PyExc_TypeError, "parse() takes bytes");
        return NULL;
    }
    Parser ps = {0};
    ps.p = (const unsigned char *)PyBytes_AS_STRING(arg);
    ps.end = ps.p + PyBytes_GET_SIZE(arg);
    ps.c_locale = c_locale;
    const unsigned char *base = ps.p;
    uint32_t *rows = NULL;
    uint64_t *spans = NULL;
    Py_ssize_t n_rows = 0;
    int ok = 0;
    Py_BEGIN_ALLOW_THREADS;
    skip_ws(&ps);
    if (ps.p < ps.end && *ps.p == '[') {
        /* the top-level array, element by element, to note each row's byte span */
        int64_t top = new_node(&ps, J_ARR);
        size_t cap = 128;
        rows = malloc(cap * sizeof(uint32_t));
        spans = malloc(cap * 2 * sizeof(uint64_t));
        ps.p++;
        skip_ws(&ps);
        int failed = top < 0 || !rows || !spans;
        if (!failed && ps.p < ps.end && *ps.p == ']') {
            ps.p++;
        } else {
            while (!failed) {
                skip_ws(&ps);
                if (ps.p >= ps.end || *ps.p != '{') {
                    failed = 1;
                    break;
                }
                if ((size_t)n_rows == cap) {
                    cap *= 2;
                    uint32_t *r2 = realloc(rows, cap * sizeof(uint32_t));
                    if (r2) rows = r2;
                    uint64_t *s2 = realloc(spans, cap * 2 * sizeof(uint64_t));
                    if (s2) spans = s2;
                    if (!r2 || !s2) {
                        failed = 1;
                        break;
                    }
                }
                rows[n_rows] = (uint32_t)ps.n;
                spans[2 * n_rows] = (uint64_t)(ps.p - base);
                if (parse_value(&ps, 1)) {
                    failed = 1;
                    break;
                }
                spans[2 * n_rows + 1] = (uint64_t)(ps.p - base);
                n_rows++;
                skip_ws(&ps);
                if (ps.p < ps.end && *ps.p == ',') {
                    ps.p++;
                    continue;
                }
                if (ps.p < ps.end && *ps.p == ']') {
                    ps.p++;
                    break;
                }
                failed = 1;
            }
        }
        if (!failed) {
            ps.nodes[top].count = (uint32_t)n_rows;
            ps.nodes[top].end = (uint32_t)ps.n;
            skip_ws(&ps);
            ok = ps.p == ps.end;
        }
    }
    Py_END_ALLOW_THREADS;
    if (!ok) {
        free(ps.nodes);
        buf_free(&ps.strs);
        free(rows);
        free(spans);
        Py_RETURN_NONE;
    }
    Page *page = PyObject_New(Page, &PageType);
    if (!page) {
        free(ps.nodes);
        buf_free(&ps.strs);
        free(rows);
        free(spans);
        return NULL;
    }
    page->body = Py_NewRef(arg);
    page->nodes = ps.nodes;
    page->n_nodes = ps.n;
    page->strs = ps.strs.data;
    page->rows = rows;
    page->spans = spans;
    page->n_rows = n_rows;
    return (PyObject *)page;
}

/* ---- column builders ------------------------------------------------------------------------ */

enum { K_INT, K_FLOAT, K_STR };

typedef struct {
    int kind;
    Buf valid; /* a byte per row, packed to bits at the end */
    Buf data; /* int64, double, or string bytes */
    Buf offsets; /* int32, for strings */
    int64_t nulls;
} Col;

static int col_start(Col *c, int kind) {
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

static int col_null(Col *c) {
    char zero = 0;
    c->nulls++;
    if (buf_put(&c->valid, &zero, 1)) return -1;
    if (c->kind == K_STR) return col_offset(c);
    int64_t blank = 0;
    return buf_put(&c->data, &blank, 8);
}

static int col_int(Col *c, int64_t v) {
    char one = 1;
    return buf_put(&c->valid, &one, 1) || buf_put(&c->data, &v, 8);
}

static int col_double(Col *c, double v) {
    char one = 1;
    return buf_put(&c->valid, &one, 1) || buf_put(&c->data, &v, 8);
}

static int col_str(Col *c, const char *s, size_t n) {
    char one = 1;
    return buf_put(&c->valid, &one, 1) || buf_put(&c->data, s, n) || col_offset(c);
}

static void col_free(Col *c) {
    buf_free(&c->valid);
    buf_free(&c->data);
    buf_free(&c->offsets);
}

static PyObject *bytes_of(const Buf *b) {
    return PyBytes_FromStringAndSize(b->data ? b->data : "", (Py_ssize_t)b->len);
}

static PyObject *validity_bits(const Col *c) {
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

static PyObject *col_result(const Col *c) {
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

/* ---- the plan ------------------------------------------------------------------------------- */

/* What a batch reads: top-level keys (each holding plain fields, a list of named items, a
 * count, the custom fields, or only known), the fields' paths below them, the custom-field
 * slots. Built once from Python (see pages.py) and kept in a capsule. */

enum { ROLE_KNOWN = 1, ROLE_LIST = 2, ROLE_COUNT = 4, ROLE_CUSTOM = 8 };

typedef struct {
    char *name;
    size_t len;
} Key;

typedef struct {
    int top; /* top-level key index */
    int sub; /* key index under it, or -1 */
    int fb_top, fb_sub; /* the fallback path, or fb_top == -1 */
    int kind;
} FieldSpec;

typedef struct {
    int64_t field_id;
    int column;
    int64_t type_id;
} SlotSpec;

#define TOP_HASH 256

typedef struct {
    Key *tops;
    int n_tops;
    int *roles;
    int top_hash[TOP_HASH]; /* open addressing: top index + 1, 0 empty */
    Key *subs;
    int n_subs;
    FieldSpec *fields;
    int n_fields;
    int *lists; /* top index of each item list */
    int n_lists;
    int *counts;
    int n_counts;
    int custom; /* top index of customFields, or -1 */
    int id_top; /* top index of "id" (the custom-field rows' issueId) */
    SlotSpec *slots;
    int n_slots;
    int width;
    int *slot_types; /* per wide column: its planned field type id */
} Plan;

static uint32_t hash_key(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static int top_index(const Plan *plan, const char *s, size_t n) {
    uint32_t h = hash_key(s, n) & (TOP_HASH - 1);
    for (int probe = 0; probe < TOP_HASH; probe++) {
        int slot = plan->top_hash[(h + (uint32_t)probe) & (TOP_HASH - 1)];
        if (!slot) return -1;
        const Key *k = &plan->tops[slot - 1];
        if (k->len == n && !memcmp(k->name, s, n)) return slot - 1;
    }
    return -1;
}

static void plan_free(Plan *plan) {
    if (!plan) return;
    for (int i = 0; i < plan->n_tops; i++) free(plan->tops[i].name);
    for (int i = 0; i < plan->n_subs; i++) free(plan->subs[i].name);
    free(plan->tops);
    free(plan->roles);
    free(plan->subs);
    free(plan->fields);
    free(plan->lists);
    free(plan->counts);
    free(plan->slots);
    free(plan->slot_types);
    free(plan);
}

static void plan_capsule_free(PyObject *capsule) {
    plan_free(PyCapsule_GetPointer(capsule, "backlog_connector.native.Plan"));
}

static int copy_keys(PyObject *seq, Key **out, int *n_out) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    *out = calloc((size_t)n + 1, sizeof(Key));
    if (!*out) return -1;
    *n_out = (int)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &len);
        if (!s) return -1;
        (*out)[i].name = malloc((size_t)len + 1);
        if (!(*out)[i].name) return -1;
        memcpy((*out)[i].name, s, (size_t)len + 1);
        (*out)[i].len = (size_t)len;
    }
    return 0;
}

static int *int_array(PyObject *seq, int *n_out) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int *out = calloc((size_t)n + 1, sizeof(int));
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred()) {
            free(out);
            return NULL;
        }
        out[i] = (int)v;
    }
    *n_out = (int)n;
    return out;
}

static PyObject *make_plan(PyObject *module, PyObject *args) {
    /* make_plan(tops, roles, subs, fields, lists, counts, custom, id_top, slots, slot_types)
     *   tops: [str]; roles: [int]; subs: [str];
     *   fields: [(top, sub, fb_top, fb_sub, kind)]; lists, counts: [top];
     *   custom, id_top: top or -1; slots: [(field_id, column)]; slot_types: [type id] */
    PyObject *tops, *roles, *subs, *fields, *lists, *counts, *slots, *slot_types;
    int custom, id_top;
    if (!PyArg_ParseTuple(args, "OOOOOOiiOO", &tops, &roles, &subs, &fields, &lists, &counts,
                          &custom, &id_top, &slots, &slot_types))
        return NULL;
    Plan *plan = calloc(1, sizeof(Plan));
    if (!plan) return PyErr_NoMemory();
    PyObject *seqs[8] = {NULL};
    PyObject *raw[8] = {tops, roles, subs, fields, lists, counts, slots, slot_types};
    for (int i = 0; i < 8; i++) {
        seqs[i] = PySequence_Fast(raw[i], "make_plan takes sequences");
        if (!seqs[i]) goto fail;
    }
    if (copy_keys(seqs[0], &plan->tops, &plan->n_tops)) goto fail;
    if (plan->n_tops >= TOP_HASH / 2) {
        PyErr_SetString(PyExc_ValueError, "too many top-level keys for a plan");
        goto fail;
    }
    int n_roles;
    if (!(plan->roles = int_array(seqs[1], &n_roles))) goto fail;
    if (n_roles != plan->n_tops) {
        PyErr_SetString(PyExc_ValueError, "one role per top-level key");
        goto fail;
    }
    for (int i = 0; i < plan->n_tops; i++) {
        uint32_t h = hash_key(plan->tops[i].name, plan->tops[i].len) & (TOP_HASH - 1);
        while (plan->top_hash[h]) h = (h + 1) & (TOP_HASH - 1);
        plan->top_hash[h] = i + 1;
    }
    if (copy_keys(seqs[2], &plan->subs, &plan->n_subs)) goto fail;
    Py_ssize_t nf = PySequence_Fast_GET_SIZE(seqs[3]);
    plan->fields = calloc((size_t)nf + 1, sizeof(FieldSpec));
    if (!plan->fields) goto fail;
    plan->n_fields = (int)nf;
    for (Py_ssize_t i = 0; i < nf; i++) {
        FieldSpec *f = &plan->fields[i];
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seqs[3], i), "iiiii", &f->top, &f->sub,
                              &f->fb_top, &f->fb_sub, &f->kind))
            goto fail;
        if (f->top < 0 || f->top >= plan->n_tops || f->sub >= plan->n_subs ||
            f->fb_top >= plan->n_tops || f->fb_sub >= plan->n_subs || f->kind < K_INT ||
            f->kind > K_STR) {
            PyErr_SetString(PyExc_ValueError, "a field of the plan is out of range");
            goto fail;
        }
    }
    if (!(plan->lists = int_array(seqs[4], &plan->n_lists))) goto fail;
    if (!(plan->counts = int_array(seqs[5], &plan->n_counts))) goto fail;
    for (int i = 0; i < plan->n_lists; i++)
        if (plan->lists[i] < 0 || plan->lists[i] >= plan->n_tops) goto range;
    for (int i = 0; i < plan->n_counts; i++)
        if (plan->counts[i] < 0 || plan->counts[i] >= plan->n_tops) goto range;
    if (custom >= plan->n_tops || id_top < 0 || id_top >= plan->n_tops) goto range;
    plan->custom = custom;
    plan->id_top = id_top;
    Py_ssize_t ns = PySequence_Fast_GET_SIZE(seqs[6]);
    plan->slots = calloc((size_t)ns + 1, sizeof(SlotSpec));
    if (!plan->slots) goto fail;
    plan->n_slots = (int)ns;
    if (!(plan->slot_types = int_array(seqs[7], &plan->width))) goto fail;
    for (Py_ssize_t i = 0; i < ns; i++) {
        SlotSpec *s = &plan->slots[i];
        long long fid;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seqs[6], i), "Li", &fid, &s->column))
            goto fail;
        s->field_id = fid;
        if (s->column < 0 || s->column >= plan->width) goto range;
        s->type_id = plan->slot_types[s->column];
    }
    for (int i = 0; i < 8; i++) Py_DECREF(seqs[i]);
    PyObject *capsule = PyCapsule_New(plan, "backlog_connector.native.Plan", plan_capsule_free);
    if (!capsule) plan_free(plan);
    return capsule;
range:
    PyErr_SetString(PyExc_ValueError, "an index of the plan is out of range");
fail:
    for (int i = 0; i < 8; i++) Py_XDECREF(seqs[i]);
    plan_free(plan);
    return NULL;
}

/* ---- extraction ----------------------------------------------------------------------------- */

#define LIST_TYPE(t) ((t) >= 5 && (t) <= 8)
#define NUMERIC 3
#define DATE_TYPE 4
#define EXACT_DOUBLE (9007199254740992LL) /* 2^53: integers a double holds exactly */

typedef struct {
    /* a wide value set by the last custom-field entry of its slot in a row */
    int kind; /* 0 null, 1 string (strs of the page or names buffer), 2 double */
    const char *s;
    size_t len;
    double d;
} Wide;

typedef struct {
    Col *fields;
    Col *list_ids, *list_names;
    Buf *list_offsets; /* int32 per list, n + 1 */
    Buf *list_valid;
    int64_t *list_nulls;
    Col *counts;
    Col *wide;
    /* the long custom-field table */
    Col issue_id, field_id, field_name, type_id, text, number, date, item_names, other;
    Col item_ids;
    Buf item_offsets, item_valid;
    int64_t item_nulls;
    int64_t rows;
    Buf names; /* scratch: joined names of one entry */
} Out;

static int number_value(const Node *v, double *out) {
    if (v->type == J_FLOAT) {
        *out = v->v.d;
        return 0;
    }
    if (v->type == J_INT && v->v.i <= EXACT_DOUBLE && v->v.i >= -EXACT_DOUBLE) {
        *out = (double)v->v.i;
        return 0;
    }
    return -1;
}

static int put_field(Col *c, const Node *v, const char *strs) {
    if (!v || v->type == J_NULL) return col_null(c) ? -2 : 0;
    switch (c->kind) {
    case K_INT:
        if (v->type != J_INT) return -1;
        return col_int(c, v->v.i) ? -2 : 0;
    case K_FLOAT: {
        double d;
        if (number_value(v, &d)) return -1;
        return col_double(c, d) ? -2 : 0;
    }
    default:
        if (v->type != J_STR) return -1;
        return col_str(c, strs + v->v.off, v->len) ? -2 : 0;
    }
}

static const Node *sub_member(const Node *nodes, const char *strs, const Node *parent,
                              const Key *key, int *bad) {
    if (!parent || parent->type == J_NULL) return NULL;
    if (parent->type != J_OBJ) {
        *bad = 1;
        return NULL;
    }
    return member(nodes, strs, (uint32_t)(parent - nodes), key->name, key->len);
}

static int slot_of(const Plan *plan, int64_t field_id) {
    for (int i = 0; i < plan->n_slots; i++)
        if (plan->slots[i].field_id == field_id) return i;
    return -1;
}

static int item_names(Out *o, const Node *nodes, const char *strs, const Node *value,
                      int *n_names) {
    /* the names of a list value's items (an object, or an array of objects) joined with ", "
     * into o->names; -1 for anything else */
    o->names.len = 0;
    *n_names = 0;
    uint32_t first, count;
    if (value->type == J_OBJ) {
        first = (uint32_t)(value - nodes);
        count = 1;
    } else if (value->type == J_ARR) {
        first = (uint32_t)(value - nodes) + 1;
        count = value->count;
    } else {
        return -1;
    }
    uint32_t i = first;
    for (uint32_t k = 0; k < count; k++) {
        const Node *item = &nodes[i];
        if (item->type != J_OBJ) return -1;
        const Node *id = member(nodes, strs, i, "id", 2);
        const Node *name = member(nodes, strs, i, "name", 4);
        if (!id || id->type != J_INT) return -1;
        if (name && name->type != J_NULL) {
            if (name->type != J_STR) return -1;
            if (*n_names && buf_put(&o->names, ", ", 2)) return -2;
            if (buf_put(&o->names, strs + name->v.off, name->len)) return -2;
            (*n_names)++;
        }
        i = item->end;
    }
    return 0;
}

static int custom_row(Out *o, const Plan *plan, const Node *nodes, const char *strs,
                      const Node *entries, const Node *issue_id, Wide *wide) {
    /* one issue's customFields: its wide values and its rows of the long table */
    if (!entries || entries->type != J_ARR) return 0; /* the Python path skips these too */
    uint32_t i = (uint32_t)(entries - nodes) + 1;
    for (uint32_t k = 0; k < entries->count; k++) {
        const Node *entry = &nodes[i];
        uint32_t next = entry->end;
        if (entry->type != J_OBJ) {
            i = next;
            continue;
        }
        const Node *value = member(nodes, strs, i, "value", 5);
        const Node *type = member(nodes, strs, i, "fieldTypeId", 11);
        const Node *fid = member(nodes, strs, i, "id", 2);
        const Node *name = member(nodes, strs, i, "name", 4);
        const Node *other = member(nodes, strs, i, "otherValue", 10);
        if (!type || type->type != J_INT || !fid || fid->type != J_INT) return -1;
        if (name && name->type != J_NULL && name->type != J_STR) return -1;
        if (other && other->type != J_NULL && other->type != J_STR) return -1;
        if (!issue_id || issue_id->type != J_INT) return -1;
        int64_t type_id = type->v.i;
        int is_null = !value || value->type == J_NULL;
        int listed = LIST_TYPE(type_id) || (!is_null && (value->type == J_OBJ || value->type == J_ARR));
        int slot = slot_of(plan, fid->v.i);
        int64_t slot_type = slot >= 0 ? plan->slots[slot].type_id : 0;
        int other_text = other && other->type == J_STR && other->len > 0;
        Wide shown = {0};
        int n_names = 0;
        if (listed) {
            if (!LIST_TYPE(type_id) || (slot >= 0 && !LIST_TYPE(slot_type))) return -1;
            o->names.len = 0;
            if (!is_null) {
                int r = item_names(o, nodes, strs, value, &n_names);
                if (r) return r;
            }
            if (other_text) {
                if (n_names && buf_put(&o->names, ", ", 2)) return -2;
                if (buf_put(&o->names, strs + other->v.off, other->len)) return -2;
            }
            if (n_names || other_text) {
                shown.kind = 1;
                shown.s = NULL; /* the names buffer: copied below */
                shown.len = o->names.len;
            }
        } else {
            if (slot >= 0 && LIST_TYPE(slot_type)) return -1;
            if (type_id == NUMERIC) {
                if (slot >= 0 && slot_type != NUMERIC) return -1;
                if (!is_null) {
                    if (number_value(value, &shown.d)) return -1;
                    shown.kind = 2;
                }
            } else if (type_id == DATE_TYPE || type_id == 1 || type_id == 2) {
                if (slot >= 0 && (type_id == DATE_TYPE) != (slot_type == DATE_TYPE)) return -1;
                if (slot >= 0 && slot_type == NUMERIC) return -1;
                if (!is_null) {
                    if (value->type != J_STR) return -1;
                    shown.kind = 1;
                    shown.s = strs + value->v.off;
                    shown.len = value->len;
                }
            } else {
                return -1;
            }
        }
        if (slot >= 0) {
            int column = plan->slots[slot].column;
            Wide *w = &wide[column];
            if (w->kind == 3) free((void *)w->s); /* an earlier entry of the same column */
            *w = shown;
            if (shown.kind == 1 && !shown.s) {
                /* joined names live in the scratch buffer: keep a copy for this row */
                char *copy = malloc(shown.len ? shown.len : 1);
                if (!copy) return -2;
                memcpy(copy, o->names.data, shown.len);
                w->s = copy;
                w->kind = 3; /* a string to free */
            }
        }
        int empty_value = is_null || (value->type == J_STR && value->len == 0) ||
                          (value->type == J_ARR && value->count == 0);
        if (!(empty_value && !other_text)) {
            if (col_int(&o->issue_id, issue_id->v.i) || col_int(&o->field_id, fid->v.i) ||
                (name && name->type == J_STR ? col_str(&o->field_name, strs + name->v.off, name->len)
                                             : col_null(&o->field_name)) ||
                col_int(&o->type_id, type_id) ||
                (other && other->type == J_STR ? col_str(&o->other, strs + other->v.off, other->len)
                                               : col_null(&o->other)))
                return -2;
            if (listed) {
                /* item ids: one list per row */
                char one = 1;
                if (buf_put(&o->item_valid, &one, 1)) return -2;
                if (!is_null) {
                    uint32_t first = value->type == J_OBJ ? (uint32_t)(value - nodes)
                                                          : (uint32_t)(value - nodes) + 1;
                    uint32_t count = value->type == J_OBJ ? 1 : value->count;
                    uint32_t j = first;
                    for (uint32_t m = 0; m < count; m++) {
                        const Node *id = member(nodes, strs, j, "id", 2);
                        if (col_int(&o->item_ids, id->v.i)) return -2; /* checked above */
                        j = nodes[j].end;
                    }
                }
                if (o->item_ids.valid.len > 0x7fffffff) return -1;
                int32_t off = (int32_t)o->item_ids.valid.len;
                if (buf_put(&o->item_offsets, &off, 4)) return -2;
                if ((shown.kind ? col_str(&o->item_names, o->names.data, o->names.len)
                                : col_null(&o->item_names)) ||
                    col_null(&o->text) || col_null(&o->number) || col_null(&o->date))
                    return -2;
            } else {
                char zero = 0;
                o->item_nulls++;
                if (buf_put(&o->item_valid, &zero, 1)) return -2;
                int32_t off = (int32_t)o->item_ids.valid.len;
                if (buf_put(&o->item_offsets, &off, 4) || col_null(&o->item_names)) return -2;
                int text = type_id != NUMERIC && type_id != DATE_TYPE;
                if ((text && !is_null ? col_str(&o->text, shown.s, shown.len) : col_null(&o->text)) ||
                    (type_id == NUMERIC && !is_null ? col_double(&o->number, shown.d)
                                                    : col_null(&o->number)) ||
                    (type_id == DATE_TYPE && !is_null ? col_str(&o->date, shown.s, shown.len)
                                                      : col_null(&o->date)))
                    return -2;
            }
            o->rows++;
        }
        i = next;
    }
    return 0;
}

static void out_free(Out *o, const Plan *plan) {
    if (o->fields)
        for (int i = 0; i < plan->n_fields; i++) col_free(&o->fields[i]);
    if (o->list_ids)
        for (int i = 0; i < plan->n_lists; i++) {
            col_free(&o->list_ids[i]);
            col_free(&o->list_names[i]);
            buf_free(&o->list_offsets[i]);
            buf_free(&o->list_valid[i]);
        }
    if (o->counts)
        for (int i = 0; i < plan->n_counts; i++) col_free(&o->counts[i]);
    if (o->wide)
        for (int i = 0; i < plan->width; i++) col_free(&o->wide[i]);
    free(o->fields);
    free(o->list_ids);
    free(o->list_names);
    free(o->list_offsets);
    free(o->list_valid);
    free(o->list_nulls);
    free(o->counts);
    free(o->wide);
    Col *longs[] = {&o->issue_id, &o->field_id, &o->field_name, &o->type_id, &o->text,
                    &o->number, &o->date, &o->item_names, &o->other, &o->item_ids};
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) col_free(longs[i]);
    buf_free(&o->item_offsets);
    buf_free(&o->item_valid);
    buf_free(&o->names);
}

static int out_start(Out *o, const Plan *plan) {
    memset(o, 0, sizeof(Out));
    size_t nl = (size_t)plan->n_lists + 1;
    o->fields = calloc((size_t)plan->n_fields + 1, sizeof(Col));
    o->list_ids = calloc(nl, sizeof(Col));
    o->list_names = calloc(nl, sizeof(Col));
    o->list_offsets = calloc(nl, sizeof(Buf));
    o->list_valid = calloc(nl, sizeof(Buf));
    o->list_nulls = calloc(nl, sizeof(int64_t));
    o->counts = calloc((size_t)plan->n_counts + 1, sizeof(Col));
    o->wide = calloc((size_t)plan->width + 1, sizeof(Col));
    if (!o->fields || !o->list_ids || !o->list_names || !o->list_offsets || !o->list_valid ||
        !o->list_nulls || !o->counts || !o->wide)
        return -1;
    for (int i = 0; i < plan->n_fields; i++)
        if (col_start(&o->fields[i], plan->fields[i].kind)) return -1;
    int32_t zero = 0;
    for (int i = 0; i < plan->n_lists; i++)
        if (col_start(&o->list_ids[i], K_INT) || col_start(&o->list_names[i], K_STR) ||
            buf_put(&o->list_offsets[i], &zero, 4))
            return -1;
    for (int i = 0; i < plan->n_counts; i++)
        if (col_start(&o->counts[i], K_INT)) return -1;
    for (int i = 0; i < plan->width; i++) {
        int type = plan->slot_types[i];
        if (col_start(&o->wide[i], type == NUMERIC ? K_FLOAT : K_STR)) return -1;
    }
    if (col_start(&o->issue_id, K_INT) || col_start(&o->field_id, K_INT) ||
        col_start(&o->field_name, K_STR) || col_start(&o->type_id, K_INT) ||
        col_start(&o->text, K_STR) || col_start(&o->number, K_FLOAT) ||
        col_start(&o->date, K_STR) || col_start(&o->item_names, K_STR) ||
        col_start(&o->other, K_STR) || col_start(&o->item_ids, K_INT) ||
        buf_put(&o->item_offsets, &zero, 4))
        return -1;
    return 0;
}

static int put_list(Out *o, int li, const Node *nodes, const char *strs, const Node *v) {
    /* a list of named items (id, name), as list_items.items reads it */
    char flag;
    if (!v || v->type == J_NULL) {
        flag = 0;
        o->list_nulls[li]++;
    } else {
        if (v->type != J_ARR) return -1;
        flag = 1;
        uint32_t i = (uint32_t)(v - nodes) + 1;
        for (uint32_t k = 0; k < v->count; k++) {
            if (nodes[i].type != J_OBJ) return -1;
            const Node *id = member(nodes, strs, i, "id", 2);
            const Node *name = member(nodes, strs, i, "name", 4);
            if (!id || id->type != J_INT || !name || name->type != J_STR) return -1;
            if (col_int(&o->list_ids[li], id->v.i) ||
                col_str(&o->list_names[li], strs + name->v.off, name->len))
                return -2;
            i = nodes[i].end;
        }
    }
    if (o->list_ids[li].valid.len > 0x7fffffff) return -1;
    int32_t off = (int32_t)o->list_ids[li].valid.len;
    return buf_put(&o->list_valid[li], &flag, 1) || buf_put(&o->list_offsets[li], &off, 4) ? -2 : 0;
}

static int extract_rows(Out *o, const Plan *plan, Page **pages, Py_ssize_t n_pages) {
    const Node **tops = calloc((size_t)plan->n_tops + 1, sizeof(Node *));
    Wide *wide = calloc((size_t)plan->width + 1, sizeof(Wide));
    int status = tops && wide ? 0 : -2;
    for (Py_ssize_t p = 0; p < n_pages && !status; p++) {
        const Node *nodes = pages[p]->nodes;
        const char *strs = pages[p]->strs;
        for (Py_ssize_t r = 0; r < pages[p]->n_rows && !status; r++) {
            uint32_t row = pages[p]->rows[r];
            memset(tops, 0, (size_t)plan->n_tops * sizeof(Node *));
            uint32_t i = row + 1;
            for (uint32_t m = 0; m < nodes[row].count; m++) {
                const Node *key = &nodes[i];
                const Node *value = &nodes[i + 1];
                int t = top_index(plan, strs + key->v.off, key->len);
                if (t >= 0) {
                    tops[t] = value;
                } else if (!(value->type == J_NULL ||
                             ((value->type == J_ARR || value->type == J_OBJ) && !value->count))) {
                    status = -1; /* an unknown field with a value: kept in _extra by Python */
                    break;
                }
                i = value->end;
            }
            if (status) break;
            for (int f = 0; f < plan->n_fields && !status; f++) {
                const FieldSpec *spec = &plan->fields[f];
                int bad = 0;
                const Node *v = tops[spec->top];
                if (spec->sub >= 0) v = sub_member(nodes, strs, v, &plan->subs[spec->sub], &bad);
                if (spec->fb_top >= 0 && (!v || v->type == J_NULL)) {
                    v = tops[spec->fb_top];
                    if (spec->fb_sub >= 0)
                        v = sub_member(nodes, strs, v, &plan->subs[spec->fb_sub], &bad);
                }
                status = bad ? -1 : put_field(&o->fields[f], v, strs);
            }
            for (int l = 0; l < plan->n_lists && !status; l++)
                status = put_list(o, l, nodes, strs, tops[plan->lists[l]]);
            for (int c = 0; c < plan->n_counts && !status; c++) {
                const Node *v = tops[plan->counts[c]];
                status = col_int(&o->counts[c], v && v->type == J_ARR ? v->count : 0) ? -2 : 0;
            }
            if (status) break;
            memset(wide, 0, (size_t)plan->width * sizeof(Wide));
            if (plan->custom >= 0)
                status = custom_row(o, plan, nodes, strs, tops[plan->custom], tops[plan->id_top],
                                    wide);
            for (int w = 0; w < plan->width; w++) {
                Wide *v = &wide[w];
                if (!status) {
                    int failed;
                    if (v->kind == 0) failed = col_null(&o->wide[w]);
                    else if (v->kind == 2) failed = col_double(&o->wide[w], v->d);
                    else failed = col_str(&o->wide[w], v->s, v->len);
                    if (failed) status = -2;
                }
                if (v->kind == 3) free((void *)v->s);
                v->kind = 0;
            }
        }
    }
    free(tops);
    free(wide);
    return status;
}

static PyObject *list_result(const Out *o, int li) {
    PyObject *ids = col_result(&o->list_ids[li]);
    PyObject *names = col_result(&o->list_names[li]);
    PyObject *offsets = bytes_of(&o->list_offsets[li]);
    PyObject *valid = NULL;
    if (o->list_nulls[li]) {
        Col tmp = {.valid = o->list_valid[li], .nulls = o->list_nulls[li]};
        valid = validity_bits(&tmp);
    } else {
        valid = Py_NewRef(Py_None);
    }
    if (!ids || !names || !offsets || !valid) {
        Py_XDECREF(ids);
        Py_XDECREF(names);
        Py_XDECREF(offsets);
        Py_XDECREF(valid);
        return NULL;
    }
    return Py_BuildValue("(nLNNNN)", (Py_ssize_t)o->list_valid[li].len,
                         (long long)o->list_nulls[li], valid, offsets, ids, names);
}

static PyObject *cols_result(const Col *cols, int n) {
    PyObject *out = PyList_New(n);
    if (!out) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *c = col_result(&cols[i]);
        if (!c) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, c);
    }
    return out;
}

static PyObject *extract(PyObject *module, PyObject *args) {
    /* extract(pages, plan) -> (rows, fields, lists, counts, wide, long) or None */
    PyObject *pages_arg, *capsule;
    if (!PyArg_ParseTuple(args, "OO", &pages_arg, &capsule)) return NULL;
    Plan *plan = PyCapsule_GetPointer(capsule, "backlog_connector.native.Plan");
    if (!plan) return NULL;
    PyObject *seq = PySequence_Fast(pages_arg, "extract() takes a sequence of pages");
    if (!seq) return NULL;
    Py_ssize_t n_pages = PySequence_Fast_GET_SIZE(seq);
    Page **pages = calloc((size_t)n_pages + 1, sizeof(Page *));
    if (!pages) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n_pages; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyObject_TypeCheck(item, &PageType)) {
            free(pages);
            Py_DECREF(seq);
            PyErr_SetString(PyExc_TypeError, "extract() takes pages made by parse()");
            return NULL;
        }
        pages[i] = (Page *)item;
        total += pages[i]->n_rows;
    }
    for (Py_ssize_t i = 0; i < n_pages; i++) Py_INCREF(pages[i]); /* held while unlocked */
    Out o;
    int status;
    Py_INCREF(capsule);
    Py_BEGIN_ALLOW_THREADS;
    status = out_start(&o, plan) ? -2 : extract_rows(&o, plan, pages, n_pages);
    Py_END_ALLOW_THREADS;
    for (Py_ssize_t i = 0; i < n_pages; i++) Py_DECREF(pages[i]);
    free(pages);
    PyObject *result = NULL;
    if (status == -2) {
        PyErr_NoMemory();
    } else if (status == -1) {
        result = Py_NewRef(Py_None);
    } else {
        PyObject *fields = cols_result(o.fields, plan->n_fields);
        PyObject *lists = PyList_New(plan->n_lists);
        for (int i = 0; lists && i < plan->n_lists; i++) {
            PyObject *l = list_result(&o, i);
            if (!l) {
                Py_CLEAR(lists);
                break;
            }
            PyList_SET_ITEM(lists, i, l);
        }
        PyObject *counts = cols_result(o.counts, plan->n_counts);
        PyObject *wide = cols_result(o.wide, plan->width);
        Col longs[9] = {o.issue_id, o.field_id, o.field_name, o.type_id, o.text,
                        o.number, o.date, o.item_names, o.other};
        PyObject *long_cols = cols_result(longs, 9);
        PyObject *item_ids = NULL;
        if (long_cols) {
            Col tmp = {.valid = o.item_valid, .nulls = o.item_nulls};
            PyObject *valid = validity_bits(&tmp);
            PyObject *offsets = bytes_of(&o.item_offsets);
            PyObject *values = col_result(&o.item_ids);
            if (valid && offsets && values)
                item_ids = Py_BuildValue("(nLNNN)", (Py_ssize_t)o.item_valid.len,
                                         (long long)o.item_nulls, valid, offsets, values);
            else {
                Py_XDECREF(valid);
                Py_XDECREF(offsets);
                Py_XDECREF(values);
            }
        }
        if (fields && lists && counts && wide && long_cols && item_ids)
            result = Py_BuildValue("(nNNNNNN)", total, fields, lists, counts, wide, long_cols,
                                   item_ids);
        else {
            Py_XDECREF(fields);
            Py_XDECREF(lists);
            Py_XDECREF(counts);
            Py_XDECREF(wide);
            Py_XDECREF(long_cols);
            Py_XDECREF(item_ids);
        }
    }
    out_free(&o, plan);
    Py_DECREF(capsule);
    Py_DECREF(seq);
    return result;
}

static PyMethodDef methods[] = {
    {"parse", parse, METH_O, "parse(body) -> Page | None: a JSON list of objects, or None."},
    {"make_plan", make_plan, METH_VARARGS, "make_plan(...) -> capsule: what extract reads."},
    {"extract", extract, METH_VARARGS,
     "extract(pages, plan) -> buffers | None: the plan's columns of the pages' rows."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_pages", "Issue pages parsed natively (see pages.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__pages(void) {
    if (!c_locale) c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c_locale) return PyErr_NoMemory();
    if (PyType_Ready(&PageType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    if (PyModule_AddObjectRef(m, "Page", (PyObject *)&PageType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
