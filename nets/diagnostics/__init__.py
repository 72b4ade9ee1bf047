"""Per-layer diagnostics while training (``train.monitor``), written to
``diagnostics.csv`` in the run folder, long format: step, name, metric, value.

    monitor      Diagnostics: the hooks the training loop calls around each update
    activations  statistics of activation-layer outputs, dead / saturated thresholds
    csv_log      diagnostics.csv: appended per monitored step, truncated on resume
"""
from .activations import DEAD_AT, SATURATED_AT, activation_stats, is_activation
from .csv_log import FIELDS, DiagnosticsLog, read_diagnostics
from .monitor import WHAT, Diagnostics
