/* The JSON parser behind tape.h: strict, so that what it takes is what orjson gives.
 *
 * It fails (and orjson gets the page) on: invalid JSON, nesting past MAX_DEPTH, invalid UTF-8
 * (overlong forms, surrogates, past U+10FFFF, as Python's decoder), a lone surrogate escape,
 * an integer outside int64, a number literal of 64 characters or more, a number that is not
 * finite as a double. Numbers are read with strtod_l in the C locale: correctly rounded, as
 * orjson's are, whatever the process's locale.
 */
#include "tape.h"

#include <math.h>
#include <stdlib.h>

#include "buf.h"

#define MAX_DEPTH 64
#define MAX_NODES 0x7fffffffu

typedef struct {
    const unsigned char *p, *end;
    Node *nodes;
    size_t n, cap;
    Buf strs;
    locale_t numbers;
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

static int unescape(Parser *ps) {
    /* at a backslash: its character (a \uXXXX pair for one past U+FFFF) into strs */
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
        return 0;
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
    return 0;
}

static int parse_string(Parser *ps) {
    /* at the opening quote; a string without escapes keeps pointing into the body */
    int64_t idx = new_node(ps, J_STR);
    if (idx < 0) return -1;
    const unsigned char *start = ++ps->p;
    for (;;) {
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x20 &&
               *ps->p < 0x80)
            ps->p++;
        if (ps->p >= ps->end || *ps->p < 0x20) return -1;
        if (*ps->p == '"') {
            size_t len = (size_t)(ps->p - start);
            if (len > 0x7fffffff) return -1;
            ps->nodes[idx].v.s = (const char *)start;
            ps->nodes[idx].len = (uint32_t)len;
            ps->p++;
            return 0;
        }
        if (*ps->p == '\\') break;
        int n = utf8_seq(ps->p, ps->end);
        if (!n) return -1;
        ps->p += n;
    }
    /* an escape: the string is unescaped into the tape's own buffer */
    size_t at = ps->strs.len;
    if (buf_put(&ps->strs, start, (size_t)(ps->p - start))) return -1;
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
        if (unescape(ps)) return -1;
    }
    size_t len = ps->strs.len - at;
    if (len > 0x7fffffff) return -1;
    Node *node = &ps->nodes[idx];
    node->v.i = (int64_t)at; /* an offset until the buffer stops moving (see tape_parse) */
    node->count = 1;
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
    double d = strtod_l(text, &stop, ps->numbers);
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

int tape_parse(const unsigned char *body, size_t size, locale_t numbers, Tape *tape) {
    Parser ps = {0};
    ps.p = body;
    ps.end = body + size;
    ps.numbers = numbers;
    ps.cap = size / 6 + 64; /* about one node per 6 bytes of issue JSON: few reallocations */
    ps.nodes = malloc(ps.cap * sizeof(Node));
    size_t cap = 128, n_rows = 0;
    uint32_t *rows = malloc(cap * sizeof(uint32_t));
    uint64_t *spans = malloc(cap * 2 * sizeof(uint64_t));
    int failed = !ps.nodes || !rows || !spans;
    skip_ws(&ps);
    if (failed || ps.p >= ps.end || *ps.p != '[') goto fail;
    /* the top-level array, element by element, to note each row's node and byte span */
    int64_t top = new_node(&ps, J_ARR);
    if (top < 0) goto fail;
    ps.p++;
    skip_ws(&ps);
    if (ps.p < ps.end && *ps.p == ']') {
        ps.p++;
    } else {
        for (;;) {
            skip_ws(&ps);
            if (ps.p >= ps.end || *ps.p != '{') goto fail;
            if (n_rows == cap) {
                cap *= 2;
                uint32_t *more_rows = realloc(rows, cap * sizeof(uint32_t));
                if (more_rows) rows = more_rows;
                uint64_t *more_spans = realloc(spans, cap * 2 * sizeof(uint64_t));
                if (more_spans) spans = more_spans;
                if (!more_rows || !more_spans) goto fail;
            }
            rows[n_rows] = (uint32_t)ps.n;
            spans[2 * n_rows] = (uint64_t)(ps.p - body);
            if (parse_value(&ps, 1)) goto fail;
            spans[2 * n_rows + 1] = (uint64_t)(ps.p - body);
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
            goto fail;
        }
    }
    skip_ws(&ps);
    if (ps.p != ps.end) goto fail;
    ps.nodes[top].count = (uint32_t)n_rows;
    ps.nodes[top].end = (uint32_t)ps.n;
    for (size_t i = 0; i < ps.n; i++) {
        Node *node = &ps.nodes[i];
        if (node->type == J_STR && node->count) { /* unescaped: now that strs stays put */
            node->v.s = ps.strs.data + node->v.i;
            node->count = 0;
        }
    }
    tape->nodes = ps.nodes;
    tape->n_nodes = ps.n;
    tape->strs = ps.strs.data;
    tape->rows = rows;
    tape->spans = spans;
    tape->n_rows = n_rows;
    return 0;
fail:
    free(ps.nodes);
    buf_free(&ps.strs);
    free(rows);
    free(spans);
    memset(tape, 0, sizeof(Tape));
    return -1;
}

void tape_free(Tape *tape) {
    free(tape->nodes);
    free(tape->strs);
    free(tape->rows);
    free(tape->spans);
    memset(tape, 0, sizeof(Tape));
}
