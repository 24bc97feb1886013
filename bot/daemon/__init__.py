"""The daemon behind `contestbot run`: the loop (`loop.Daemon`), its options (`options`), the job
steps (`jobs`), what a failing job does (`failures`), and the scheduler on the injected clock
(`scheduling`). Decisions (backoff, cadence, leases, due-ness) come from `bot.core`."""
