"""kubik's benchmark suite against PyTorch CPU (not part of the installed package).

Run from the repository root: ``python -m benchmarks --help``.
Modules: specs (workloads, FLOPs, synthetic data; numpy only), workloads (kubik),
torch_ref (PyTorch, optional), harness (timing, roofline, memory, output),
suite (one workload end to end), memory (the peak-memory subprocess).
"""
