"""Production settings refuse to start unsafely; the check runs in a fresh interpreter."""

import subprocess
import sys

from django.conf import settings

CHECK = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def _run(secret_key):
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "ALLOWED_HOSTS": "zhengshe.example.cn",
    }
    if secret_key is not None:
        environment["SECRET_KEY"] = secret_key
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        CHECK, cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=False
    )


def test_production_refuses_to_start_without_a_secret_key():
    """No SECRET_KEY: Django stops with a message naming the variable."""
    result = _run(None)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    """A short key is as bad as none."""
    result = _run("short")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passes_the_deployment_check_with_a_real_key():
    """With a long random key every `check --deploy` warning is dealt with."""
    result = _run("k" * 20 + "Q9x!Zr#2pLm@8vTw$4nB&6yHc*1jKd^" + "s" * 10)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
