"""Runs on many workers through procrastinate (only with the control plane in PostgreSQL).

* ``queue``: the procrastinate app over the control-plane database, its queues and locks, and
  :class:`~.queue.RunQueue` (queue a run, cancel it) that the API, the web pages, the CLI and
  the scheduler tick share.
* ``tasks``: what a job does: run one dataset (redeliveries included), the scheduler tick, the
  sweep that finds runs of dead workers.
* ``tick``: the scheduler's pass over the datasets, with due times and retries in the database.
* ``service``: :class:`~.service.QueueScheduler`, the scheduler surface of ``serve`` replicas.
* ``command``: ``backlog-connector worker``.
"""
