"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...) through boto3."""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ventanilla.storage.blobs import BlobNotFound, StorageUnavailable

log = logging.getLogger("ventanilla.storage")

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Backend:
    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        config = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            # Self-hosted S3 (MinIO, Ceph) is addressed by path; AWS picks its own style.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            # Checksums only where S3 requires them: several S3-compatible servers refuse the
            # CRC32 trailers boto3 sends by default since 1.36.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # A session per backend: boto3 clients are thread-safe, the default session is not.
        session = boto3.session.Session()
        self.client: Any = session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # S3 replaces an object atomically: readers see the old object or the new one.
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("put", key, exc) from exc

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return bytes(response["Body"].read())
        except ClientError as exc:
            if _is_missing(exc):
                raise BlobNotFound() from exc
            raise _unavailable("get", key, exc) from exc
        except BotoCoreError as exc:
            raise _unavailable("get", key, exc) from exc

    def delete(self, key: str) -> None:
        # S3 answers 204 for a key that is not there, as we promise.
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("delete", key, exc) from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise _unavailable("head", key, exc) from exc
        except BotoCoreError as exc:
            raise _unavailable("head", key, exc) from exc


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")) in _MISSING


def _unavailable(operation: str, key: str, exc: Exception) -> StorageUnavailable:
    log.error("S3 %s of %s failed: %s", operation, key, exc)
    return StorageUnavailable()
