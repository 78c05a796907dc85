"""MkDocs hook: links from a docs page to repository files outside docs/ (``../config/README.md``).

They are written as relative links so that they work where the Markdown is read on a code host
(GitHub renders docs/ in place). MkDocs only knows the files under docs/ and would report them as
missing, so this hook checks each such target exists in the checkout, failing the build with the
page and the link when it does not, and renders it on the site as the file's repository path.
"""

import posixpath
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

# An inline Markdown link: [text](target), the target without spaces or a title.
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")


def _outside_docs(target: str, page_dir: str) -> str | None:
    """The repository path a relative link leads to when it leaves docs/, else None."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return None
    path = posixpath.normpath(posixpath.join("docs", page_dir, target.split("#", 1)[0]))
    return None if path == "docs" or path.startswith("docs/") else path


def on_page_markdown(markdown, page, config, files):
    repo = Path(config.config_file_path).parent
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match):
        path = _outside_docs(match["target"], page_dir)
        if path is None:
            return match[0]
        if path.startswith("../") or not (repo / path).exists():
            raise PluginError(
                f"docs/{page.file.src_uri} links to {match['target']!r}, but {path} does not exist in the repository"
            )
        text = match["text"]
        return f"`{path}`" if text.strip("`") == path else f"{text} (`{path}`)"

    # Fenced code blocks are left alone: every second piece of the split is inside a fence.
    pieces = re.split(r"(^(?:```|~~~).*?^(?:```|~~~)[^\n]*$)", markdown, flags=re.M | re.S)
    return "".join(piece if i % 2 else _LINK.sub(rewrite, piece) for i, piece in enumerate(pieces))
