"""What the demo generator (:mod:`tcgatl.inputs.demo`) is asked to plant: its parameters (the
config's ``demo`` section), the MOTLAB regimes, what a reader of the report should see, and the
resources rule demo_data needs for the sizes it will write.

Standard library only: the workflow imports it at parse time.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import from_section, take
from .reference import tcga_type_sizes

# Share of a family member's expression profile that is its own (the rest is the family's).
OWN_PROFILE = 0.004

# The MOTLAB settings of each demo regime: fraction of AA among BRCA patients, log-hazard per
# SD of the signature in EA and in AA, the baseline progression hazard per year, and the
# signature's loading and features per omics layer; and what a reader should see (the report
# prints it from truth.json).
REGIMES = {
    # The studies' regime, modelled on TCGA BRCA: ~77% EA and 18% AA patients, about a quarter of
    # the labelled AA with a progression within 3 years (TCGA BRCA's PFI: 19 of 88, 22%); one
    # signature of many weak features drives both ancestries, a third as strongly in AA. AA data
    # alone find little of it, so transfer from EA helps (Gao & Cui 2020); a model of pooled
    # patients ranks EA better than AA, as the studies' mixture did. The effects are far stronger
    # than real ones so that ~37 AA events resolve both findings in one run (TL4HDR's AUROCs are
    # ~0.6-0.7): bench/bench_demo_motlab.py showed both in 19 of 20 data seeds (docs/demo.md).
    # A denser signature (100 features per layer) at a weaker loading (0.1) is found by the
    # pooled patients but not by AA-only training; weaker effects left 6-9 of 10 seeds.
    "studies": {
        "aa_fraction": 0.18,
        "effect_ea": 5.0,
        "effect_aa": 1.7,
        "hazard": 0.035,
        "signature_loading": 0.1,
        "signature_size": 100,
    },
    # The opposite: AA a third of the cohort, with frequent events and a signature 3.5x stronger
    # than in EA. AA data suffice and EA patients teach a weaker effect: transfer does not help.
    "divergent": {
        "aa_fraction": 0.35,
        "effect_ea": 0.4,
        "effect_aa": 1.4,
        "hazard": 0.15,
        "signature_loading": 0.3,
        "signature_size": 40,
    },
}
EXPECTED = {
    "studies": "transfer from EA (finetune, ccsa) should beat AA-only training (independent) on AA patients, "
    "and mixture (one model of pooled patients) should rank EA patients better than AA patients, as in the "
    "studies. With 1,200 BRCA patients (~37 AA events) one run resolves an AA AUROC difference of about +-0.1: "
    "over 20 data seeds (bench/bench_demo_motlab.py) finetune beat independent beyond that in 19 and mixture's "
    "EA AUROC exceeded its AA AUROC in all 20. The effects are far stronger than real ones, so AUROCs are higher "
    "than the studies'",
    "divergent": "AA-only training (independent) should match or beat the transfer schemes on AA patients: "
    "EA patients teach a weaker effect than the AA data hold",
}


@dataclass
class DemoParams:
    """The config's ``demo`` section (its defaults are the schema's), the regime's values
    resolved: build it with :meth:`from_config`."""

    seed: int
    n_genes: int
    types: list | str
    type_sizes: str
    patients_per_type: int
    brca_patients: int
    rna_coverage: float
    markers_per_type: int
    marker_shift: float
    # Real pairs that pan-cancer classifiers confuse most (peers' confusion matrices); a pair is
    # simulated as a family when both of its types are.
    families: list
    private_markers: int
    private_shift: float
    noise_sd: float
    profile_sd: float
    n_mirna: int
    n_cpg: int
    omics_types: list | str
    omics_coverage: float
    methylation_columns: int | None
    regime: str
    # The regime's values (REGIMES) unless the config gives a number.
    aa_fraction: float
    effect_ea: float
    effect_aa: float
    hazard: float
    signature_loading: float
    signature_size: int

    def __post_init__(self):
        if self.regime not in REGIMES:
            raise ValueError(f"demo.regime: {self.regime!r} is not one of {sorted(REGIMES)}")
        unresolved = [key for key in REGIMES[self.regime] if getattr(self, key) is None]
        if unresolved:
            raise ValueError(
                f"DemoParams: {unresolved} unresolved; DemoParams.from_config fills in the regime's values"
            )
        # The signature is planted in every omics layer, so each must hold it; checked here, at
        # parse time, rather than when rule demo_data has started.
        layers = {"n_mirna": self.n_mirna, "n_cpg": self.n_cpg}
        small = {key: n for key, n in layers.items() if n < self.signature_size}
        if small:
            raise ValueError(
                f"demo.signature_size ({self.signature_size}, regime {self.regime!r} unless the config sets it) "
                f"exceeds {', '.join(f'demo.{k} ({n})' for k, n in small.items())}: set demo.signature_size "
                f"to at most {min(small.values())} or raise {' and '.join(f'demo.{k}' for k in small)}"
            )

    @classmethod
    def from_config(cls, demo: dict) -> DemoParams:
        """From the config's ``demo`` section: a null ``aa_fraction``, ``effect_ea``,
        ``effect_aa`` or ``hazard`` is the regime's (:data:`REGIMES`)."""
        regime = take(cls, demo, "regime")
        if regime not in REGIMES:
            raise ValueError(f"demo.regime: {regime!r} is not one of {sorted(REGIMES)}")
        resolved = {
            key: value if (value := take(cls, demo, key)) is not None else default
            for key, default in REGIMES[regime].items()
        }
        return from_section(cls, demo, **resolved)

    def simulated_families(self) -> list[list[str]]:
        """The families whose types are all simulated, in the order of ``families``."""
        types = set(simulated_types(self))
        return [list(f) for f in self.families if set(f) <= types]


def simulated_types(p: DemoParams) -> list[str]:
    return list(tcga_type_sizes()) if p.types == "all" else list(p.types)


def type_size(p: DemoParams, t: str) -> int:
    """Patients of type ``t``."""
    if p.type_sizes == "tcga":
        sizes = tcga_type_sizes()
        if t not in sizes:
            raise ValueError(f"demo.type_sizes: tcga: {t} is not one of the 33 TCGA types")
        return sizes[t]
    return p.brca_patients if t == "BRCA" else p.patients_per_type


def volume(demo: dict) -> tuple[float, float]:
    """Values rule demo_data writes: (RNA-seq values, all values), which its time and memory
    follow (tcgatl.jobs)."""
    p = DemoParams.from_config(demo)
    patients = sum(type_size(p, t) for t in simulated_types(p))
    rna = patients * p.rna_coverage * 1.09  # + duplicates and normals
    brca = type_size(p, "BRCA") if "BRCA" in simulated_types(p) else 0
    met = p.methylation_columns or patients
    rna_values = p.n_genes * rna
    return rna_values, rna_values + p.n_mirna * patients + p.n_cpg * min(met, max(brca, 1) + patients)


def describe(p: DemoParams) -> dict[str, str]:
    """What the demo plants and what a reader of its report should see, in words."""
    fams = p.simulated_families()
    pairs = ", ".join("/".join(f) for f in fams)
    pancancer = f"{len(simulated_types(p))} tumour types with {p.markers_per_type} planted markers each (+{p.marker_shift} log2)"
    if fams:
        pancancer += (
            f"; {pairs} share their markers and {100 * (1 - OWN_PROFILE):.1f}% of their expression profile and differ by "
            f"{p.private_markers} weaker markers each (+{p.private_shift} log2): the errors should fall within these "
            "pairs, the other types should be classified almost perfectly"
        )
    motlab = (
        f"regime `{p.regime}`: {100 * p.aa_fraction:.0f}% of the BRCA patients are AA; one prognostic signature "
        f"({p.signature_size} features per omics layer) with log-hazard {p.effect_ea} per SD in EA and {p.effect_aa} "
        f"in AA, baseline hazard {p.hazard} per year: {EXPECTED[p.regime]}"
    )
    ig = "Integrated Gradients should rank each type's planted markers (family markers for a pair) at the top"
    return {"pancancer": pancancer, "ig": ig, "motlab": motlab}
