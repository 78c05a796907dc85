"""The documentation: the README's links lead somewhere, CITATION.cff cites what the README cites,
and the MkDocs site under docs/ builds in strict mode, where a broken link or anchor, or a page left
out of the navigation, fails the build."""

import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

README = (ROOT / "README.md").read_text()
# Inline Markdown links outside code: [text](target).
README_LINKS = re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", re.sub(r"```.*?```", "", README, flags=re.S))


def _build(config_dir, site_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=config_dir,
        capture_output=True,
        text=True,
    )


def _copy_of_the_docs(tmp_path):
    """mkdocs.yml and docs/ copied into tmp_path/repo, every other top-level entry of the checkout
    linked there, so that a page can be broken without touching the checkout."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "docs", repo / "docs")
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    for entry in ROOT.iterdir():
        if entry.name not in ("docs", "mkdocs.yml"):
            (repo / entry.name).symlink_to(entry)
    return repo


def test_the_docs_build_in_strict_mode(tmp_path):
    r = _build(ROOT, tmp_path / "site")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "site" / "outputs" / "index.html").exists()


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("[missing page](nowhere.md)", "nowhere.md"),
        ("[missing anchor](costs.md#no-such-section)", "no-such-section"),
        ("[missing repository file](../config/NO_SUCH_FILE.md)", "config/NO_SUCH_FILE.md does not exist"),
    ],
)
def test_a_broken_link_fails_the_build(tmp_path, breakage, message):
    repo = _copy_of_the_docs(tmp_path)
    with open(repo / "docs" / "tests.md", "a") as page:
        page.write(f"\n{breakage}\n")
    r = _build(repo, tmp_path / "site")
    assert r.returncode != 0 and message in r.stdout + r.stderr


def test_a_page_missing_from_the_navigation_fails_the_build(tmp_path):
    repo = _copy_of_the_docs(tmp_path)
    (repo / "docs" / "stray.md").write_text("# A page nobody can reach\n")
    r = _build(repo, tmp_path / "site")
    assert r.returncode != 0 and "stray.md" in r.stdout + r.stderr


def test_a_link_to_a_repository_file_is_shown_as_its_path(tmp_path):
    r = _build(ROOT, tmp_path / "site")
    assert r.returncode == 0, r.stdout + r.stderr
    page = (tmp_path / "site" / "configuration" / "index.html").read_text()
    assert "<code>config/README.md</code>" in page and "../config/README.md" not in page


def test_every_relative_readme_link_leads_to_a_file_and_every_docs_page_is_linked():
    relative = [link.split("#", 1)[0] for link in README_LINKS if not re.match(r"[a-z]+:", link)]
    assert [link for link in relative if not (ROOT / link).exists()] == []
    nav_pages = set(re.findall(r":\s*(\S+\.md)$", (ROOT / "mkdocs.yml").read_text(), flags=re.M))
    assert {f"docs/{page}" for page in nav_pages} - {"docs/index.md"} <= set(relative)


def test_the_readme_stays_a_guide():
    assert len(README.splitlines()) <= 250


def test_citation_cff_cites_the_studies_the_readme_cites():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["authors"] and cff["title"]
    readme_dois = set(re.findall(r"doi:\[(10\.[^\]]+)\]", README))
    cff_dois = {ref["doi"] for ref in cff["references"] if "doi" in ref}
    assert readme_dois and readme_dois == cff_dois
    readme_code = set(re.findall(r"https://github\.com/[^\s>)]+", README))
    cff_code = {ref["repository-code"] for ref in cff["references"] if "repository-code" in ref}
    assert cff_code <= readme_code
