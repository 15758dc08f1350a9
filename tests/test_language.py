"""Informal Indonesian: word repair and question kinds, as the retriever uses them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from conftest import WriteCorpus, article

from bot.decision import Answerer
from bot.intents import Intents
from bot.knowledge import KnowledgeBase
from bot.normalize import Normalizer
from bot.repair import WordRepair, informal_forms
from bot.settings import Settings

OneArticle = Callable[[str, str], Answerer]


@pytest.fixture
def one_article(settings: Settings, write_corpus: WriteCorpus) -> OneArticle:
    """An answerer over a corpus of one article (title, Markdown body)."""

    def answerer(title: str, body: str) -> Answerer:
        kb = KnowledgeBase.load(settings, write_corpus({"a.md": article(title, body)}))
        return Answerer(kb, settings.retrieval, settings.language)

    return answerer


@pytest.fixture
def normalizer(settings: Settings) -> Normalizer:
    return Normalizer(settings.language)


@pytest.fixture
def repair(normalizer: Normalizer) -> WordRepair:
    known = Counter(
        {
            "hilangkan": 2,
            "cepat": 5,
            "lakukan": 3,
            "photoshop": 9,
            "human": 4,
            "coreldraw": 2,
            "hitung": 1,
            "kirim": 1,
            "penting": 6,
            "ciptakan": 2,
            "cocokkan": 3,
            "postgresql": 4,
        }
    )
    stems = {normalizer.stem(w): i for i, w in enumerate(known)}
    return WordRepair(known, normalizer.stem, stems, normalizer.canonical)


@pytest.mark.parametrize(
    ("word", "fixed"),
    [
        pytest.param("ngilangin", "hilangkan", id="ng-in-verb"),
        pytest.param("cepet", "cepat", id="jakarta-e"),
        pytest.param("lakuin", "lakukan", id="in-suffix"),
        pytest.param("ngitung", "hitung", id="ng-prefix-h"),
        pytest.param("ngirim", "kirim", id="ng-prefix-k"),
        pytest.param("sepenting", "penting", id="se-prefix"),
        pytest.param("nyiptain", "ciptakan", id="ny-prefix-c"),
        pytest.param("nyocokin", "cocokkan", id="ny-prefix-c-in-suffix"),
        pytest.param("photosop", "photoshop", id="dropped-letter"),
        pytest.param("postgres", "postgresql", id="a-name-a-few-letters-short"),
        pytest.param("postg", None, id="too-short-to-complete"),
        pytest.param("hujan", None, id="short-words-are-not-guessed"),
        pytest.param("timnas", None, id="unknown-stays-unknown"),
    ],
)
def test_repair_maps_informal_forms_and_typos_to_known_words(repair: WordRepair, word: str, fixed: str | None) -> None:
    result = repair.repair(word)
    assert (result if result is None else repair.stem(result)) == (fixed if fixed is None else repair.stem(fixed))


@pytest.mark.parametrize(
    ("word", "standard"),
    [
        pytest.param("milih", "memilih", id="informal-verb-the-articles-mostly-write-in-full"),
        pytest.param("nilai", "nilai", id="a-word-commoner-than-its-verb-stays"),
        pytest.param("buka", "buka", id="a-prefix-that-is-not-me-stays"),
    ],
)
def test_known_informal_verbs_take_their_standard_form(normalizer: Normalizer, word: str, standard: str) -> None:
    known = Counter({"memilih": 90, "milih": 3, "nilai": 40, "menilai": 4, "buka": 5, "membuka": 50})
    repair = WordRepair(known, normalizer.stem, {normalizer.stem(w) for w in known}, normalizer.canonical)
    assert repair.standard(word) == standard


def test_split_compounds_are_joined(repair: WordRepair) -> None:
    assert repair.join("corel", "draw") == "coreldraw"
    assert repair.join("corel", "lain") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("langkah2", ["langkah"], id="reduplicated"),
        pytest.param("step2nya", ["stepnya"], id="reduplicated-with-suffix"),
        pytest.param("kata-kata", ["kata"], id="hyphenated"),
        pytest.param("ipv4 sha256 h2o", ["ipv4", "sha256", "h2o"], id="names-with-digits-stay"),
    ],
)
def test_reduplication_counts_once(normalizer: Normalizer, text: str, words: list[str]) -> None:
    assert normalizer.words(text) == words


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        pytest.param("media sosial", ["media", "sosial"], id="not-the-pronoun-dia"),
        pytest.param("kelebihan kelebihannya", ["kelebihan", "kelebihan"], id="advantages-are-not-lebih"),
        pytest.param("gajinya", ["gaji"], id="ordinary-stemming-stays"),
    ],
)
def test_stemming_never_turns_a_word_into_a_stopword(normalizer: Normalizer, text: str, terms: list[str]) -> None:
    assert normalizer.terms(text) == terms


def test_a_stopword_with_a_suffix_carries_no_topic_but_one_with_a_prefix_does(normalizer: Normalizer) -> None:
    assert normalizer.content_words("orangnya duluan kelebihan media pemalu") == ["kelebihan", "media", "pemalu"]
    assert normalizer.content_words("step by step bidang IT") == ["langkah", "langkah", "bidang", "it"]  # IT is a field


def test_informal_forms_are_candidates_in_order() -> None:
    assert list(informal_forms("ngilangin"))[:3] == ["ngilangkan", "ngilangi", "ngilang"]


class TestIntents:
    @pytest.fixture
    def intents(self, settings: Settings, normalizer: Normalizer) -> Intents:
        return Intents(settings.language.intents, normalizer)

    @pytest.mark.parametrize(
        ("question", "kinds"),
        [
            pytest.param("RouterOS itu sebenernya apa sih?", ("definition",), id="definition-with-fillers"),
            pytest.param("static routing tuh apa sih", ("definition",), id="definition-with-tuh"),
            pytest.param("gmn cara jadi frontend dev", ("steps",), id="steps-from-slang"),
            pytest.param("kenapa harus belajar linux", ("reason",), id="reason"),
            pytest.param("bedanya hacker sama cracker apa", ("comparison",), id="comparison-by-synonym"),
            pytest.param("python atau javascript, mending mana?", ("choice",), id="choice-replaces-comparison"),
            pytest.param("bedanya python atau javascript apa?", ("comparison",), id="comparison-alone"),
            pytest.param("biaya training mikrotik brp", ("amount", "price"), id="price"),
            pytest.param("apa aja yg harus aku lakuin", ("steps", "list"), id="cue-words-one-apart"),
            pytest.param("gaji network engineer", ("salary", "amount"), id="salary"),
            pytest.param("kekurangan cloud apa aja", ("drawback", "list"), id="drawbacks"),
            pytest.param("golang dibuat siapa", ("creator",), id="creator-not-audience"),
            pytest.param("kelas ini cocok buat siapa", ("audience",), id="audience"),
            pytest.param("kalo jadi DBA gajinya brp sebulan?", ("salary", "amount"), id="salary-with-pointing-suffix"),
            pytest.param("sesi live coding disuruh ngapain?", (), id="a-session-is-not-a-duration"),
            pytest.param("minusnya apa aja?", ("drawback", "list"), id="synonym-with-pointing-suffix"),
            pytest.param("kelas flutter mulai tgl brp?", ("schedule",), id="schedule-abbreviated"),
            pytest.param("laravel yg ngembangin siapa?", ("creator",), id="creator-informal"),
            pytest.param("php tuh yg nyiptain siapa?", ("creator",), id="creator-informal-ny"),
            pytest.param("golang tuh dibikin sama siapa aja", ("creator",), id="creator-cue-apart-by-sama"),
            pytest.param("yg nemuin siapa?", ("creator",), id="creator-found-by"),
            pytest.param("kira2 butuh brp bulan belajarnya?", ("duration",), id="duration-in-months"),
            pytest.param("kelasnya ada hari sabtu ga?", ("schedule",), id="schedule-by-weekday"),
            pytest.param("laravel dipake buat bikin apa aja?", ("list",), id="cue-words-apart-only-by-a-stopword"),
            pytest.param("networking itu seru", (), id="none"),
        ],
    )
    def test_detect(self, intents: Intents, question: str, kinds: tuple[str, ...]) -> None:
        assert intents.detect(question) == kinds

    def test_fit_rewards_headings_then_evidence(self, intents: Intents) -> None:
        definition, steps = intents.mask(["definition"]), intents.mask(["steps"])
        heading = intents.heading_mask(intents.phrase("Apa Itu Docker?"))
        evidence = intents.evidence_mask("Docker adalah platform container.")
        assert heading & definition and evidence == definition
        assert intents.fit(definition, heading, 0) == 1.0
        assert intents.fit(definition, 0, evidence) == 0.5
        assert intents.fit(definition | steps, heading, 0) == 0.5
        assert intents.fit(0, heading, 0) == 1.0
        listed = intents.heading_mask(intents.phrase("Apa Aja yang Kamu Pelajari?"))
        assert listed == intents.mask(["list", "syllabus"])

    def test_required_evidence(self, intents: Intents) -> None:
        price = intents.mask(["price"])
        assert not intents.satisfied(price, intents.evidence_mask("Pelatihan ini penuh praktik dan bersertifikat."))
        assert intents.satisfied(price, intents.evidence_mask("Biayanya Rp 1.500.000 sudah termasuk sertifikat."))
        assert intents.satisfied(intents.mask(["definition"]), 0)


def test_a_price_question_is_declined_when_no_article_names_a_price(one_article: OneArticle) -> None:
    body = "#### Tentang Training Mikrotik\n\nTraining Mikrotik di kelas kami penuh praktik dan bersertifikat MTCNA.\n"
    priced = body + "\n#### Biaya\n\nBiaya training Mikrotik Rp 2.000.000 per peserta.\n"
    without = one_article("Training Mikrotik", body)
    declined = without.decide("biaya training mikrotik berapa?")
    assert (declined.kind, declined.contact) == ("none", True)
    assert without.decide("training mikrotik bersertifikat?").kind == "answer"
    with_price = one_article("Training Mikrotik", priced)
    best = with_price.decide("biaya training mikrotik berapaan?").answer
    assert best is not None and "Rp 2.000.000" in best.text


def test_whether_something_costs_anything_is_answered_by_free_or_licence(one_article: OneArticle) -> None:
    body = (
        "#### Kenapa PostgreSQL?\n\nPostgreSQL bersifat open source: kamu tidak perlu bayar biaya lisensi "
        "untuk memakainya di perusahaan.\n"
    )
    answerer = one_article("Mengenal PostgreSQL", body)
    decision = answerer.decide("pake postgresql harus bayar lisensi ga?")
    assert decision.kind == "answer"
    assert decision.answer is not None and "tidak perlu bayar biaya lisensi" in decision.answer.text


def test_how_much_it_costs_needs_a_figure_not_just_a_licence(one_article: OneArticle) -> None:
    body = "#### Kenapa Oracle?\n\nOracle Database memakai lisensi komersial yang diperpanjang setiap tahun.\n"
    decision = one_article("Mengenal Oracle Database", body).decide("lisensi oraclenya brp duit?")
    assert (decision.kind, decision.reason, decision.contact) == ("none", "no price_figure", True)
    priced = body + "\n#### Harga\n\nLisensi Oracle mulai dari Rp 50 juta per tahun.\n"
    answered = one_article("Mengenal Oracle Database", priced).decide("lisensi oraclenya brp duit?")
    assert answered.answer is not None and "Rp 50 juta" in answered.answer.text


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        pytest.param("bisa bikinin docker compose buat project laravel aku ga?", "none", id="make-it-for-me"),
        pytest.param("tolong buatin file docker compose dong", "none", id="please-make"),
        pytest.param("cara bikin docker compose gimana?", "answer", id="how-to-make-it-is-a-question"),
    ],
)
def test_asking_the_bot_to_do_a_job_is_declined(one_article: OneArticle, question: str, kind: str) -> None:
    body = (
        "#### Cara Membuat Docker Compose\n\nDocker compose dibuat dengan menulis file docker-compose.yml "
        "yang berisi layanan project, lalu jalankan docker compose up.\n"
    )
    answerer = one_article("Belajar Docker", body)
    assert answerer.decide(question).kind == kind


def test_a_duration_question_is_declined_with_the_contact_line_when_no_duration_is_given(
    one_article: OneArticle,
) -> None:
    body = (
        "#### Materi Training\n\nTraining Flutter membahas widget, state dan navigasi, langsung praktik di "
        "setiap pertemuan tanpa lama menunggu.\n"
    )
    timed = body + "\n#### Berapa Lama Training Flutter?\n\nTraining berlangsung 5 hari, 6 jam per hari.\n"
    answerer = one_article("Training Flutter", body)
    declined = answerer.decide("training flutter brp lama?")
    assert (declined.kind, declined.reason, declined.contact) == ("none", "no duration", True)
    answered = one_article("Training Flutter", timed).decide("training flutter berapa lama?")
    assert answered.answer is not None and "5 hari" in answered.answer.text
    daily = body + "\n#### Manfaat\n\nFlutter dipakai untuk aplikasi sehari-hari.\n"
    assert one_article("Training Flutter", daily).decide("training flutter brp hari?").kind == "none"


@pytest.mark.parametrize(
    ("question", "section"),
    [
        pytest.param(
            "sertifkasi cyber secuirty yg populer",
            "Sertifikasi Cyber Security yang Populer",
            id="two-typos-one-against-a-synonym",
        ),
        pytest.param("apa itu backend developer? nomorku", "Apa Itu Backend Developer?", id="possessive-suffix"),
    ],
)
def test_informal_questions_on_the_bundled_articles_are_answered(
    settings: Settings, question: str, section: str
) -> None:
    from bot.source import ArticleFolder

    answerer = Answerer(ArticleFolder(settings).load(), settings.retrieval, settings.language)
    decision = answerer.decide(question)
    assert decision.kind == "answer" and decision.answer is not None
    assert decision.answer.section.heading == section


def test_a_who_made_it_question_is_declined_when_the_answer_names_no_one(
    settings: Settings, write_corpus: WriteCorpus
) -> None:
    body = (
        "#### Bahasa Go\n\nGolang dibuat untuk membangun server yang cepat.\n\n"
        "#### Sejarah\n\nGolang dibuat di Google dan diperkenalkan pada "
        "2009 oleh Robert Griesemer, Rob Pike, dan Ken Thompson.\n"
    )
    from conftest import CAREERS

    named = Answerer(
        KnowledgeBase.load(settings, write_corpus({**CAREERS, "a.md": article("Golang", body)})),
        settings.retrieval,
        settings.language,
    )
    decision = named.decide("golang dibuat siapa?")
    assert decision.kind == "answer" and "Rob Pike" in decision.answer.text  # type: ignore[union-attr]  # an answer or a follow-up is what the test expects
    unnamed = Answerer(
        KnowledgeBase.load(
            settings, write_corpus({**CAREERS, "a.md": article("Golang", body.split("#### Sejarah")[0])})
        ),
        settings.retrieval,
        settings.language,
    )
    assert unnamed.decide("golang dibuat siapa?").kind == "none"


def test_a_word_naming_the_kind_of_question_does_not_count_as_unknown(one_article: OneArticle) -> None:
    body = (
        "## Apa Itu Backend Developer?\n\nBackend developer membangun server dan database.\n\n"
        "## Cara Menjadi Backend Developer\n\nPelajari satu bahasa, lalu database, lalu buat API.\n"
    )
    answerer = one_article("Backend Developer", body)
    decision = answerer.decide("roadmap backend gmn?")
    assert decision.kind == "answer" and decision.answer is not None
    assert decision.answer.section.heading == "Cara Menjadi Backend Developer"


def test_chat_words_no_article_holds_do_not_make_a_question_unknown(one_article: OneArticle) -> None:
    answerer = one_article("Backend Developer", "## Apa Itu Backend Developer?\n\nBackend developer membuat server.\n")
    decision = answerer.decide("btw gan, backend itu apa?")
    assert decision.kind == "answer" and decision.answer is not None
    assert decision.answer.section.heading == "Apa Itu Backend Developer?"
