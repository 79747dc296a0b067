"""Data stage of the trainer: tokenizer -> shards -> window reader (-> model).

Data flows one way: ``tokenizer`` trains/loads byte-level BPE, ``shards``
turns text into headerless uint32 token files plus a manifest, ``reader``
cuts deterministic (input, target) windows from those shards, and ``corpus``
names the bundled demo corpus (the Python standard library's own sources).
No module here imports the model, the loop or checkpoints.
"""
