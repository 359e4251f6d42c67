/* An issue's custom fields, as reports/custom_fields.py scans them: one wide value per planned
 * column (text, number, date text, or the items' names joined with ", " and the "other" text)
 * and one row of the long table per field with a value. What this would not give exactly as
 * the Python scan does (a value whose JSON type does not fit the field's type, a field type
 * other than 1-8, an item without an integer id, ...) answers -1. */
#include "extract.h"

int number_value(const Node *v, double *out) {
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

static int slot_of(const Plan *plan, int64_t field_id) {
    /* the last slot of the id: Python's dict of slots keeps the last column planned for it */
    for (int i = plan->n_slots - 1; i >= 0; i--)
        if (plan->slots[i].field_id == field_id) return i;
    return -1;
}

static int item_names(Out *o, const Node *nodes, const Node *value,
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
        const Node *id = member(nodes, i, "id", 2);
        const Node *name = member(nodes, i, "name", 4);
        if (!id || id->type != J_INT) return -1;
        if (name && name->type != J_NULL) {
            if (name->type != J_STR) return -1;
            if (*n_names && buf_put(&o->names, ", ", 2)) return -2;
            if (buf_put(&o->names, name->v.s, name->len)) return -2;
            (*n_names)++;
        }
        i = item->end;
    }
    return 0;
}

int custom_row(Out *o, const Plan *plan, const Node *nodes,
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
        const Node *value = member(nodes, i, "value", 5);
        const Node *type = member(nodes, i, "fieldTypeId", 11);
        const Node *fid = member(nodes, i, "id", 2);
        const Node *name = member(nodes, i, "name", 4);
        const Node *other = member(nodes, i, "otherValue", 10);
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
                int r = item_names(o, nodes, value, &n_names);
                if (r) return r;
            }
            if (other_text) {
                /* after the names only where they are not all empty, as Python's truthiness */
                if (o->names.len && buf_put(&o->names, ", ", 2)) return -2;
                if (buf_put(&o->names, other->v.s, other->len)) return -2;
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
                    shown.s = value->v.s;
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
                if (shown.len) memcpy(copy, o->names.data, shown.len);
                w->s = copy;
                w->kind = 3; /* a string to free */
            }
        }
        int empty_value = is_null || (value->type == J_STR && value->len == 0) ||
                          (value->type == J_ARR && value->count == 0);
        if (!(empty_value && !other_text)) {
            if (col_int(&o->issue_id, issue_id->v.i) || col_int(&o->field_id, fid->v.i) ||
                (name && name->type == J_STR ? col_str(&o->field_name, name->v.s, name->len)
                                             : col_null(&o->field_name)) ||
                col_int(&o->type_id, type_id) ||
                (other && other->type == J_STR ? col_str(&o->other, other->v.s, other->len)
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
                        const Node *id = member(nodes, j, "id", 2);
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
