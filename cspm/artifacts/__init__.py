"""Model artifact inspection (``--inspect-artifacts``): open model files without running them.

- :mod:`cspm.artifacts.inspect`: recognise formats, walk containers (gzip, tar, zip), scan
  pickle streams with picklescan, find Keras Lambda layers and unsafe TensorFlow ops; bounded in
  bytes read, bytes unpacked, members and depth. Never unpickles anything.
- :mod:`cspm.artifacts.collect`: the cloud-neutral flow (budgets, ``--store`` reuse, streaming,
  inspection, signatures) behind an ``ObjectReader`` per store (S3, Cloud Storage).
- :mod:`cspm.artifacts.sources`: which resource loads which artifact (a table: one entry per
  resource type), shared by the collectors and the checks.
- :mod:`cspm.artifacts.verdict`: the pure reasoning of the ``*model_artifact_*`` checks.

docs/artifacts.md describes the formats, the limits and the scanners measured.
"""
