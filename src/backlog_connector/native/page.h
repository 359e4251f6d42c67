/* Page: the Python object of one parsed page (its body, which the tape points into, and the
 * tape). */
#ifndef BACKLOG_CONNECTOR_PAGE_H
#define BACKLOG_CONNECTOR_PAGE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "tape.h"

typedef struct {
    PyObject_HEAD
    PyObject *body; /* bytes: the strings of the tape and the rows' spans are in it */
    Tape tape;
} Page;

extern PyTypeObject PageType;

/* extract(pages, plan) -> (rows, fields, lists, counts, wide, long, item_ids) or None */
PyObject *extract(PyObject *module, PyObject *args);

#endif
