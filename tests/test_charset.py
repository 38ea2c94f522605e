from pipeline.io.charset import charset_from_content_type, charset_from_meta, decode_html


def test_header_charset_wins_over_meta():
    body = '<meta charset="utf-8"><p>caf\xe9 \u201cquoted\u201d</p>'.encode("cp1252")
    text, used, replaced = decode_html(body, "text/html; charset=windows-1252")
    assert used == "cp1252"
    assert "café “quoted”" in text
    assert not replaced


def test_meta_charset_used_without_header():
    body = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head>Привет'.encode(
        "koi8-r"
    )
    text, used, _ = decode_html(body, "text/html")
    assert used == "koi8-r"
    assert "Привет" in text


def test_latin1_label_means_cp1252_like_browsers():
    assert charset_from_content_type("text/html; charset=ISO-8859-1") == "cp1252"
    assert charset_from_meta(b"<meta charset='latin1'>") == "cp1252"


def test_invalid_bytes_in_declared_charset_are_replaced_not_raised():
    body = b"<p>valid start \xff\xfe broken \xc3 end</p>"
    text, _, replaced = decode_html(body, "text/html; charset=utf-8")
    assert replaced
    assert "valid start" in text and "end" in text
    assert "\ufffd" in text


def test_wrong_declaration_falls_back_to_utf8_when_that_decodes():
    body = "<p>naïve 東京</p>".encode()
    text, used, replaced = decode_html(body, "text/html; charset=iso-2022-jp")
    assert (used, replaced) == ("utf-8", False)
    assert "東京" in text


def test_unknown_label_and_no_declaration_fall_back():
    text, used, _ = decode_html("déjà".encode("cp1252"), "text/html; charset=x-made-up")
    assert used == "cp1252"
    assert text == "déjà"
