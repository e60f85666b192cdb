"""A real S3 server on loopback (moto's server mode) and a blob store fixture on both backends.

    with moto_s3_server() as s3:         # `python -m moto.server` on 127.0.0.1:<free port>
        s3.settings("bucket")            # Settings overrides pointing Ventanilla at it
        s3.keys("bucket")                # every object key in the bucket

Fixtures (import them into a conftest): `moto_s3` (one server per test session, per xdist
worker; stopped at the end) and `blob_store` (function-scoped, parametrized "folder" / "s3":
installs test settings whose blobs go to a fresh folder or an emptied bucket, and lists what
is stored, so tests can check that nothing was).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import make_settings
from tests.servers import LOOPBACK, free_port, wait_for
from ventanilla.config import Settings, use_settings

BUCKET = "ventanilla-test"
REGION = "eu-west-1"


class MotoS3:
    """moto's S3 in its own process on loopback, started and stopped by the owner."""

    def __init__(self) -> None:
        self.port = free_port()
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="moto-", suffix=".log", delete=False
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._client: Any = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._ready, timeout=30, what=f"moto S3 server on {self.url}")

    def _ready(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"moto server exited; log: {Path(self._log.name).read_text()}")
        try:
            return httpx.get(f"{self.url}/moto-api/data.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.url,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
        return self._client

    def settings(self, bucket: str = BUCKET) -> dict[str, Any]:
        return {
            "s3_bucket": bucket,
            "s3_endpoint_url": self.url,
            "s3_region": REGION,
            "s3_access_key_id": "test",
            "s3_secret_access_key": SecretStr("test"),
        }

    def empty_bucket(self, bucket: str = BUCKET) -> None:
        """Create the bucket if needed and remove every object in it."""
        try:
            self.client.head_bucket(Bucket=bucket)
        except self.client.exceptions.ClientError:
            self.client.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        for key in self.keys(bucket):
            self.client.delete_object(Bucket=bucket, Key=key)

    def keys(self, bucket: str = BUCKET) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


@contextmanager
def moto_s3_server() -> Iterator[MotoS3]:
    server = MotoS3()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    with moto_s3_server() as server:
        yield server


@dataclass
class BlobStore:
    """Where this test's blobs go, and what is there."""

    kind: str  # "folder" or "s3"
    settings: Settings
    folder: Path
    s3: MotoS3 | None

    def configure(self, **overrides: Any) -> Settings:
        """Install these settings changes (photo limits, say) for the rest of the test."""
        self.settings = self.settings.model_copy(update=overrides)
        use_settings(self.settings)
        return self.settings

    def keys(self) -> list[str]:
        """Every stored blob (temporary files included, so a leftover counts too)."""
        if self.s3 is not None:
            return self.s3.keys()
        if not self.folder.exists():
            return []
        return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*")
                      if not p.is_dir())


def blob_store_for(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, **overrides: Any
) -> BlobStore:
    """Install settings whose blobs go to `kind`; the caller resets with use_settings(None)."""
    s3: MotoS3 | None = None
    values: dict[str, Any] = {}
    if kind == "s3":
        s3 = request.getfixturevalue("moto_s3")
        s3.empty_bucket()
        values.update(s3.settings())
    values.update(overrides)
    settings = make_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path / "var", **values)
    use_settings(settings)
    return BlobStore(kind, settings, settings.var_dir / "blobs", s3)


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    store = blob_store_for(str(request.param), tmp_path, request)
    yield store
    use_settings(None)
