"""MOTLAB cohort (tcgatl.motlab.cohort): patients in every omics layer, tumour type, ancestry."""

import numpy as np
import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.motlab import cohort


def test_cohort_intersection_type_tumour_and_ancestry():
    def mat(barcodes):
        return pd.DataFrame(np.ones((len(barcodes), 2), np.float32), index=barcodes, columns=["f1", "f2"])

    p = [f"TCGA-A1-{i:04d}" for i in range(6)]
    mrna = mat(
        [
            f"{p[0]}-01A-11R-A000-07",
            f"{p[1]}-01A-11R-A000-07",
            f"{p[2]}-11A-11R-A000-07",
            f"{p[3]}-01A-11R-A000-07",
            f"{p[4]}-01A-11R-A000-07",
            f"{p[5]}-01A-11R-A000-07",
        ]
    )
    prot = mat([p[0], p[1], p[2], p[3], p[5]])  # patient-level barcodes, taken as given
    cdr = pd.DataFrame(
        {
            "type": ["BRCA"] * 5 + ["LUAD"],
            "race": ["WHITE", "BLACK OR AFRICAN AMERICAN", "WHITE", "ASIAN", "WHITE", "WHITE"],
        },
        index=p,
    )
    table, counts = cohort.build_cohort({"mrna": mrna, "protein": prot}, cdr, "BRCA")
    # p2: normal only; p3: Asian; p4: not in protein; p5: LUAD
    assert table["patient"].tolist() == [p[0], p[1]]
    assert table["ancestry"].tolist() == ["EA", "AA"]
    assert table["mrna"].str.contains("-01A-").all() and table["protein"].tolist() == [p[0], p[1]]
    assert counts.set_index("step").loc["in_protein", "patients"] == 3
    # EIGENSTRAT calls override the self-reported race.
    calls = cohort.ancestry_from_eigenstrat(pd.DataFrame({"EIGENSTRAT": ["AA", "EA", "EAA"]}, index=[p[0], p[1], p[3]]))
    table, _ = cohort.build_cohort({"mrna": mrna}, cdr, "BRCA", ancestry=calls)
    assert dict(zip(table["patient"], table["ancestry"])) == {p[0]: "AA", p[1]: "EA"}
    with pytest.raises(InputError, match="no patient of type 'OV'"):
        cohort.build_cohort({"mrna": mrna}, cdr.assign(type="BRCA"), "OV", sources={"cdr": "cdr.parquet"})
