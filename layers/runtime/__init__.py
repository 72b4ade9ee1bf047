"""What the layers run on, not layers themselves.

    threads    kubik.set_num_threads / get_num_threads; the default thread count by model size
    parallel   a batch's chunks of samples spread over kubik's threads
    scratch    output arrays recycled between steps without aliasing a live result
    flat       flatten_parameters: one flat buffer for a whole net's values and one for its gradients

(The optional compiled kernels live in ``layers/kernels/``.)
"""
