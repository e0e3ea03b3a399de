"""Every English sentence of the documents, in one place (a translator edits only this file).

A message is text with `{slots}`; `say` fills each slot with plain text or with maths (a
tree, printed inline by each format). Python code elsewhere picks messages and fills
slots; it writes no sentences of its own. The few words the templates print themselves
(headings of the loss table, "Worksheet", "Answer key", "Worked solution") are in templates/base/macros.j2.
"""

from __future__ import annotations

import re

from tracegen.document.model import Para
from tracegen.maths.tree import Node

MESSAGES = {
    # Section titles
    "network_title": "The Network",
    "forward_title": "Forward Pass",
    "example_title": "Epoch 1: Forward Pass",
    "gradients_title": "Gradients",
    "epoch_title": "Epoch {epoch}",
    "first_epoch_title": "Epoch 1: Gradients and Update",
    # The network and its givens
    "network": "We train a {shape} network on {samples}: {layers}. The loss is {loss}; SGD runs for {epochs}.",
    "one_sample": "one training sample",
    "batch": "a batch of {m} samples (the columns of {x})",
    "layer": "layer {index} has {units} with {activation}",
    "layer_join": "; ",
    "input": "We have input",
    "parameters": "and the parameters",
    "rate": "Learning rate {eta}.",
    "rounding_worksheet": "Give each answer to {decimals} decimal places, rounding half up (a 5 after the last place "
                          "rounds away from zero), and use the rounded values you wrote down in the steps that follow.",
    "cells": "Write each answer one character to a cell: a minus sign in the first cell when it is negative, the "
             "digits before the printed point in the cells just before it, and one decimal in each cell after it.",
    "rounding_key": "Each result is exact, rounded half up to {decimals} decimal places. A careful student may write "
                    "another last digit: at a tie rounded half to even, or from rounded numbers carried into a step. "
                    "Grader notes name every such value, and why: accept those too.",
    "rounding_solution": "Each result is exact, rounded half up to {decimals} decimal places. If you carried your own "
                         "rounded results from step to step, a last digit may differ from the one printed here.",
    # Rules
    "where": "where",
    "columns": "The {m} samples are the columns of {x}; each bias is added to every column.",
    "loss_intro": "For training we use {loss} loss:",
    "loss_intro_log": "For training we use {loss} loss, where log is the natural logarithm (base e, ln):",
    "backprop": "We compute gradients by backpropagation, from the output layer back.",
    "odot": "where {odot} is element-wise multiplication.",
    "odot_ones": "where {odot} is element-wise multiplication and {ones} is a column of ones "
                 "(it sums over the samples).",
    "relu_kink": "At the kink we take {rule}, as the rule {indicator} says.",
    "leaky_rule": "For leaky ReLU with slope {alpha}, {one} for {positive} and {alpha_symbol} otherwise (also at 0).",
    "sgd": "Then each trained parameter takes an SGD step with learning rate {eta}:",
    "frozen": "In this exercise {kinds} {verb} frozen: its gradients are computed but it is not updated.",
    "frozen_is": "is",
    "frozen_are": "are",
    "and": " and ",
    # Worked epochs
    "example": "Epoch 1 starts with the forward pass, the given numbers substituted:",
    "forward_gave": "The forward pass of epoch 1 gave {y_hat} and {loss}.",
    "forward_above": "The forward pass of epoch 1 (above) gave {y_hat} and {loss}.",
    "forward_again": "Forward pass with the parameters updated in epoch {previous}:",
    "compare": "Compare {now} with {before}: has the loss decreased?",
    "decreased": "Loss has decreased: {relation}.",
    "not_decreased": "Loss has not decreased: {relation}.",
    "gradients": "Gradients:",
    "update": "Update parameters with {eta}:",
    "frozen_step": "(frozen)",
    "for_sample": "for sample",
    # Notes for the grader (keys only)
    "kink_note": "Note: {z}{where} sits exactly on the kink of {activation}. By the convention {rule} its "
                 "derivative there is {value}, so {passes}",
    "kink_where": ", unit {unit} of sample {sample},",
    "kink_again": "Note: again {z}{where} is on the kink: its derivative is {value} (see the note {seen}).",
    "kink_seen_here": "in this epoch's forward pass",
    "kink_seen_before": "in the forward pass of epoch {epoch}",
    "kink_none": "this unit passes no gradient back.",
    "kink_slope": "this unit passes back {value} times the gradient that reaches it.",
    "tie_note": "Grader: exactly {exact}, a tie at the last digit, rounded half up here; rounded half to even it "
                "gives {values}: accept that too.",
    "line_note": "Grader: carrying the rounded {inputs} printed above gives {values}; accept that too.",
    "up_note": "Grader: a student who carries their own rounded results from the start writes {values} in this part; "
               "accept those too.",
    "even_note": "Grader: a student who carries their own rounded results from the start and rounds ties half to "
                 "even writes {values} in this part; accept those too.",
    "from_tie": " (from {exact}, a tie)",
    "list_join": ", ",
    # Quizzes on learning platforms (tracegen export)
    "lms_variant": "Variant {variant}",
    "lms_instructions": "Type each number into its box as a decimal, to {decimals} decimal places, rounding half up; "
                        "use the rounded values you typed in the steps that follow.",
    "lms_boxes": "Each box {box} in the equations is answered in the question with its number n.",
    "lms_box": "Box {n}: {quantity}.",
    "lms_scaled": "Enter this value in units of {unit}: the value multiplied by {factor}.",
    "lms_network": "The network with the weights on its edges; each unit's bias below it.",
}
LOSS_NAMES = {"bce": "binary cross-entropy", "mse": "mean squared error", "cross_entropy": "cross-entropy"}
ACTIVATION_NAMES = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh", "linear": "no activation (linear)",
                    "softmax": "softmax", "leaky_relu": "leaky ReLU (slope {slope})"}
UNITS = ("{n} unit", "{n} units")
SAMPLES = ("{n} sample", "{n} samples")
EPOCHS = ("{n} epoch", "{n} epochs")
_SLOT = re.compile(r"\{(\w+)\}")


def plural(forms: tuple[str, str], n: int) -> str:
    """`UNITS, 2` -> "2 units"."""
    return forms[n != 1].format(n=n)


def text(key: str, **slots: object) -> str:
    """A message with plain-text slots only."""
    return MESSAGES[key].format(**slots)


def say(key: str, note: bool = False, **slots: str | Node | Para) -> Para:
    """A paragraph: message `key` with its slots filled by text, inline maths or another paragraph's parts."""
    parts: list[str | Node] = []
    at = 0
    message = MESSAGES[key]
    for match in _SLOT.finditer(message):
        parts.append(message[at:match.start()])
        slot = slots[match.group(1)]
        parts.extend(slot.parts if isinstance(slot, Para) else (slot,))
        at = match.end()
    parts.append(message[at:])
    merged: list[str | Node] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return Para(tuple(merged), note=note)
