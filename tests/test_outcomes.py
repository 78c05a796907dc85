"""An outcomes table of one's own: groups as MOTLAB's domains, event/time pairs or ready labels."""

import pytest

from tcgatl.errors import InputError
from tcgatl.inputs.outcomes import read_outcomes
from tcgatl.motlab.labels import endpoint_labels

GROUPS = dict(group_column="site", source="A", target="B")


def _write(tmp_path, text):
    path = tmp_path / "outcomes.tsv"
    path.write_text(text)
    return path


def test_groups_become_domains_and_endpoints_are_labelled(tmp_path):
    path = _write(
        tmp_path,
        "patient\tsite\tOS\tOS.time\trelapse\n"
        "p1\tA\t1\t100\t1\n"
        "p2\tB\t0\t5000\t0\n"
        "p3\tB\t0\t200\t\n"  # censored before 3 years; relapse unknown
        "p4\tC\t1\t50\t1\n",  # neither group: left out of the domains
    )
    table = read_outcomes(path, **GROUPS)
    assert table["ancestry"].fillna("-").tolist() == ["EA", "AA", "AA", "-"]
    os3 = endpoint_labels(table, "OS", 3)
    assert os3["status"].tolist() == ["poor_outcome", "good_outcome", "censored_before_threshold", "poor_outcome"]
    ready = endpoint_labels(table, "relapse", 3)
    assert ready["status"].tolist() == ["poor_outcome", "good_outcome", "endpoint_missing", "poor_outcome"]
    assert ready["label"].tolist()[:2] == [1, 0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("patient\tOS\np1\t1\n", "missing required column(s) ['site']"),
        ("patient\tsite\np1\tA\np1\tB\n", "duplicate patient id(s): 'p1'"),
        ("patient\tsite\np1\tA\np2\tA\n", "no patient of the target group 'B' in column 'site'"),
        (
            "patient\tsite\tOS\tOS.time\np1\tA\t1\t3 years\np2\tB\t0\t10\n",
            "column 'OS.time' has non-numeric value(s) '3 years'",
        ),
    ],
    ids=["no-group-column", "duplicate", "no-target", "bad-time"],
)
def test_bad_outcomes_table_names_file_and_problem(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as e:
        read_outcomes(path, **GROUPS)
    assert str(path) in str(e.value) and message in str(e.value)


def test_a_ready_label_must_be_binary(tmp_path):
    table = read_outcomes(_write(tmp_path, "patient\tsite\trelapse\np1\tA\t2\np2\tB\t0\n"), **GROUPS)
    with pytest.raises(ValueError, match="'relapse' without relapse.time must be a 0/1 label"):
        endpoint_labels(table, "relapse", 3)
