"""The book's settings that the notebooks and the site share, read from ``_config.yml`` in one place.

``repository.url`` is the switch: when it is empty (a local clone), nothing points outside the book —
no install-from-git cell, no launch buttons. When it names a GitHub repository, learner notebooks start
with a cell that installs the package from it, and chapter pages get Binder/Colab/JupyterHub links
that open the learner notebook as published with the site (the ``gh-pages`` branch that
``ghp-import -n -p -f _build/html`` writes; ``sphinx.config.nodebook_pages_branch`` changes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

NOTEBOOKS_DIR = "notebooks"  # under the built site: notebooks/<chapter>.ipynb (learner copies) and the zip
SLIDES_DIR = "slides"
STUDENT_ZIP = "nodebook-student-notebooks.zip"
STUDENT_PDF = "nodebook-student.pdf"


@dataclass(frozen=True)
class Settings:
    repo_url: str = ""
    branch: str = "main"
    pages_branch: str = "gh-pages"
    site_url: str = ""
    binderhub_url: str = ""
    colab_url: str = ""
    jupyterhub_url: str = ""
    lab: bool = True

    @property
    def github(self) -> tuple[str, str] | None:
        """``(org, repo)`` for a github.com URL, else None."""
        url = self.repo_url.rstrip("/").removesuffix(".git")
        if "github.com/" not in url:
            return None
        parts = url.split("github.com/", 1)[1].split("/")
        return (parts[0], parts[1]) if len(parts) >= 2 and all(parts[:2]) else None

    @property
    def install_spec(self) -> str:
        """What ``pip install`` takes to install the package from the repository ("" without one)."""
        if not self.repo_url:
            return ""
        return f"nodebook @ git+{self.repo_url.rstrip('/')}@{self.branch}"


def read_settings(config_path: str | Path) -> Settings:
    """Settings from a Jupyter Book ``_config.yml``; a missing file gives the defaults (nothing set)."""
    import yaml

    path = Path(config_path)
    if not path.is_file():
        return Settings()
    cfg = yaml.safe_load(path.read_text()) or {}
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: expected a mapping at the top level; got {type(cfg).__name__}")
    repo = cfg.get("repository") or {}
    launch = cfg.get("launch_buttons") or {}
    extra = ((cfg.get("sphinx") or {}).get("config") or {})
    return Settings(
        repo_url=(repo.get("url") or "").strip(),
        branch=(repo.get("branch") or "main").strip(),
        pages_branch=str(extra.get("nodebook_pages_branch") or "gh-pages").strip(),
        site_url=((cfg.get("html") or {}).get("baseurl") or "").strip(),
        binderhub_url=(launch.get("binderhub_url") or "").strip().rstrip("/"),
        colab_url=(launch.get("colab_url") or "").strip().rstrip("/"),
        jupyterhub_url=(launch.get("jupyterhub_url") or "").strip().rstrip("/"),
        lab=(launch.get("notebook_interface") or "jupyterlab") != "classic",
    )


def launch_links(settings: Settings, stem: str) -> list[tuple[str, str]]:
    """``[(service, url), ...]`` opening the learner notebook ``notebooks/<stem>.ipynb`` of the published
    site; empty when no repository URL is set (then no launch button is shown at all)."""
    if not settings.repo_url:
        return []
    path = f"{NOTEBOOKS_DIR}/{stem}.ipynb"
    ui = "lab/tree" if settings.lab else "tree"
    links = []
    gh = settings.github
    if gh and settings.binderhub_url:
        org, repo = gh
        links.append(("Binder", f"{settings.binderhub_url}/v2/gh/{org}/{repo}/{settings.pages_branch}"
                                f"?urlpath={quote(f'{ui}/{path}', safe='')}"))
    if gh and settings.colab_url:
        org, repo = gh
        links.append(("Colab", f"{settings.colab_url}/github/{org}/{repo}/blob/{settings.pages_branch}/{path}"))
    if settings.jupyterhub_url:
        name = (gh[1] if gh else settings.repo_url.rstrip("/").rsplit("/", 1)[-1]).removesuffix(".git")
        links.append(("JupyterHub", f"{settings.jupyterhub_url}/hub/user-redirect/git-pull"
                                    f"?repo={quote(settings.repo_url, safe='')}&branch={settings.pages_branch}"
                                    f"&urlpath={quote(f'{ui}/{name}/{path}', safe='')}"))
    return links
