/* Issue pages from their raw JSON bytes to Arrow buffers, without a Python object per value.
 *
 * parse(body) reads one page (a JSON array of objects) into a tape (tape.c), with the GIL
 * released; extract(pages, plan) walks the tapes of a batch's pages and fills the buffers of
 * the columns a Plan names (plan.c, extract.c, custom_fields.c), also without the GIL. Both
 * are strict: anything this code does not reproduce exactly as the Python path would (a value
 * of another JSON type than the column expects, an unknown top-level field with a value, an
 * integer past 64 bits, a lone surrogate, invalid UTF-8, ...) makes them answer None, and the
 * caller builds that batch the Python way. So a table is the same whichever path built it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <locale.h>

#include "page.h"
#include "plan.h"

static void Page_dealloc(Page *self) {
    tape_free(&self->tape);
    Py_XDECREF(self->body);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t Page_len(Page *self) { return (Py_ssize_t)self->tape.n_rows; }

static PySequenceMethods Page_as_sequence = {.sq_length = (lenfunc)Page_len};

static PyObject *values_of(Page *self, PyObject *arg, uint32_t type) {
    /* list of the rows' values of a top-level key, all of JSON type `type` (None where null
     * or missing); None when some row holds another type */
    Py_ssize_t key_len;
    const char *key = PyUnicode_AsUTF8AndSize(arg, &key_len);
    if (!key) return NULL;
    PyObject *out = PyList_New((Py_ssize_t)self->tape.n_rows);
    if (!out) return NULL;
    for (Py_ssize_t r = 0; r < (Py_ssize_t)self->tape.n_rows; r++) {
        const Node *v = member(self->tape.nodes, self->tape.rows[r], key, (size_t)key_len);
        PyObject *item;
        if (!v || v->type == J_NULL) {
            item = Py_NewRef(Py_None);
        } else if (v->type != type) {
            Py_DECREF(out);
            Py_RETURN_NONE;
        } else {
            item = type == J_INT ? PyLong_FromLongLong(v->v.i)
                                 : PyUnicode_DecodeUTF8(v->v.s, (Py_ssize_t)v->len, "strict");
            if (!item) {
                Py_DECREF(out);
                return NULL;
            }
        }
        PyList_SET_ITEM(out, r, item);
    }
    return out;
}

static PyObject *Page_ints(Page *self, PyObject *arg) { return values_of(self, arg, J_INT); }

static PyObject *Page_texts(Page *self, PyObject *arg) { return values_of(self, arg, J_STR); }

static PyObject *Page_row(Page *self, PyObject *arg) {
    /* the JSON bytes of row i */
    Py_ssize_t r = PyLong_AsSsize_t(arg);
    if (r == -1 && PyErr_Occurred()) return NULL;
    if (r < 0 || r >= (Py_ssize_t)self->tape.n_rows) {
        PyErr_SetString(PyExc_IndexError, "row index out of range");
        return NULL;
    }
    const char *data = PyBytes_AS_STRING(self->body);
    return PyBytes_FromStringAndSize(data + self->tape.spans[2 * r],
                                     (Py_ssize_t)(self->tape.spans[2 * r + 1] - self->tape.spans[2 * r]));
}

static PyMethodDef Page_methods[] = {
    {"ints", (PyCFunction)Page_ints, METH_O, "integers of a top-level key, or None"},
    {"texts", (PyCFunction)Page_texts, METH_O, "texts of a top-level key, or None"},
    {"row", (PyCFunction)Page_row, METH_O, "the JSON bytes of one row"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PageType = {
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
    (void)module;
    if (!PyBytes_CheckExact(arg)) {
        PyErr_SetString(PyExc_TypeError, "parse() takes bytes");
        return NULL;
    }
    const unsigned char *body = (const unsigned char *)PyBytes_AS_STRING(arg);
    size_t size = (size_t)PyBytes_GET_SIZE(arg);
    Tape tape;
    int failed;
    Py_BEGIN_ALLOW_THREADS; /* bytes do not change: safe to read without the GIL */
    failed = tape_parse(body, size, c_locale, &tape);
    Py_END_ALLOW_THREADS;
    if (failed) Py_RETURN_NONE;
    Page *page = PyObject_New(Page, &PageType);
    if (!page) {
        tape_free(&tape);
        return NULL;
    }
    page->body = Py_NewRef(arg);
    page->tape = tape;
    return (PyObject *)page;
}

static PyMethodDef methods[] = {
    {"parse", parse, METH_O, "parse(body) -> Page | None: a JSON list of objects, or None."},
    {"make_plan", make_plan, METH_VARARGS, "make_plan(...) -> capsule: what extract reads."},
    {"extract", extract, METH_VARARGS,
     "extract(pages, plan) -> buffers | None: the plan's columns of the pages' rows."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_pages", "Issue pages parsed natively (see native_batches.py).", -1, methods,
    NULL, NULL, NULL, NULL,
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
