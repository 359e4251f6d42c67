/* Plans (plan.h): made from Python's description of a table, checked, kept in a capsule. */
#include "plan.h"

#include "columns.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_key(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

int top_index(const Plan *plan, const char *s, size_t n) {
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
    free(plan->subs);
    free(plan->fields);
    free(plan->lists);
    free(plan->counts);
    free(plan->slots);
    free(plan->slot_types);
    free(plan);
}

static void plan_capsule_free(PyObject *capsule) {
    plan_free(PyCapsule_GetPointer(capsule, PLAN_CAPSULE));
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
        long long v = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred()) {
            free(out);
            return NULL;
        }
        if (v < INT_MIN || v > INT_MAX) { /* never truncated: a type id 2^32 + 3 is not 3 */
            free(out);
            PyErr_SetString(PyExc_ValueError, "a plan's index or type id is past the C int range");
            return NULL;
        }
        out[i] = (int)v;
    }
    *n_out = (int)n;
    return out;
}

PyObject *make_plan(PyObject *module, PyObject *args) {
    (void)module;
    /* make_plan(tops, subs, fields, lists, counts, custom, id_top, slots, slot_types)
     *   tops: [str]; subs: [str];
     *   fields: [(top, sub, fb_top, fb_sub, kind)]; lists, counts: [top];
     *   custom, id_top: top or -1; slots: [(field_id, column)]; slot_types: [type id] */
    PyObject *tops, *subs, *fields, *lists, *counts, *slots, *slot_types;
    int custom, id_top;
    if (!PyArg_ParseTuple(args, "OOOOOiiOO", &tops, &subs, &fields, &lists, &counts,
                          &custom, &id_top, &slots, &slot_types))
        return NULL;
    Plan *plan = calloc(1, sizeof(Plan));
    if (!plan) return PyErr_NoMemory();
    PyObject *seqs[7] = {NULL};
    PyObject *raw[7] = {tops, subs, fields, lists, counts, slots, slot_types};
    for (int i = 0; i < 7; i++) {
        seqs[i] = PySequence_Fast(raw[i], "make_plan takes sequences");
        if (!seqs[i]) goto fail;
    }
    if (copy_keys(seqs[0], &plan->tops, &plan->n_tops)) goto fail;
    if (plan->n_tops >= TOP_HASH / 2) {
        PyErr_SetString(PyExc_ValueError, "too many top-level keys for a plan");
        goto fail;
    }
    for (int i = 0; i < plan->n_tops; i++) {
        uint32_t h = hash_key(plan->tops[i].name, plan->tops[i].len) & (TOP_HASH - 1);
        while (plan->top_hash[h]) h = (h + 1) & (TOP_HASH - 1);
        plan->top_hash[h] = i + 1;
    }
    if (copy_keys(seqs[1], &plan->subs, &plan->n_subs)) goto fail;
    Py_ssize_t nf = PySequence_Fast_GET_SIZE(seqs[2]);
    plan->fields = calloc((size_t)nf + 1, sizeof(FieldSpec));
    if (!plan->fields) goto fail;
    plan->n_fields = (int)nf;
    for (Py_ssize_t i = 0; i < nf; i++) {
        FieldSpec *f = &plan->fields[i];
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seqs[2], i), "iiiii", &f->top, &f->sub,
                              &f->fb_top, &f->fb_sub, &f->kind))
            goto fail;
        if (f->top < 0 || f->top >= plan->n_tops || f->sub >= plan->n_subs ||
            f->fb_top >= plan->n_tops || f->fb_sub >= plan->n_subs || f->kind < K_INT ||
            f->kind > K_STR) {
            PyErr_SetString(PyExc_ValueError, "a field of the plan is out of range");
            goto fail;
        }
    }
    if (!(plan->lists = int_array(seqs[3], &plan->n_lists))) goto fail;
    if (!(plan->counts = int_array(seqs[4], &plan->n_counts))) goto fail;
    for (int i = 0; i < plan->n_lists; i++)
        if (plan->lists[i] < 0 || plan->lists[i] >= plan->n_tops) goto range;
    for (int i = 0; i < plan->n_counts; i++)
        if (plan->counts[i] < 0 || plan->counts[i] >= plan->n_tops) goto range;
    if (custom >= plan->n_tops || id_top < 0 || id_top >= plan->n_tops) goto range;
    plan->custom = custom;
    plan->id_top = id_top;
    Py_ssize_t ns = PySequence_Fast_GET_SIZE(seqs[5]);
    plan->slots = calloc((size_t)ns + 1, sizeof(SlotSpec));
    if (!plan->slots) goto fail;
    plan->n_slots = (int)ns;
    if (!(plan->slot_types = int_array(seqs[6], &plan->width))) goto fail;
    for (Py_ssize_t i = 0; i < ns; i++) {
        SlotSpec *s = &plan->slots[i];
        long long fid;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seqs[5], i), "Li", &fid, &s->column))
            goto fail;
        s->field_id = fid;
        if (s->column < 0 || s->column >= plan->width) goto range;
        s->type_id = plan->slot_types[s->column];
    }
    for (int i = 0; i < 7; i++) Py_DECREF(seqs[i]);
    PyObject *capsule = PyCapsule_New(plan, PLAN_CAPSULE, plan_capsule_free);
    if (!capsule) plan_free(plan);
    return capsule;
range:
    PyErr_SetString(PyExc_ValueError, "an index of the plan is out of range");
fail:
    for (int i = 0; i < 7; i++) Py_XDECREF(seqs[i]);
    plan_free(plan);
    return NULL;
}
