"""The commit of the checkout holding this package, written into run logs and
benchmark tables so that a number can be traced to the code that made it."""
import os.path as osp
import subprocess


def git_version(repo_dir=None):
    """``(commit hash, dirty)`` of the checkout holding this package, or
    ``('unknown', None)`` outside a git checkout or before its first commit."""
    repo_dir = repo_dir or osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

    def git(*cmd):
        return subprocess.run(['git', '-C', repo_dir, *cmd], capture_output=True,
                              text=True, timeout=30)
    try:
        head = git('rev-parse', 'HEAD')
        if head.returncode != 0:
            return 'unknown', None
        status = git('status', '--porcelain', '--untracked-files=no')
        return head.stdout.strip(), bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return 'unknown', None
