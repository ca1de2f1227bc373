"""Benchmarks of Midicoth: one module per question, one command to run them.

``python -m bench SUBCOMMAND`` (see ``bench/cli.py``) answers:

- how does Midicoth compare with zlib, bz2, xz, zstd, brotli and PPMd on the
  standard corpora (size, speed, memory)? -- ``compare``, ``bench/compare.py``
- what does each model stage contribute (the paper's ablation)? --
  ``ablation``, ``bench/ablation.py``
- how large are the calibrator's corrections per confidence level and step
  (the paper's delta-versus-noise table)? -- ``diagnose``, ``bench/diagnose.py``
- how fast is Midicoth against lzma -9e, timed in one process? -- ``vs-lzma``,
  ``bench/vslzma.py``
- what does each compression level cost and save? -- ``levels``,
  ``bench/levels.py``

Each module's docstring says how far to trust its numbers. Corpora are found
by the ``corpora`` package next to this one.
"""
