/* What extract() reads from a batch's tapes: a Plan, made once per run from Python.
 *
 * Top-level keys (the fields some column reads, and those only known), each plain field's path
 * below them (one or two keys, and a fallback path), the item lists, the counts, the custom
 * fields' key and the slots of their wide columns. */
#ifndef BACKLOG_CONNECTOR_PLAN_H
#define BACKLOG_CONNECTOR_PLAN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

#define PLAN_CAPSULE "backlog_connector.native.Plan"

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

/* The index of the top-level key s, or -1 (hashed: it is asked for every member of a row). */
int top_index(const Plan *plan, const char *s, size_t n);

/* make_plan(tops, subs, fields, lists, counts, custom, id_top, slots, slot_types) -> capsule */
PyObject *make_plan(PyObject *module, PyObject *args);

#endif
