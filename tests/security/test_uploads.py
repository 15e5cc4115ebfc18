"""Upload type checks: a file that is not what its name says is refused with the file named, nothing changes."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from core import csvsafe
from core.db import db
from residents.models import Resident
from tests.conftest import api_headers

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_png_named_bpmn_is_refused_naming_the_file(client: FlaskClient) -> None:
    response = client.post("/api/v1/process-models", headers=api_headers("designer"),
                           data={"files": (io.BytesIO(PNG), "diagram.bpmn")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "diagram.bpmn" in response.json["error"]["message"]


def test_xml_that_is_not_bpmn_is_refused(client: FlaskClient) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = client.post("/api/v1/process-models", headers=api_headers("designer"),
                           data={"files": (io.BytesIO(svg), "x.bpmn")}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_a_binary_import_file_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    response = client.post("/api/v1/imports", headers=api_headers("admin"),
                           data={"file": (io.BytesIO(PNG * 10), "residents.csv"), "source": "example_csv",
                                 "mode": "full"}, content_type="multipart/form-data")
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert db.session.scalar(db.select(db.func.count()).select_from(Resident)) == 0


def test_formula_cells_are_neutralised_in_exports() -> None:
    body = csvsafe.write(["name", "note"], [["=cmd|' /C calc'!A0", "+1"], ["@SUM(A1)", "-2"], ["＝全角", "普通"]])
    lines = body.split("\r\n")
    assert lines[1] == "'=cmd|' /C calc'!A0,'+1"
    assert lines[2] == "'@SUM(A1),'-2"
    assert lines[3] == "'＝全角,普通"
