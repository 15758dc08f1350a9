"""Reading a question: the clause that asks, the first question asked, and questions for a course page."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import WriteCorpus, article

from bot.decision import Answerer, Decision
from bot.dialog import Dialog
from bot.knowledge import KnowledgeBase
from bot.retrieval import Method
from bot.settings import Settings

INTERVIEW = article(
    "Tips Wawancara Kerja Frontend Engineer",
    "## Proses Wawancara Frontend Engineer\n\n"
    "Proses wawancara frontend engineer biasanya dibagi beberapa tahap. Setiap perusahaan punya "
    "proses wawancara sendiri untuk engineer frontend, dari wawancara HR sampai wawancara teknis.\n\n"
    "## Live Coding\n\n"
    "Saat sesi live coding kamu diminta menulis fungsi kecil di editor sambil menjelaskan jalan pikiranmu.\n\n"
    "## Desain Sistem\n\n"
    "Pertanyaan desain sistem menguji cara kamu memecah aplikasi besar menjadi bagian kecil.\n",
)
EDITOR = article(
    "Mengenal Visual Studio Code",
    "## Mengapa Memakai Visual Studio Code?\n\n"
    "Visual Studio Code ringan dan tetap lancar dipakai di laptop dengan spesifikasi rendah.\n\n"
    "## Ekstensi Favorit\n\n"
    "Ekstensi seperti Prettier dan GitLens membantu merapikan kode dan melihat riwayat perubahan.\n",
)


def conversation(settings: Settings, folder: Path, *messages: str) -> list[Decision]:
    """The decisions for messages sent one after another in one chat, over the articles of `folder`."""
    dialog = Dialog(settings, KnowledgeBase.load(settings, folder))
    decisions = [dialog.turn(message, chat="c").decision for message in messages]
    assert all(d is not None for d in decisions)
    return [d for d in decisions if d is not None]


def top_section(settings: Settings, folder: Path, question: str, **method: float) -> str | None:
    """The heading of the best section for `question` over `folder`, with the retrieval method's
    constants changed as given."""
    found = KnowledgeBase.load(settings, folder, dataclasses.replace(Method(), **method)).search(question)
    return found.top.section.heading if found.top else None


@pytest.fixture
def folder(write_corpus: WriteCorpus) -> Path:
    return write_corpus({"2025-02-01-wawancara.md": INTERVIEW, "2025-02-02-vscode.md": EDITOR})


@pytest.mark.parametrize(
    ("background_weight", "section"),
    [
        pytest.param(Method().background_weight, "Live Coding", id="scene-clause-weighs-less"),
        pytest.param(1.0, "Proses Wawancara Frontend Engineer", id="every-word-equal"),
    ],
)
def test_the_clause_that_asks_chooses_the_section(
    settings: Settings, folder: Path, background_weight: float, section: str
) -> None:
    question = "mau wawancara frontend engineer nih, sesi live coding biasanya disuruh ngapain?"
    assert top_section(settings, folder, question, background_weight=background_weight) == section


def test_a_negation_inside_a_clause_does_not_make_it_ask(settings: Settings, folder: Path) -> None:
    kb = KnowledgeBase.load(settings, folder)
    query = kb.retriever.analyze("aku ga ngerti proses wawancara frontend engineer, live coding ngapain?")
    assert {"wawancara", "proses"} <= query.background
    assert not kb.retriever.analyze("wawancara frontend engineer susah ga, live coding ngapain?").background


@pytest.mark.parametrize(
    ("question", "kind", "reason"),
    [
        pytest.param(
            "vscode berat gak di laptop spesifikasi rendah? trs bayar ga?",
            "answer",
            "confident",
            id="price-asked-second",
        ),
        pytest.param(
            "bayar vscode brp? di laptop spesifikasi rendah berat ga?",
            "none",
            "no price",
            id="price-asked-first",
        ),
    ],
)
def test_the_first_question_asked_decides_whether_evidence_is_needed(
    settings: Settings, folder: Path, question: str, kind: str, reason: str
) -> None:
    kb = KnowledgeBase.load(settings, folder)
    decision = Answerer(kb, settings.retrieval, settings.language).decide(question)
    assert (decision.kind, decision.reason) == (kind, reason)


HACKER = article(
    "Apa Bedanya Hacker dan Ethical Hacker",
    "## Ethical Hacker Itu Legal\n\n"
    "Ethical hacker bekerja dengan izin untuk menguji keamanan sistem. Ethical hacker melaporkan celah "
    "keamanan kepada pemilik sistem sebelum dipakai penjahat.\n\n"
    "## Keseharian Ethical Hacker\n\n"
    "Sehari-hari ethical hacker melakukan uji penetrasi dan menulis laporan. Banyak yang belajar lewat "
    "pelatihan dan latihan mandiri.\n",
)
SECURITY_COURSE = article(
    "Pelatihan Hacking & Security",
    "## Kenapa Harus Belajar Hacking & Security?\n\n"
    "Di pelatihan ini kamu belajar menjadi ethical hacker: teknik ethical hacker secara legal, dari "
    "pengintaian sampai pelaporan.\n\n"
    "## Siapa yang Cocok?\n\n"
    "Mahasiswa dan admin jaringan yang ingin mendalami keamanan.\n",
)
NETWORK_COURSE = article(
    "Training Mikrotik untuk Pemula",
    "## Materi Training\n\n"
    "Pelatihan ini membahas dasar routing Mikrotik. Belajar langsung praktik, pelatihan intensif, "
    "belajar bersama trainer berpengalaman.\n",
)


@pytest.fixture
def courses(write_corpus: WriteCorpus) -> Path:
    return write_corpus(
        {
            "2026-02-04-hacker.md": HACKER,
            "2025-06-24-security.md": SECURITY_COURSE,
            "2025-10-15-mikrotik.md": NETWORK_COURSE,
        }
    )


def test_asking_for_a_course_finds_the_course_page_not_the_explaining_article(
    settings: Settings, courses: Path
) -> None:
    kb = KnowledgeBase.load(settings, courses)
    found = kb.search("ada pelatihan ethical hacker ga?")
    assert found.top is not None and found.top.article.id == "2025-06-24-security"


def test_a_follow_up_asking_for_a_course_finds_the_course_on_the_topic(settings: Settings, courses: Path) -> None:
    first, then = conversation(
        settings, courses, "ethical hacker itu legal ga sih?", "ada pelatihan buat belajar itu ga?"
    )
    assert first.answer is not None and first.answer.article.id == "2026-02-04-hacker"
    assert then.answer is not None and (then.kind, then.answer.article.id) == ("answer", "2025-06-24-security")


LONG_LIST = article(
    "Mengenal RouterOS",
    "## Mengapa RouterOS Penting?\n\n"
    "Berikut alasan kenapa kamu perlu belajar RouterOS:\n\n"
    + "".join(
        f"{i}. **Alasan {i}** RouterOS dipakai di banyak jaringan kantor dan sekolah, "
        "dengan fitur lengkap dan biaya perangkat terjangkau untuk semua kalangan.\n"
        for i in range(1, 6)
    )
    + "6. **Syarat Sertifikasi** Ujian MTCNA berfokus pada pemahaman RouterOS.\n",
)


def test_a_long_section_shows_the_item_that_answers_after_its_lead_in(
    settings: Settings, write_corpus: WriteCorpus
) -> None:
    kb = KnowledgeBase.load(settings, write_corpus({"2025-10-21-routeros.md": LONG_LIST}))
    found = kb.search("ujian MTCNA fokusnya ke materi apa?")
    assert found.top is not None
    text = found.top.text
    assert len(text) <= settings.retrieval.answer_max_chars
    assert text.startswith("Berikut alasan kenapa kamu perlu belajar RouterOS: …")
    assert "Ujian MTCNA berfokus pada pemahaman RouterOS." in text
    assert "Alasan 1" not in text


FLUTTER = article(
    "Training Flutter: Kenalan dengan Syntax Penting",
    "## Kenapa Belajar Syntax Flutter Itu Penting?\n\n"
    "Syntax dasar Dart dan Flutter membuat kamu paham cara widget disusun sebelum membuat aplikasi.\n\n"
    "## Apa yang Akan Dipelajari?\n\n"
    "- Widget dasar dan layout\n- State management sederhana\n- Navigasi antar halaman\n\n"
    "## Untuk Siapa Training Ini Cocok?\n\n"
    "Mahasiswa, developer web yang ingin pindah ke mobile, dan siapa saja yang baru mulai.\n",
)
LARAVEL = article(
    "Belajar Laravel",
    "## Routing\n\nDi bagian ini kita bahas routing Laravel dan controller.\n",
)


def test_a_follow_up_naming_the_topic_by_pointing_back_is_answered_by_the_kind_it_asks(
    settings: Settings, write_corpus: WriteCorpus
) -> None:
    folder = write_corpus({"2025-11-17-flutter.md": FLUTTER, "2025-08-07-laravel.md": LARAVEL})
    first, then = conversation(
        settings, folder, "aku mau mulai flutter, knp harus paham syntax dasarnya dulu?", "trainingnya bahas apa aja?"
    )
    assert first.answer is not None
    assert first.answer.section.heading == "Kenapa Belajar Syntax Flutter Itu Penting?"
    assert then.answer is not None
    assert (then.kind, then.answer.section.heading) == ("answer", "Apa yang Akan Dipelajari?")


CONTAINER = article(
    "Mengenal Container: Dasar Penting untuk Memulai Docker",
    "## Apa Itu Container?\n\n"
    "Container adalah paket aplikasi beserta semua yang dibutuhkannya agar jalan di mana saja.\n\n"
    "## Bagaimana Container Bekerja?\n\n"
    "Docker menjalankan container di atas kernel yang sama. Docker membuat container dari image, "
    "dan Docker juga menghentikan container saat selesai.\n\n"
    "## Belajar di Kelas Kami\n\n"
    "Di kelas kami kamu praktik langsung membuat image.\n",
)


@pytest.mark.parametrize(
    ("answer_heading", "section"),
    [
        pytest.param(Method().answer_heading, "Apa Itu Container?", id="heading-announcing-kind-and-subject"),
        pytest.param(0.0, "Bagaimana Container Bekerja?", id="without-it-the-busiest-section"),
    ],
)
def test_a_heading_asking_the_question_about_its_words_answers_it(
    settings: Settings, write_corpus: WriteCorpus, answer_heading: float, section: str
) -> None:
    folder = write_corpus({"2025-11-21-container.md": CONTAINER})
    question = "container di docker itu sebenernya apa?"
    assert top_section(settings, folder, question, answer_heading=answer_heading) == section


SYLLABUS = article(
    "Training VLAN Cisco",
    "## Apa Aja yang Kamu Pelajari?\n\n"
    "Materi disusun dari dasar sampai level yang dipakai di perusahaan.\n\n"
    + "".join(f"✔ Topik {n}\n\nPenjelasan topik {n} " + "dengan praktik langsung. " * 3 + "\n\n" for n in (1, 2))
    + "✔ Inter-VLAN Routing\n\nSupaya jaringan antar VLAN tetap bisa berkomunikasi.\n\n"
    + "".join(f"✔ Topik {n}\n\nPenjelasan topik {n} " + "dengan praktik langsung. " * 3 + "\n\n" for n in range(3, 9)),
)


def test_passages_apart_are_shown_with_what_lies_between_them(settings: Settings, write_corpus: WriteCorpus) -> None:
    kb = KnowledgeBase.load(settings, write_corpus({"2025-11-25-vlan.md": SYLLABUS}))
    found = kb.search("materi vlan apa aja? ada inter-vlan routing?")
    assert found.top is not None
    shown = found.top.passages
    assert shown == tuple(range(shown[0], shown[-1] + 1))
    assert "Inter-VLAN Routing" in found.top.text and len(found.top.text) <= settings.retrieval.answer_max_chars


CLOUD = article(
    "Memahami Cara Kerja Cloud Computing",
    "## Bagaimana Cara Kerja Cloud Computing?\n\nCara kerja cloud: server penyedia menjalankan aplikasi untukmu.\n",
)


def test_a_word_pointing_back_at_the_topic_names_no_new_subject(settings: Settings, write_corpus: WriteCorpus) -> None:
    folder = write_corpus({"2025-11-21-container.md": CONTAINER, "2026-06-29-cloud.md": CLOUD})
    first, then = conversation(settings, folder, "container itu apa sih?", "cara kerjanya gmn?")
    assert first.answer is not None and first.answer.article.id == "2025-11-21-container"
    assert then.answer is not None and then.answer.section.heading == "Bagaimana Container Bekerja?"
