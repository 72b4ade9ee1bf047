"""The run's length handed to the schedule when a run starts or resumes: a
horizon given as ``auto`` (cosine's ``T_max``, poly's ``max_iter``, the
schedule after a warm-up) follows ``epochs`` (``--set train.epochs=100``,
``--epochs`` on ``--resume``), and an explicit horizon shorter than the run
is a warning (optim.Schedule.set_run_length)."""


def run_length(settings, batches_per_epoch):
    """(length, unit): the run in the schedule's steps, epochs or optimizer steps
    (an epoch of ``batches_per_epoch`` batches makes ceil(batches / accumulate) steps)."""
    if settings["schedule_interval"] == "step":
        steps = -(-batches_per_epoch // settings["accumulate"])
        return settings["epochs"] * steps, "optimizer steps"
    return settings["epochs"], "epochs"


def fit_schedule(schedule, settings, batches_per_epoch):
    """Give ``schedule`` the run's length; returns its warnings (one line each)."""
    if schedule is None or not hasattr(schedule, "set_run_length"):
        return []
    return schedule.set_run_length(*run_length(settings, batches_per_epoch))
