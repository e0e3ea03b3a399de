"""The NumPy engine: forward pass, loss, backward pass and update, and the trace that logs every quantity.

The engine does no I/O. `order` lists the steps of training once, as data; `sgd` runs them in
floats (the training loop) and `hand` in exact decimals on intervals (`exact`), as a careful
student works them by hand, to say what they can write at each blank; `trace` turns the engine's
records into the tidy trace.
"""
