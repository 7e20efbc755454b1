"""Publishing the boards: upload a folder to a Hugging Face dataset repo with huggingface_hub.

The token is huggingface_hub's usual one (``HF_TOKEN`` or ``hf auth login``); ``endpoint`` (or
``HF_ENDPOINT``) points at another hub, which is how the tests reach a loopback fake.
"""

from __future__ import annotations

from pathlib import Path


def publish(folder: Path, repo: str, *, endpoint: str | None = None, path_in_repo: str | None = None,
            commit_message: str = "Update restbench leaderboards", repo_type: str = "dataset"):
    """Upload ``folder`` to ``repo`` (created if missing) with huggingface_hub.

    ``repo_type="space"`` creates a static Space, which serves the ``index.html`` at its root.
    """
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint)
    extra = {"space_sdk": "static"} if repo_type == "space" else {}
    api.create_repo(repo, repo_type=repo_type, exist_ok=True, **extra)
    return api.upload_folder(repo_id=repo, folder_path=str(folder), repo_type=repo_type,
                             path_in_repo=path_in_repo, commit_message=commit_message)


def one_line(exc: BaseException) -> str:
    """huggingface_hub's HTTP errors span lines (status and URL, an MDN link, the hub's own message);
    a CLI error is one line, so keep the status and the hub's words and drop the link."""
    lines = [ln.strip() for ln in str(exc).splitlines()
             if ln.strip() and not ln.strip().startswith("For more information check")]
    status = getattr(getattr(exc, "response", None), "status_code", None)
    hint = " (check HF_TOKEN or `hf auth login`)" if status in (401, 403) else ""
    return f"{type(exc).__name__}: {' — '.join(lines) or repr(exc)}{hint}"


__all__ = ["one_line", "publish"]
