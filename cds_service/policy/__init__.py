"""Payer policies at run time: load and route them, evaluate one order, decide."""

from .decision import CriterionResult, Decision, OrderDecision, PathResult, decide
from .evaluate import evaluate_order
from .metadata import PolicyMetadata, PolicyMetadataError, add_duration, load_metadata
from .registry import Policy, PolicyRegistry, load_policy

__all__ = [
    "CriterionResult",
    "Decision",
    "OrderDecision",
    "PathResult",
    "Policy",
    "PolicyMetadata",
    "PolicyMetadataError",
    "PolicyRegistry",
    "add_duration",
    "decide",
    "evaluate_order",
    "load_metadata",
    "load_policy",
]
