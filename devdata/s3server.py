"""An S3-compatible server on 127.0.0.1 for the object-store tests and the Spark benchmark (moto's server)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.io import storage


class S3Store:
    """An S3-compatible server on 127.0.0.1 (moto's server: real HTTP, the S3 REST protocol). While it
    runs, the AWS environment variables that pyarrow, the workers and Spark executors read point at it;
    `stop()` restores them."""

    bucket = "curate-test"

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.env = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "curate",
            "AWS_SECRET_ACCESS_KEY": "curate-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        from pyarrow import fs

        self.fs = fs.S3FileSystem(
            endpoint_override=f"{host}:{port}",
            scheme="http",
            access_key="curate",
            secret_key="curate-secret",
            region="us-east-1",
            allow_bucket_creation=True,
        )
        self.fs.create_dir(self.bucket)
        self._saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)  # for this process and every worker or executor it starts
        storage._s3_filesystem.cache_clear()

    def uri(self, key: str) -> str:
        return f"s3a://{self.bucket}/{key}"

    def upload(self, local: Path, key: str) -> str:
        with self.fs.open_output_stream(f"{self.bucket}/{key}", compression=None) as sink:
            sink.write(Path(local).read_bytes())
        return self.uri(key)

    def stop(self) -> None:
        """Put the environment back and stop the server."""
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        storage._s3_filesystem.cache_clear()
        self.server.stop()
