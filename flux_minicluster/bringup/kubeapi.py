"""Just enough of a Kubernetes API client to watch a MiniCluster come up.

Reads a kubeconfig as ``kubectl`` does for the parts clusters use: the
current context (or a named one), the server and its CA (inline, a file, or
none when TLS verification is off), and the user's credentials: a bearer
token (inline or a file), a client certificate and key, or an exec plugin
(``gke-gcloud-auth-plugin``, ``aws eks get-token`` ...) whose ExecCredential
gives a token. GET requests only; the standard library's HTTP and TLS.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

#: Seconds one request, or one run of an exec credential plugin, may take.
REQUEST_SECONDS = 15.0
EXEC_SECONDS = 60.0


class KubeApiError(Exception):
    """The API cannot be reached, or it refused a request (one line, for the user)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        #: The HTTP status of a refused request.
        self.status = status


@dataclass
class KubeClient:
    """GET requests against one cluster, authenticated as the kubeconfig says."""

    server: str
    context: ssl.SSLContext | None
    user: Mapping[str, Any]
    _token: str | None = None
    _token_expires: float = 0.0
    _files: list[str] = field(default_factory=list)

    @classmethod
    def from_kubeconfig(cls, text: str, context_name: str | None = None) -> KubeClient:
        try:
            config = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise KubeApiError(f"the kubeconfig is not valid YAML: {error}") from None
        name = context_name or config.get("current-context")
        context = _named(config.get("contexts"), name, "context")
        cluster = _named(config.get("clusters"), context.get("cluster"), "cluster")
        user = _named(config.get("users"), context.get("user"), "user") if context.get("user") else {}
        server = str(cluster.get("server", "")).rstrip("/")
        if not server:
            raise KubeApiError(f"the kubeconfig's cluster {context.get('cluster')!r} has no server")
        client = cls(server=server, context=None, user=user)
        if server.startswith("https://"):
            client.context = client._tls(cluster)
        return client

    def get(self, path: str, **params: str | int) -> Any:
        """The JSON body of ``GET path?params``."""
        return json.loads(self.get_text(path, **params))

    def get_text(self, path: str, **params: str | int) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        request = urllib.request.Request(f"{self.server}{path}{query}", headers=self._headers())
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS, context=self.context) as answer:
                return str(answer.read().decode("utf-8", errors="replace"))
        except urllib.error.HTTPError as error:
            raise KubeApiError(f"GET {path}: {error.code} {_reason(error)}", error.code) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise KubeApiError(f"cannot reach the Kubernetes API at {self.server}: {reason}") from None

    def close(self) -> None:
        for path in self._files:
            Path(path).unlink(missing_ok=True)
        self._files.clear()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        token = self._bearer_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif self.user.get("username") is not None:
            pair = f"{self.user['username']}:{self.user.get('password', '')}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        return headers

    def _bearer_token(self) -> str | None:
        if self.user.get("token"):
            return str(self.user["token"])
        if self.user.get("tokenFile"):
            return Path(self.user["tokenFile"]).expanduser().read_text(encoding="utf-8").strip()
        plugin = self.user.get("exec")
        if not plugin:
            return None
        if self._token is None or time.time() >= self._token_expires:
            self._token, self._token_expires = _run_exec_plugin(plugin)
        return self._token

    def _tls(self, cluster: Mapping[str, Any]) -> ssl.SSLContext:
        if cluster.get("insecure-skip-tls-verify"):
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif cluster.get("certificate-authority-data"):
            ca = base64.b64decode(cluster["certificate-authority-data"]).decode("utf-8")
            context = ssl.create_default_context(cadata=ca)
        elif cluster.get("certificate-authority"):
            context = ssl.create_default_context(cafile=str(Path(cluster["certificate-authority"]).expanduser()))
        else:
            context = ssl.create_default_context()
        certificate = self._pem("client-certificate")
        key = self._pem("client-key")
        if certificate and key:
            context.load_cert_chain(certificate, key)
        return context

    def _pem(self, name: str) -> str | None:
        """A path to the user's PEM ``name``: its file, or its inline data written to a private file."""
        if self.user.get(name):
            return str(Path(self.user[name]).expanduser())
        data = self.user.get(f"{name}-data")
        if not data:
            return None
        handle, path = tempfile.mkstemp(prefix="flux-minicluster-", suffix=".pem")
        with os.fdopen(handle, "wb") as file:  # mkstemp: readable by its owner only
            file.write(base64.b64decode(data))
        self._files.append(path)
        return path


def local_kubeconfig(path: str | None = None, context: str | None = None) -> str | None:
    """The kubeconfig ``kubectl`` would use, as one text whose current context is
    ``context``: the file ``path``, else the files ``$KUBECONFIG`` lists (merged,
    the first naming an entry wins), else ``~/.kube/config``. None when there is none."""
    if path:
        files = [Path(path).expanduser()]
    elif os.environ.get("KUBECONFIG"):
        files = [Path(p).expanduser() for p in os.environ["KUBECONFIG"].split(os.pathsep) if p]
    else:
        files = [Path.home() / ".kube" / "config"]
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    found = False
    for file in files:
        try:
            config = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(config, dict):
            continue
        found = True
        merged.setdefault("current-context", config.get("current-context"))
        for section in ("clusters", "contexts", "users"):
            known = {entry.get("name") for entry in merged[section]}
            merged[section] += [
                e for e in config.get(section) or [] if isinstance(e, dict) and e.get("name") not in known
            ]
    if not found:
        return None
    if context:
        merged["current-context"] = context
    return yaml.safe_dump(merged, sort_keys=False)


def _named(entries: object, name: object, kind: str) -> Mapping[str, Any]:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            value = entry.get(kind)
            return value if isinstance(value, Mapping) else {}
    raise KubeApiError(f"the kubeconfig has no {kind} named {name!r}")


def _run_exec_plugin(plugin: Mapping[str, Any]) -> tuple[str, float]:
    """The token an exec credential plugin gives, and until when it holds."""
    command = [str(plugin["command"]), *(str(a) for a in plugin.get("args") or [])]
    environment = {**os.environ, **{str(e["name"]): str(e["value"]) for e in plugin.get("env") or []}}
    environment["KUBERNETES_EXEC_INFO"] = json.dumps(
        {
            "apiVersion": plugin.get("apiVersion", "client.authentication.k8s.io/v1beta1"),
            "kind": "ExecCredential",
            "spec": {"interactive": False},
        }
    )
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=EXEC_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        hint = plugin.get("installHint") or ""
        raise KubeApiError(
            f"the kubeconfig's credential command {command[0]} did not run: {error}. {hint}".strip()
        ) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        raise KubeApiError(f"the kubeconfig's credential command {command[0]} failed: {last}")
    try:
        status = json.loads(done.stdout)["status"]
        token = str(status["token"])
    except (ValueError, KeyError, TypeError):
        raise KubeApiError(f"the kubeconfig's credential command {command[0]} gave no token") from None
    # Renew a minute before it expires; without a date, on every request after five minutes.
    expires = time.time() + 300
    stamp = status.get("expirationTimestamp")
    if stamp:
        with contextlib.suppress(ValueError):
            expires = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp() - 60
    return token, expires


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read().decode("utf-8", errors="replace"))
        return str(body.get("message") or error.reason)
    except (ValueError, AttributeError):
        return str(error.reason)
