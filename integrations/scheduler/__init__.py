"""The scheduler and its jobs.

:mod:`.jobs` is the declarative list (stable ids, default schedules); :mod:`.runner` runs one job as one unit of
work and records the run; :mod:`.process` is the scheduler process (APScheduler, one per deployment by a lock
row, a heartbeat); :mod:`.schedules` holds the business-day trigger and the schedules administrators set.
The jobs themselves live with what they do (imports, RPA, case timers, backups and the operation log).
"""
