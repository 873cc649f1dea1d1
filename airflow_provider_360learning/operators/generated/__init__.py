"""The named operators, one module per family of the official spec (``users``, ``courses``, ``paths``,
``bulk_actions``, ``webhooks`` ...): each a thin declaration over
:class:`~airflow_provider_360learning.operators.three_sixty_learning.ThreeSixtyLearningOperator`.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand (a test fails
when they drift). The hand-written operators are the modules of the parent package.
"""
