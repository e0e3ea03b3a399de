"""The NumPy engine: forward pass, loss, backward pass and update, and the trace that logs every quantity.

The engine does no I/O. `sgd` holds the step functions and the training loop, `hand` replays
the same steps on the numbers a student writes, `trace` turns the engine's records into the
tidy trace.
"""
