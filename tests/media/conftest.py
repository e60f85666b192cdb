from tests.s3_server import blob_store, moto_s3  # noqa: F401  (fixtures)
