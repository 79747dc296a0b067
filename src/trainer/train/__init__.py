"""The training loop behind ``apr pretrain``.

Data flows one way: ``options`` (resolved CLI settings) -> ``preflight`` (gates
that refuse bad input before any model exists) -> ``loop`` (AdamW, schedule,
accumulation, evaluation, run-time gates, checkpoints, resume) -> ``result``
(what the run proved) -> ``plot``. ``gates`` and ``schedule`` are pure
functions so every rule is testable without a model.
"""
