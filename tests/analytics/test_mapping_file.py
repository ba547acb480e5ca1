"""A mapping file's shape is checked by a pydantic model (issue 21 item 6); the messages
name the file, the key and the value."""

from __future__ import annotations

import pytest

from analytics.mapping import MappingError, load_mapping


def _mapping(tmp_path, text: str):
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('kind = "calls"\nfliter = "x"\n', r"m\.toml: unknown key fliter; known: kind, columns"),
        ('kind = "calls"\n[source]\nsep = ","\n', r"unknown key source\.sep; known: delimiter"),
        ("kind = 3\n", r"m\.toml: kind: input should be a valid string, not 3"),
        ('kind = "calls"\n[columns]\ncall_id = 1\n', r"columns\.call_id: .*string, not 1"),
        ('kind = "calls"\ntimestamp_formats = [1]\n', r"timestamp_formats\.0: .*not 1"),
        ('kind = "call"\n', r"kind = 'call'; use one of calls, tickets"),
        ('kind = "calls"\n[source]\nencoding = "ebcdic"\n', r"encoding = 'ebcdic'"),
    ],
)
def test_a_bad_mapping_file_is_named_with_its_key_and_value(tmp_path, text, message):
    with pytest.raises(MappingError, match=message):
        load_mapping(_mapping(tmp_path, text))


def test_a_good_mapping_file_reads_as_before(tmp_path):
    m = load_mapping(
        _mapping(
            tmp_path,
            'kind = "calls"\ntimezone = "Asia/Riyadh"\ntimestamp_formats = ["%d/%m/%Y %H:%M"]\n'
            '[source]\ndelimiter = ";"\n[columns]\ncall_id = "id"\n',
        )
    )
    assert (m.kind, m.timezone, m.delimiter, m.encoding, m.quote) == (
        "calls",
        "Asia/Riyadh",
        ";",
        "utf-8",
        '"',
    )
    assert m.columns == {"call_id": "id"} and m.timestamp_formats == ("%d/%m/%Y %H:%M",)
