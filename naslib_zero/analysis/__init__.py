"""Ranking metrics, set-level ensembles, and the evaluation of score files against ground truth."""
