"""Reading real message bytes: clients, charsets, quotes, senders (pure, fast)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import mailparser
import pytest

from registration_bot.htmltext import html_to_text
from registration_bot.names import fix_case, name_from_address, split_display_name
from registration_bot.quotes import split_body
from registration_bot.reading import ReadError, decode_header_value, read_message, unflow

DATA = Path(__file__).parent / "data" / "messages"


def read(name: str):
    return read_message((DATA / name).read_bytes())


def test_outlook_html_only_windows_1252() -> None:
    mail = read("outlook_html_only_cp1252.eml")
    assert mail.content_type == "text/html"
    assert mail.sender == "karin.lindqvist@trafikverket.se"
    assert mail.subject == "Anmälan – Ekosystem kring öppen källkod och öppna data"  # cp1252 en dash
    assert "anmäl" in mail.text.lower()
    assert "<" not in mail.text and "&nbsp;" not in mail.text
    assert "Trafikverket" in mail.signature
    assert mail.language == "sv"
    assert mail.message_id.endswith("eurprd07.prod.outlook.com>")


def test_gmail_reply_cuts_the_swedish_quote_header_and_the_quoted_invitation() -> None:
    mail = read("gmail_reply_swedish_quote.eml")
    assert "skrev" not in mail.text
    assert "avanmäl" not in mail.text.lower()  # the quoted invitation says "avanmäl"
    assert "avanmäl" in mail.quoted.lower()
    assert mail.text.strip()


def test_iphone_base64_body_and_phone_footer() -> None:
    mail = read("iphone_base64.eml")
    assert mail.display_name == "Sofia Ekström"
    assert "Vi blir två" in mail.text
    assert "iPhone" not in mail.text + mail.signature


def test_latin1_8bit_body_and_encoded_word_sender() -> None:
    mail = read("latin1_8bit.eml")
    assert mail.display_name == "Göran Åkesson"
    assert "Jag heter Göran Åkesson" in mail.text
    assert "\ufffd" not in mail.text


def test_mail_parser_is_checked_against_the_standard_library_on_8bit_mail() -> None:
    """Why the body has its own charset cascade: on undeclared Latin-1, mail-parser loses letters."""
    declared = (DATA / "latin1_8bit.eml").read_bytes()
    undeclared = declared.replace(b"Content-Type: text/plain;charset=iso-8859-1", b"Content-Type: text/plain")
    assert undeclared != declared
    # Declared Latin-1: mail-parser, the standard library and we agree.
    stdlib = email.message_from_bytes(declared, policy=email.policy.default).get_content()
    assert "Göran" in mailparser.parse_from_bytes(declared).text_plain[0]
    assert "Göran" in stdlib
    assert "Göran" in read_message(declared).text
    # Undeclared 8-bit: mail-parser replaces the letters; our cascade keeps them.
    assert "\ufffd" in mailparser.parse_from_bytes(undeclared).text_plain[0]
    assert "Göran Åkesson" in read_message(undeclared).text


def test_swedish_out_of_office_is_read() -> None:
    mail = read("swedish_out_of_office.eml")
    assert mail.subject.startswith("Automatiskt svar")


@pytest.mark.parametrize(
    ("header", "sender", "problem"),
    [
        ('"Holm, Sara" <sara@x.se>', "sara@x.se", None),
        ("alice@example.com <bob@example.com>", "bob@example.com", "ambiguous"),
        ("anna@x.se <anna@x.se>", "anna@x.se", None),
        ("a@x.se, b@y.se", "a@x.se", "several addresses"),
        ("", None, "no address"),
        ("root", "root", "not a valid address"),
    ],
)
def test_sender_rules(header: str, sender: str | None, problem: str | None) -> None:
    mail = read_message(f"From: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode())
    assert mail.sender == sender
    if problem is None:
        assert mail.sender_problem is None and mail.reply_address == sender
    else:
        assert problem in (mail.sender_problem or "") and mail.reply_address is None


def test_two_from_headers_are_never_answered() -> None:
    mail = read_message(b"From: a@x.se\r\nFrom: b@y.se\r\n\r\nhej\r\n")
    assert mail.sender_problem == "several From headers"
    assert mail.reply_address is None


def test_header_injection_through_encoded_words_is_flattened() -> None:
    """CVE-2024-6923: a CR LF inside an encoded word must not become a header line."""
    raw = (
        b"From: =?utf-8?q?Eve=0D=0ABcc:_victim@x.se?= <eve@x.se>\r\n"
        b"Subject: =?utf-8?q?Hi=0D=0AX-Evil:_1?=\r\n\r\nhej\r\n"
    )
    mail = read_message(raw)
    assert "\n" not in mail.display_name and "\r" not in mail.display_name
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.subject == "Hi X-Evil: 1"


def test_control_characters_and_nul_bytes_are_removed() -> None:
    mail = read_message(b"From: Anna\x07 Svensson <anna@x.se>\r\nSubject: a\x00b\r\n\r\nhej\x00 \x1b[31mhej\r\n")
    assert mail.display_name == "Anna Svensson"
    assert "\x00" not in mail.text and "\x1b" not in mail.text
    assert "NUL bytes" in mail.defects


def test_microsoft_message_id_is_kept_verbatim() -> None:
    mid = "<[AM0PR07MB1234ABCD]@AM0PR07MB1234.eurprd07.prod.outlook.com>"
    mail = read_message(f"From: a@x.se\r\nMessage-ID: {mid}\r\n\r\nhej\r\n".encode())
    assert mail.message_id == mid


def test_unknown_charset_falls_back_to_utf8_then_cp1252() -> None:
    raw = b"From: a@x.se\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nR\xe4kna med mig\r\n"
    assert read_message(raw).text == "Räkna med mig"


def test_nfd_text_is_composed() -> None:
    raw = "From: a@x.se\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRa\u0308kna med mig\r\n".encode()
    assert read_message(raw).text == "Räkna med mig"


@pytest.mark.parametrize("raw", [b"", b"   \r\n"])
def test_empty_input_is_a_read_error(raw: bytes) -> None:
    with pytest.raises(ReadError):
        read_message(raw)


def test_deep_mime_nesting_stops_without_crashing() -> None:
    inner = b"Content-Type: text/plain\r\n\r\nRakna med mig\r\n"
    for depth in range(60):
        inner = (
            f"Content-Type: multipart/mixed; boundary=b{depth}\r\n\r\n--b{depth}\r\n".encode()
            + inner
            + f"\r\n--b{depth}--\r\n".encode()
        )
    mail = read_message(b"From: a@x.se\r\n" + inner)
    assert "MIME nesting too deep" in mail.defects


def test_format_flowed_is_unflowed() -> None:
    assert unflow("Vi blir fyra från \nÖppen Data Norrland.\n> quoted \n> more") == (
        "Vi blir fyra från Öppen Data Norrland.\n> quoted more"
    )


def test_decode_header_value_handles_broken_encoded_words() -> None:
    assert decode_header_value("=?utf-8?q?R=C3=A4kna?= med mig") == "Räkna med mig"
    assert decode_header_value("=?bogus-charset?q?abc?=") == "abc"


def test_html_to_text_marks_blockquotes_and_skips_hidden_parts() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><p>R&auml;kna med mig</p>"
        '<span style="display:none">preheader</span><blockquote>Anm&auml;l dig h&auml;r</blockquote></body></html>'
    )
    assert html_to_text(html) == "Räkna med mig\n\n> Anmäl dig här"


@pytest.mark.parametrize(
    ("body", "own"),
    [
        (
            "Ja!\n/Kalle\n\n________________________________\nFrån: DIGG <info@digg.se>\nSkickat: den 26 nov\n"
            "Till: Kalle\nÄmne: Inbjudan\nAvanmäl här",
            "Ja!",
        ),
        ("Count me in.\n\nOn Thu, 26 Nov 2026 at 09:12, DIGG <a@b.se> wrote:\n> Cancel here", "Count me in."),
        ("Räkna med mig\n\n26 nov. 2026 kl. 09:12 skrev DIGG <a@b.se>:\n\n> Avanmäl", "Räkna med mig"),
        ("> Anmäl dig här\n\nRäkna med mig!", "Räkna med mig!"),
        ("Tack, jag kommer!\n\n/Rebecka", "Tack, jag kommer!"),
        ("Hej!\nJag kommer.\n\nSkickat från min iPhone", "Hej!\nJag kommer."),
        ("Jag kommer.\n---------- Vidarebefordrat meddelande ---------\nFrån: x", "Jag kommer."),
    ],
)
def test_quotes_and_signatures_are_cut(body: str, own: str) -> None:
    assert split_body(body).own == own


def test_forward_marker_is_reported() -> None:
    assert split_body("Jag vill vara med.\n\n---------- Forwarded message ---------\nFrom: x").forwarded


@pytest.mark.parametrize(
    ("display", "name", "org"),
    [
        ("Holm, Sara", "Sara Holm", ""),
        ("SARA HOLM", "Sara Holm", ""),
        ("Anna Svensson (Trafikverket)", "Anna Svensson", "Trafikverket"),
        ("anna@x.se", "", ""),
        ("CARL VON LINNÉ", "Carl von Linné", ""),
    ],
)
def test_display_names_are_normalised(display: str, name: str, org: str) -> None:
    assert split_display_name(display) == (name, org)


def test_names_from_addresses() -> None:
    assert name_from_address("anna.svensson@gmail.com") == "Anna Svensson"
    assert name_from_address("info@trafikverket.se") == ""
    assert name_from_address("x1@y.se") == ""
    assert fix_case("ANNA-KARIN ÖST") == "Anna-Karin Öst"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Kan ni anmäla mig till träffen?", "signup"),
        ("Could you sign me up for the event?", "signup"),
        ("Can you register me for the meetup, please?", "signup"),
        ("Kan jag anmäla mig på plats?", "question"),
        ("Hur anmäler jag mig?", "question"),
        ("Jag anmäler mig! Vet ni när det blir?", "signup"),
    ],
)
def test_a_polite_request_is_a_sign_up_but_a_question_about_signing_up_is_not(text: str, intent: str) -> None:
    from registration_bot.intent import classify_intent

    raw = f"From: Anna Berg <a@x.se>\r\nSubject: Hej\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    assert classify_intent(read_message(raw.encode())).value.value == intent
