/* A batch's columns from its pages' tapes (extract.h): plain fields, item lists, counts,
 * custom fields; then, with the GIL, their buffers as Python bytes for pyarrow. */
#include "extract.h"

#include "page.h"

static int put_field(Col *c, const Node *v) {
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
        return col_str(c, v->v.s, v->len) ? -2 : 0;
    }
}

static const Node *sub_member(const Node *nodes, const Node *parent,
                              const Key *key, int *bad) {
    if (!parent || parent->type == J_NULL) return NULL;
    if (parent->type != J_OBJ) {
        *bad = 1;
        return NULL;
    }
    return member(nodes, (uint32_t)(parent - nodes), key->name, key->len);
}

static void out_free(Out *o, const Plan *plan) {
    if (o->fields)
        for (int i = 0; i < plan->n_fields; i++) col_free(&o->fields[i]);
    for (int i = 0; i < plan->n_lists; i++) { /* each array checked: out_start may stop early */
        if (o->list_ids) col_free(&o->list_ids[i]);
        if (o->list_names) col_free(&o->list_names[i]);
        if (o->list_offsets) buf_free(&o->list_offsets[i]);
        if (o->list_valid) buf_free(&o->list_valid[i]);
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

static int put_list(Out *o, int li, const Node *nodes, const Node *v) {
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
            const Node *id = member(nodes, i, "id", 2);
            const Node *name = member(nodes, i, "name", 4);
            if (!id || id->type != J_INT || !name || name->type != J_STR) return -1;
            if (col_int(&o->list_ids[li], id->v.i) ||
                col_str(&o->list_names[li], name->v.s, name->len))
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
        const Node *nodes = pages[p]->tape.nodes;
        for (size_t r = 0; r < pages[p]->tape.n_rows && !status; r++) {
            uint32_t row = pages[p]->tape.rows[r];
            memset(tops, 0, (size_t)plan->n_tops * sizeof(Node *));
            uint32_t i = row + 1;
            for (uint32_t m = 0; m < nodes[row].count; m++) {
                const Node *key = &nodes[i];
                const Node *value = &nodes[i + 1];
                int t = top_index(plan, key->v.s, key->len);
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
                if (spec->sub >= 0) v = sub_member(nodes, v, &plan->subs[spec->sub], &bad);
                if (spec->fb_top >= 0 && (!v || v->type == J_NULL)) {
                    v = tops[spec->fb_top];
                    if (spec->fb_sub >= 0)
                        v = sub_member(nodes, v, &plan->subs[spec->fb_sub], &bad);
                }
                status = bad ? -1 : put_field(&o->fields[f], v);
            }
            for (int l = 0; l < plan->n_lists && !status; l++)
                status = put_list(o, l, nodes, tops[plan->lists[l]]);
            for (int c = 0; c < plan->n_counts && !status; c++) {
                const Node *v = tops[plan->counts[c]];
                status = col_int(&o->counts[c], v && v->type == J_ARR ? v->count : 0) ? -2 : 0;
            }
            if (status) break;
            memset(wide, 0, (size_t)plan->width * sizeof(Wide));
            if (plan->custom >= 0)
                status = custom_row(o, plan, nodes, tops[plan->custom], tops[plan->id_top],
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

PyObject *extract(PyObject *module, PyObject *args) {
    (void)module;
    /* extract(pages, plan) -> (rows, fields, lists, counts, wide, long) or None */
    PyObject *pages_arg, *capsule;
    if (!PyArg_ParseTuple(args, "OO", &pages_arg, &capsule)) return NULL;
    Plan *plan = PyCapsule_GetPointer(capsule, PLAN_CAPSULE);
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
        total += (Py_ssize_t)pages[i]->tape.n_rows;
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
