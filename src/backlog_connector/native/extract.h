/* Filling a batch's columns from its pages' tapes (extract.c), the custom fields among them
 * (custom_fields.c). Every function here runs without the GIL and answers 0, -1 when the
 * batch must be left to the Python path, or -2 when memory ran out. */
#ifndef BACKLOG_CONNECTOR_EXTRACT_H
#define BACKLOG_CONNECTOR_EXTRACT_H

#include "columns.h"
#include "plan.h"
#include "tape.h"

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

/* A JSON number as the double Python's float() or pyarrow would give it; -1 for anything else
 * (an integer past 2^53 included: pyarrow refuses it). */
int number_value(const Node *v, double *out);

/* One issue's customFields (entries, may be NULL) into its wide values and the long table. */
int custom_row(Out *o, const Plan *plan, const Node *nodes, const Node *entries,
               const Node *issue_id, Wide *wide);

#endif
