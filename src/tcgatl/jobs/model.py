"""A job's requests -- runtime (minutes), mem_mb and disk_mb -- from the work it will do.

Each rule's need of each resource is linear in a few named quantities of its work (``work``
measures them): ``base`` (1 for every job) plus, for example, ``cells_m`` (millions of matrix
cells read) or ``projected_s`` (the seconds ``tcgatl.pancancer.costs`` projects from measured
TensorFlow rates). The coefficients are fitted on measured jobs (``tcgatl-fit-requests``) and
shipped in ``coefficients.yaml``, together with the machine and date they were measured on and
the margins that turn a fitted need into a request:

    request = ceil(max(floor, margin x sum(coefficient x quantity)) x retry_growth ** (attempt - 1))

A coefficient is a number, or one number per backbone for the TensorFlow rules. The fit puts
every measured job at or below its fitted need, so the margin is headroom for other machines
and inputs, not for the jobs it was fitted on. Snakemake passes ``attempt`` (1, then 2, ... on
``retries``): a job killed for time or memory is resubmitted with more, not the same again.

Standard library and PyYAML only: Snakemake evaluates it for every job it schedules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

# What a request is made of, and what measures each after the run: the job's benchmark file
# (wall seconds, peak resident memory in MB) and, for disk, the MB of its outputs plus its
# scratch (tcgatl.tools.runlog; the benchmark's io_out counts only what reached the disk).
RESOURCES = {"runtime_s": "s", "mem_mb": "max_rss", "disk_mb": None}
SHIPPED = Path(__file__).with_name("coefficients.yaml")


@dataclass(frozen=True)
class Coefficients:
    rules: dict  # rule -> resource -> {quantity: number | {backbone: number}}
    margin: dict  # resource -> factor >= 1 applied to the fitted need
    floor: dict  # resource -> smallest request
    retry_growth: float  # each further attempt multiplies the request by this
    measured: str  # machine and date the coefficients were fitted on
    path: str

    def need(self, rule: str, resource: str, work: dict) -> float:
        """The fitted need of one resource (seconds, MB) without margin: sum of coefficient x
        quantity over the rule's quantities; a backbone's own coefficient where it has one."""
        terms = self.rules.get(rule_key(rule), {}).get(resource)
        if terms is None:
            raise KeyError(f"{self.path}: no {resource} coefficients for rule {rule_key(rule)}")
        total = 0.0
        for quantity, coefficient in terms.items():
            value = 1.0 if quantity == "base" else work.get(quantity)
            if value is None:
                raise KeyError(f"rule {rule}: its work has no {quantity!r} (has {', '.join(sorted(work))})")
            total += per_backbone(coefficient, work.get("backbone")) * value
        return total

    def request(self, rule: str, work: dict, attempt: int = 1) -> dict[str, int]:
        """Snakemake resources of one job: runtime in minutes, mem_mb, disk_mb (whole numbers)."""
        grow = self.retry_growth ** max(0, int(attempt) - 1)
        out = {}
        for resource in RESOURCES:
            amount = max(self.floor[resource], self.margin[resource] * self.need(rule, resource, work)) * grow
            if resource == "runtime_s":
                out["runtime"] = math.ceil(amount / 60)
            else:
                out[resource] = math.ceil(amount)
        return out


def per_backbone(coefficient, backbone: str | None) -> float:
    """A coefficient's value for ``backbone``: the number itself, the backbone's own, or -- for a
    backbone it was not fitted on -- the largest of them (a safe guess, not a fit)."""
    if isinstance(coefficient, dict):
        if backbone in coefficient:
            return float(coefficient[backbone])
        return float(max(coefficient.values()))
    return float(coefficient)


def rule_key(rule: str) -> str:
    """The coefficients' name of a rule: a cross-validation fold's copy (``cv_train_backbone``)
    does the work of the single-split rule on other samples."""
    return rule[3:] if rule.startswith("cv_") else rule


@lru_cache(maxsize=8)
def load(path: str | None = None) -> Coefficients:
    """The coefficients in ``path`` (default: the shipped ones), checked for shape."""
    where = Path(path) if path else SHIPPED
    try:
        doc = yaml.safe_load(where.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read job-request coefficients from {where}: {exc}") from None
    problems = []
    for key in ("rules", "margin", "floor", "retry_growth", "measured"):
        if key not in (doc or {}):
            problems.append(f"missing key {key!r}")
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    for resource in RESOURCES:
        if doc["margin"].get(resource, 0) < 1 or resource not in doc["floor"]:
            problems.append(f"margin of {resource} must be >= 1 and it needs a floor")
    for rule, terms in doc["rules"].items():
        for resource in RESOURCES:
            if resource not in terms:
                problems.append(f"rule {rule} has no {resource}")
                continue
            for quantity, c in terms[resource].items():
                values = c.values() if isinstance(c, dict) else [c]
                if any(not isinstance(v, (int, float)) or v < 0 or not math.isfinite(v) for v in values):
                    problems.append(f"rule {rule} {resource} {quantity}: coefficients must be finite numbers >= 0")
    if doc["retry_growth"] < 1:
        problems.append("retry_growth must be >= 1")
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    return Coefficients(
        doc["rules"], doc["margin"], doc["floor"], float(doc["retry_growth"]), doc["measured"], str(where)
    )
