"""Splitting Markdown into sections and answer passages with markdown-it-py."""

from __future__ import annotations

import textwrap

from bot.richtext import Block, Span, passage_text
from bot.sections import Section, split_sections


def split(body: str, title: str = "Judul Artikel") -> tuple[Section, ...]:
    return split_sections(textwrap.dedent(body), title)


def outline(sections: tuple[Section, ...]) -> list[tuple[str, int, list[str]]]:
    return [(s.heading, s.level, [passage_text(p) for p in s.passages]) for s in sections]


def test_a_section_per_heading_of_any_level_and_text_before_the_first_is_named_by_the_title() -> None:
    sections = split(
        """
        Pembuka artikel.

        # Satu
        Isi satu.

        ### Dua **tebal**
        Isi dua.

        ###### Tiga
        Isi tiga.
        """
    )
    assert outline(sections) == [
        ("Judul Artikel", 0, ["Pembuka artikel."]),
        ("Satu", 1, ["Isi satu."]),
        ("Dua tebal", 3, ["Isi dua."]),
        ("Tiga", 6, ["Isi tiga."]),
    ]
    assert sections[2].parents == ("Satu",)
    assert sections[3].parents == ("Satu", "Dua tebal")


def test_headings_without_text_under_them_give_no_section_but_name_their_children() -> None:
    sections = split("## Karier\n\n### Gaji\n\nTergantung pengalaman.\n")
    assert outline(sections) == [("Gaji", 3, ["Tergantung pengalaman."])]
    assert sections[0].parents == ("Karier",)


def test_a_paragraph_introducing_a_list_stays_with_it_and_nesting_is_kept() -> None:
    (section,) = split(
        """
        #### Langkah

        Langkah belajar:

        1. Pelajari **HTML**.
        2. Pelajari CSS:
           * Flexbox
           * Grid
        3. Bangun proyek.

        Paragraf berikutnya berdiri sendiri.
        """
    )
    assert [passage_text(p) for p in section.passages] == [
        "Langkah belajar:\n1. Pelajari HTML.\n2. Pelajari CSS:\n  • Flexbox\n  • Grid\n3. Bangun proyek.",
        "Paragraf berikutnya berdiri sendiri.",
    ]
    items = section.passages[0][1:]
    assert items[0] == Block((Span("Pelajari "), Span("HTML", bold=True), Span(".")), "item", 0, "1.")
    assert (items[2].level, items[2].marker) == (1, "•")


def test_a_bold_pseudo_heading_leads_into_the_next_paragraph() -> None:
    (section,) = split("**1. Gaji Menjanjikan**\n\nPermintaan tinggi membuat gaji kompetitif.\n")
    assert [passage_text(p) for p in section.passages] == [
        "1. Gaji Menjanjikan\nPermintaan tinggi membuat gaji kompetitif."
    ]


def test_tables_and_blockquotes_become_readable_text() -> None:
    (section,) = split(
        """
        ## Perbandingan

        | Aspek | Native | Flutter |
        |---|---|---|
        | Bahasa | Kotlin | Dart |
        | Performa | Tinggi | Baik |

        > Baris kutipan pertama
        > Baris kutipan kedua
        """
    )
    assert [passage_text(p) for p in section.passages] == [
        "Aspek | Native | Flutter\n• Bahasa | Kotlin | Dart\n• Performa | Tinggi | Baik",
        "» Baris kutipan pertama\n» Baris kutipan kedua",
    ]
    assert section.passages[0][0].spans[0].bold


def test_paragraphs_without_a_word_are_not_answer_text() -> None:
    (section,) = split(
        """
        ## Laravel

        Laravel adalah framework PHP.

        \\---

        w

        Laravel dipakai untuk toko online.
        """
    )
    assert [passage_text(p) for p in section.passages] == [
        "Laravel adalah framework PHP.",
        "Laravel dipakai untuk toko online.",
    ]


def test_images_raw_html_and_code_are_not_answer_text() -> None:
    (section,) = split(
        """
        ## Perintah

        ![diagram](/img/x.png) Cek memori dengan <b>free</b> `-h`.

        <div class="iklan">Daftar sekarang!</div>

        ```bash
        free -h
        ```
        """
    )
    assert [passage_text(p) for p in section.passages] == ["Cek memori dengan free -h."]
    assert section.passages[0][0].spans[-2] == Span("-h", code=True)


def test_links_and_emphasis_are_kept_for_the_renderer() -> None:
    (section,) = split("Baca [dokumentasi](https://docs.example.com) *resmi* dan [lokal](/x).\n")
    assert section.passages[0][0].spans == (
        Span("Baca "),
        Span("dokumentasi", href="https://docs.example.com"),
        Span(" "),
        Span("resmi", italic=True),
        Span(" dan lokal."),
    )


def test_short_lines_stay_lines_but_wrapped_prose_is_joined() -> None:
    (section,) = split(
        """
        Siswa SMK jurusan TKJ
        Mahasiswa teknik informatika
        Pekerja yang ingin pindah karier

        Paragraf yang dibungkus
        pada lebar tertentu oleh penulisnya.
        """
    )
    assert [p[0].text for p in section.passages] == [
        "Siswa SMK jurusan TKJ\nMahasiswa teknik informatika\nPekerja yang ingin pindah karier",
        "Paragraf yang dibungkus pada lebar tertentu oleh penulisnya.",
    ]


def test_escaped_markdown_keeps_its_lists_and_pseudo_headings_together() -> None:
    (section,) = split(
        """
        Kelebihannya:

        \\* Cepat

        \\* Aman

        \\## Tools yang Dibutuhkan

        \\* Node.js
        """
    )
    assert [passage_text(p) for p in section.passages] == [
        "Kelebihannya:\n• Cepat\n• Aman",
        "Tools yang Dibutuhkan\n• Node.js",
    ]
    assert section.passages[1][0].spans[0].bold
