from __future__ import annotations

from pathlib import Path

import pytest

from devdata.s3server import S3Store

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE_WARC = REPO / "data" / "sample" / "sample.warc.gz"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not found at {SHARED_DATA}: real-data test skipped")
    return SHARED_DATA


@pytest.fixture(scope="session")
def s3_store():
    pytest.importorskip("moto", reason="moto is a dev dependency (make setup installs it)")
    store = S3Store()
    yield store
    store.stop()
