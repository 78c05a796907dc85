"""Verified, resumable downloads against a loopback emulation of the GDC (no internet)."""

import hashlib
import os

import pytest
from conftest import ROOT
from gdc_server import FakeGDC

from tcgatl.inputs import gdc

FID = "3586c0da-64d0-4b74-a449-5ff4d9136611"
BODY = os.urandom(3 * 1024 * 1024 + 123)
MD5 = hashlib.md5(BODY).hexdigest()


def _get(server, tmp_path, **kw):
    kw.setdefault("md5", MD5)
    kw.setdefault("size", len(BODY))
    return gdc.download(FID, tmp_path / "EBPlusPlus.tsv", base_url=server.url, backoff=0, progress=False, **kw)


def test_plain_download_is_verified(tmp_path):
    with FakeGDC({FID: BODY}) as s:
        out = _get(s, tmp_path)
    assert out.read_bytes() == BODY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["EBPlusPlus.tsv"]


def test_dropped_connection_resumes_with_range(tmp_path):
    with FakeGDC({FID: BODY}, faults={FID: ["drop"]}) as s:
        out = _get(s, tmp_path)
        ranges = [r for _, r in s.requests]
    assert out.read_bytes() == BODY
    assert ranges[0] is None
    resumed_at = int(ranges[1].removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= len(BODY) // 2


def test_server_ignoring_range_restarts_cleanly(tmp_path):
    with FakeGDC({FID: BODY}, faults={FID: ["drop", "norange"]}) as s:
        assert _get(s, tmp_path).read_bytes() == BODY


def test_corrupt_body_retried_then_succeeds(tmp_path):
    with FakeGDC({FID: BODY}, faults={FID: ["corrupt"]}) as s:
        assert _get(s, tmp_path).read_bytes() == BODY
        assert len(s.requests) == 2


def test_persistent_checksum_mismatch_names_file_and_checksums(tmp_path):
    with FakeGDC({FID: BODY}, faults={FID: ["corrupt"] * 3}) as s:
        with pytest.raises(gdc.DownloadError) as e:
            _get(s, tmp_path, retries=3)
    bad = hashlib.md5(bytes(b ^ 0xFF for b in BODY[:16]) + BODY[16:]).hexdigest()
    msg = str(e.value)
    assert "EBPlusPlus.tsv" in msg and f"expected {MD5}, got {bad}" in msg
    assert list(tmp_path.iterdir()) == []  # nothing left that looks like the file


def test_html_error_page_is_a_failure(tmp_path):
    with FakeGDC({FID: BODY}, faults={FID: ["html"] * 2}) as s:
        with pytest.raises(gdc.DownloadError, match="EBPlusPlus.tsv.*HTML page"):
            _get(s, tmp_path, retries=2)
    assert not (tmp_path / "EBPlusPlus.tsv").exists()
    with FakeGDC({FID: BODY}, faults={FID: ["html", "500"]}) as s:
        assert _get(s, tmp_path, retries=3).read_bytes() == BODY


def test_truncated_body_every_time_fails_without_output(tmp_path):
    with FakeGDC({FID: BODY}, faults={FID: ["drop"] * 2}) as s:
        with pytest.raises(gdc.DownloadError, match="connection ended after"):
            _get(s, tmp_path, retries=2)
    assert not (tmp_path / "EBPlusPlus.tsv").exists()
    # the partial transfer is kept under .part, so the next run resumes it
    assert (tmp_path / "EBPlusPlus.tsv.part").stat().st_size < len(BODY)
    with FakeGDC({FID: BODY}) as s:
        assert _get(s, tmp_path).read_bytes() == BODY
        assert s.requests[0][1] is not None


def test_unknown_file_fails_at_once(tmp_path):
    with FakeGDC({}) as s:
        with pytest.raises(gdc.DownloadError, match="404"):
            _get(s, tmp_path)
        assert s.requests == []


def test_md5_and_size_from_files_endpoint(tmp_path):
    with FakeGDC({FID: BODY}, names={FID: "EBPlusPlus.tsv"}) as s:
        meta = gdc.file_metadata(FID, s.url)
        assert meta == {"md5": MD5, "size": len(BODY), "filename": "EBPlusPlus.tsv"}
        out = gdc.download(FID, tmp_path / "x.tsv", base_url=s.url, progress=False, backoff=0)
    assert out.read_bytes() == BODY


def test_shipped_manifest_lists_the_studies_files():
    m = gdc.read_manifest(ROOT / "resources" / "gdc_manifest.tsv")
    e = m[FID]
    assert e.filename == "EBPlusPlusAdjustPANCAN_IlluminaHiSeq_RNASeqV2.geneExp.tsv"
    assert e.size == 1882540959 and e.md5 == "02e72c33071307ff6570621480d3c90b"
    names = {x.filename for x in m.values()}
    assert {
        "merged_sample_quality_annotations.tsv",
        "TCGA-CDR-SupplementalTableS1.xlsx",
        "pancanMiRs_EBadjOnProtocolPlatformWithoutRepsWithUnCorrectMiRs_08_04_16.csv",
        "jhu-usc.edu_PANCAN_HumanMethylation450.betaValue_whitelisted.tsv",
    } <= names
