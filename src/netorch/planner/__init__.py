"""Pure planning: diff the desired topology against the observed state into a Plan of ordered,
parallelisable steps (Terraform's plan; no I/O, clocks or random ids)."""

from netorch.planner.diff import diff
from netorch.planner.observed import ObservedResource, ObservedState
from netorch.planner.plan import Action, Change, Plan, Step, step_id
from netorch.planner.restrict import restrict
from netorch.planner.schedule import plan

__all__ = [
    "Action",
    "Change",
    "ObservedResource",
    "ObservedState",
    "Plan",
    "Step",
    "diff",
    "plan",
    "restrict",
    "step_id",
]
