"""The NumPy engine: forward pass, loss, backward pass and update, and the trace that logs every quantity.

The engine does no I/O. `sgd` holds the step functions and the training loop; `hand` lists the
same steps as rules a careful student works by hand, in exact decimals on intervals (`exact`), to
say what they can write at each blank; `trace` turns the engine's records into the tidy trace.
"""
