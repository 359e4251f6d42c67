/* One page of JSON parsed into a flat tape of nodes, without a Python object per value.
 *
 * Every node knows the index one past its subtree (``end``), so a reader skips a member's
 * value in one step. A string's bytes are the page's own where it has no escape, else its
 * unescaped copy in the tape's string buffer. The parser is strict: anything it cannot hold
 * exactly as orjson would give it (see tape.c) fails the parse, and the page is left to orjson.
 */
#ifndef BACKLOG_CONNECTOR_TAPE_H
#define BACKLOG_CONNECTOR_TAPE_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { J_NULL, J_FALSE, J_TRUE, J_INT, J_FLOAT, J_STR, J_ARR, J_OBJ };

typedef struct {
    uint32_t type;
    uint32_t end; /* index one past this node's subtree */
    uint32_t count; /* members of an object, elements of an array */
    uint32_t len; /* string length in bytes */
    union {
        int64_t i;
        double d;
        const char *s; /* string bytes (UTF-8, not terminated) */
    } v;
} Node;

typedef struct {
    Node *nodes;
    size_t n_nodes;
    char *strs; /* unescaped copies of the strings that had escapes */
    uint32_t *rows; /* node index of each element of the top-level array (all objects) */
    uint64_t *spans; /* start and end byte offset of each row in the body */
    size_t n_rows;
} Tape;

/* Parses body (a JSON array of objects) into tape; 0 on success, -1 when the body is not one
 * this parser takes (then tape holds nothing). Needs no Python: call it without the GIL. The
 * tape's strings point into body, which must outlive it. */
int tape_parse(const unsigned char *body, size_t size, locale_t numbers, Tape *tape);

void tape_free(Tape *tape);

static inline const Node *member(const Node *nodes, uint32_t obj, const char *key,
                          size_t key_len) {
    /* the value of the last member named key (as a dict keeps it), or NULL */
    const Node *found = NULL;
    uint32_t i = obj + 1;
    for (uint32_t m = 0; m < nodes[obj].count; m++) {
        const Node *k = &nodes[i];
        if (k->len == key_len && !memcmp(k->v.s, key, key_len)) found = &nodes[i + 1];
        i = nodes[i + 1].end;
    }
    return found;
}

#endif
