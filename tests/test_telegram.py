"""The Telegram adapter, offline: real Update objects fed to the real Application."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import NoReturn

import pytest
from conftest import WriteCorpus, article
from telegram.error import NetworkError
from telegram.ext import Application
from telegram_support import (
    TOKEN,
    Recorder,
    callback,
    inline,
    keyboard,
    logged_application,
    message,
    process,
    running,
    visible,
)

from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.store.sqlite import SqliteStore
from bot.telegram_app import build_application


@pytest.fixture
def tg_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, token=TOKEN)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def app(tg_settings: Settings, kb: KnowledgeBase, recorder: Recorder) -> Application:
    return build_application(tg_settings, kb, request=recorder)


def test_start_sends_the_welcome_in_html(app: Application, recorder: Recorder, tg_settings: Settings) -> None:
    process(app, message("/start"))
    (sent,) = recorder.sent()
    assert sent["parse_mode"] == "HTML"
    assert visible(sent["text"]).startswith("Halo! 👋 Aku asisten tanya-jawab Areta Training Center.")


def test_tanya_answers_with_heading_paragraph_source_and_buttons(
    app: Application, recorder: Recorder, tg_settings: Settings
) -> None:
    process(app, message("/tanya apa itu backend developer?"))
    (sent,) = recorder.sent()
    assert sent["text"].startswith("<b>Apa Itu Backend Developer?</b>\nBackend developer adalah pengembang")
    assert "<i>Dari artikel: Mengenal Backend Developer</i>" in sent["text"]
    rows = keyboard(sent)
    texts = tg_settings.texts
    assert rows[0] == [
        {
            "text": texts.button_read_more,
            "url": "https://aretatrainingcenter.space/blog/2025-01-01-backend/#:~:text=Apa%20Itu%20Backend%20Developer%3F",
        }
    ]
    assert rows[1][0]["text"] == texts.button_other_answers and rows[1][0]["callback_data"].startswith("o:")
    assert [b["text"] for b in rows[2]] == [texts.button_helpful, texts.button_not_helpful]
    assert sent["link_preview_options"] == {"is_disabled": True}


def test_plain_text_in_private_chat_is_a_question(app: Application, recorder: Recorder) -> None:
    process(app, message("gaji network engineer brp sih"))
    (sent,) = recorder.sent()
    assert sent["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")


def test_tanya_alone_asks_for_the_question_with_force_reply(
    app: Application, recorder: Recorder, tg_settings: Settings
) -> None:
    process(app, message("/tanya"))
    (sent,) = recorder.sent()
    assert visible(sent["text"]) == tg_settings.texts.ask_prompt
    assert sent["reply_markup"] == {"force_reply": True, "selective": True}


class TestGroups:
    def test_plain_text_in_a_group_is_ignored(self, app: Application, recorder: Recorder) -> None:
        process(
            app, message("apa itu backend developer?", chat_type="supergroup"), message("/topik", chat_type="group")
        )
        assert recorder.sent() == []

    def test_tanya_with_the_bots_name_is_answered_as_a_reply(self, app: Application, recorder: Recorder) -> None:
        update = message("/tanya@AretaTestBot apa itu backend developer?", chat_type="supergroup")
        process(app, update)
        (sent,) = recorder.sent()
        assert sent["text"].startswith("<b>Apa Itu Backend Developer?</b>")
        assert sent["reply_parameters"]["message_id"] == update["message"]["message_id"]

    def test_tanya_for_another_bot_is_ignored(self, app: Application, recorder: Recorder) -> None:
        process(app, message("/tanya@OtherBot apa itu backend developer?", chat_type="group"))
        assert recorder.sent() == []

    def test_a_reply_to_an_answer_asks_about_that_answer(self, app: Application, recorder: Recorder) -> None:
        other = {"id": 5151, "is_bot": False, "first_name": "Budi"}
        third = {"id": 5252, "is_bot": False, "first_name": "Citra"}
        with running(app) as feed:
            feed(message("/tanya apa itu backend developer?", chat_type="supergroup"))
            (answer,) = recorder.sent("sendMessage")
            markup = {"inline_keyboard": keyboard(answer)}
            feed(
                message(
                    "terus gajinya berapa?", chat_type="supergroup", reply_to_bot=True, user=other, reply_markup=markup
                )
            )
            feed(message("terus gajinya berapa?", chat_type="supergroup", reply_to_bot=True, user=third))
        followed, alone = recorder.sent("sendMessage")[1:]
        assert visible(followed["text"]).startswith("Gaji Backend Developer")
        assert not visible(alone["text"]).startswith("Gaji Backend Developer")  # no answer replied to: no topic

    def test_a_reply_to_the_bots_message_is_a_question(self, app: Application, recorder: Recorder) -> None:
        process(app, message("gaji network engineer", chat_type="group", reply_to_bot=True))
        (sent,) = recorder.sent()
        assert sent["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")


def test_other_answers_edit_the_same_message(app: Application, recorder: Recorder, tg_settings: Settings) -> None:
    with running(app) as feed:
        feed(message("apa itu backend developer?"))
        others = keyboard(recorder.sent("sendMessage")[0])[1][0]["callback_data"]
        feed(callback(others))
    answered, edited = recorder.sent("answerCallbackQuery"), recorder.sent("editMessageText")
    assert answered and "text" not in answered[0]
    assert edited[0]["message_id"] == 555
    assert visible(edited[0]["text"]) == "Jawaban lain untuk “apa itu backend developer?”:"
    labels = [row[0]["text"] for row in keyboard(edited[0])]
    assert labels[-1] == tg_settings.texts.button_back and len(labels) == 5


def test_questions_and_feedback_are_logged(tg_settings: Settings, kb: KnowledgeBase, log: SqliteStore) -> None:
    app, recorder = logged_application(tg_settings, kb, log)
    with running(app) as feed:
        feed(message("gaji network engineer"))
        helpful = keyboard(recorder.sent("sendMessage")[0])[2][0]["callback_data"]
        feed(callback(helpful))
    assert recorder.sent("answerCallbackQuery")[0]["text"] == tg_settings.texts.feedback_thanks
    log.flush()
    (row,) = log.logged(0)
    log.close()
    assert (row.user_hash, row.chat_type, row.answered, row.article, row.vote) == (
        log.user_hash("4242"),
        "private",
        True,
        "2025-01-02-network",
        1,
    )


def test_admin_commands_only_for_admins(tg_settings: Settings, kb: KnowledgeBase, log: SqliteStore) -> None:
    admins = dataclasses.replace(tg_settings, telegram=dataclasses.replace(tg_settings.telegram, admin_ids=(7,)))
    app, recorder = logged_application(admins, kb, log)
    admin = {"id": 7, "is_bot": False, "first_name": "Admin"}
    with running(app) as feed:
        feed(message("resep rendang padang"), message("resep rendang minang"), message("apa itu backend developer"))
        log.flush()
        feed(
            message("/stats"), message("/unanswered"), message("/stats", user=admin), message("/unanswered", user=admin)
        )
    log.close()
    user_stats, user_unanswered, stats, unanswered = [visible(p["text"]) for p in recorder.sent()[3:]]
    assert user_stats.startswith("Cara pakai") and user_unanswered.startswith("Cara pakai")
    assert stats.startswith("Statistik 7 hari terakhir:") and "Pertanyaan: 3 dari 1 pengguna" in stats
    assert "Terjawab: 1 (33%)" in stats
    assert unanswered.splitlines()[0] == tg_settings.texts.admin_unanswered.format(days=30)
    assert "2× resep rendang padang | resep rendang minang" in unanswered


def test_hapusdata_deletes_the_users_questions_after_confirmation(
    tg_settings: Settings, kb: KnowledgeBase, log: SqliteStore
) -> None:
    app, recorder = logged_application(tg_settings, kb, log)
    with running(app) as feed:
        feed(message("gaji network engineer"), message("/hapusdata"))
        confirm = recorder.sent("sendMessage")[-1]
        assert [b["text"] for b in keyboard(confirm)[0]] == [
            tg_settings.texts.button_forget_yes,
            tg_settings.texts.button_forget_no,
        ]
        feed(callback(keyboard(confirm)[0][0]["callback_data"]))
    done = recorder.sent("editMessageText")[-1]
    assert visible(done["text"]) == tg_settings.texts.forget_done.format(count=1)
    assert log.totals(0).questions == 0
    log.close()


def test_hapusdata_without_a_log_says_nothing_is_kept(
    app: Application, recorder: Recorder, tg_settings: Settings
) -> None:
    process(app, message("/hapusdata"))
    (sent,) = recorder.sent()
    assert visible(sent["text"]) == tg_settings.texts.forget_unavailable


@pytest.mark.parametrize("data", ["o:gone", "g:deadbeef:0", "zz", "a:" + "x" * 60])
def test_stale_or_forged_buttons_are_answered_politely(
    app: Application, recorder: Recorder, tg_settings: Settings, data: str
) -> None:
    process(app, callback(data))
    (answered,) = recorder.sent()
    assert answered["text"] == tg_settings.texts.stale_button


def test_topik_pages_to_a_tag_and_an_article(tg_settings: Settings, write_corpus: WriteCorpus) -> None:
    files = {f"a{n:02}.md": article(f"Artikel {n}", "Isi.\n", tags=[f"Topik {n % 20}", "Umum"]) for n in range(40)}
    kb = KnowledgeBase.load(tg_settings, write_corpus(files))
    recorder = Recorder()
    app = build_application(tg_settings, kb, request=recorder)
    with running(app) as feed:
        feed(message("/topik"))
        first = recorder.sent("sendMessage")[0]
        rows = keyboard(first)
        next_page = rows[-1][0]["callback_data"]
        umum = next(b["callback_data"] for row in rows for b in row if b["text"] == "Umum (40)")
        feed(callback(next_page), callback(umum))
        page2, tag_list = recorder.sent("editMessageText")
        assert [b["text"] for b in keyboard(page2)[-1]] == [
            tg_settings.texts.button_previous,
            tg_settings.texts.button_next,
        ]
        assert visible(tag_list["text"]) == "Artikel bertopik “Umum” (40):"
        first_article = keyboard(tag_list)[0][0]["callback_data"]
        feed(callback(first_article))
    detail = recorder.sent("editMessageText")[-1]
    assert detail["text"].startswith("<b>Artikel 0</b>")
    assert keyboard(detail)[0] == [
        {"text": tg_settings.texts.button_open_article, "url": "https://aretatrainingcenter.space/blog/a00/"}
    ]


def test_no_answer_says_so_and_points_to_topik(app: Application, recorder: Recorder) -> None:
    process(app, message("resep rendang padang"))
    (sent,) = recorder.sent()
    assert "Maaf, aku belum menemukan jawabannya" in sent["text"] and "/topik" in sent["text"]


def test_article_and_user_text_is_escaped(tg_settings: Settings, write_corpus: WriteCorpus) -> None:
    body = "#### Tag `<script>` & kawan\n\nBandingkan nilai dengan x < y & a > b, lalu tulis `<b>` untuk tebal.\n"
    kb = KnowledgeBase.load(tg_settings, write_corpus({"a.md": article("HTML <Dasar>", body)}))
    recorder = Recorder()
    process(build_application(tg_settings, kb, request=recorder), message("tag script kawan"), message("/topik <b>&"))
    answer, topics = recorder.sent()
    assert answer["text"].startswith("<b>Tag &lt;script&gt; &amp; kawan</b>")
    assert "x &lt; y &amp; a &gt; b" in answer["text"] and "<code>&lt;b&gt;</code>" in answer["text"]
    visible(answer["text"])
    assert "&lt;b&gt;&amp;" in topics["text"]


def test_long_answers_are_cut_under_telegram_limit_and_keep_the_link(
    tg_settings: Settings, write_corpus: WriteCorpus
) -> None:
    sentence = "Kubernetes mengatur container di banyak server dengan rapi. "
    body = "#### Orkestrasi Kubernetes\n\n" + sentence * 150 + "\n"
    # Sections are shown whole up to retrieval.answer_max_chars; with no such limit, Telegram's applies.
    whole = dataclasses.replace(
        tg_settings, retrieval=dataclasses.replace(tg_settings.retrieval, answer_max_chars=100_000)
    )
    kb = KnowledgeBase.load(whole, write_corpus({"k.md": article("Kubernetes", body)}))
    recorder = Recorder()
    process(build_application(whole, kb, request=recorder), message("orkestrasi kubernetes"))
    (sent,) = recorder.sent()
    text = visible(sent["text"])
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert text.split("\n")[1].endswith("rapi.…")
    assert text.endswith("Dari artikel: Kubernetes")
    assert keyboard(sent)[0][0]["url"].startswith("https://aretatrainingcenter.space/blog/k/#:~:text=")


def test_flood_guard_warns_once_then_ignores(tg_settings: Settings, kb: KnowledgeBase) -> None:
    strict = dataclasses.replace(tg_settings, telegram=dataclasses.replace(tg_settings.telegram, flood_messages=3))
    recorder = Recorder()
    process(build_application(strict, kb, request=recorder), *[message("apa itu backend developer?") for _ in range(6)])
    texts = [visible(p["text"]) for p in recorder.sent()]
    assert len(texts) == 4
    assert texts[3] == tg_settings.texts.flood


def test_a_failing_handler_gives_a_polite_reply_and_logs_the_traceback(
    app: Application, recorder: Recorder, tg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(question: str, *context: object, **more: object) -> NoReturn:
        raise RuntimeError("index exploded")

    app.bot_data.dialog.ask = broken
    with caplog.at_level(logging.ERROR):
        process(app, message("apa itu backend developer?"), message("/help"))
    error, help_text = recorder.sent()
    assert visible(error["text"]) == tg_settings.texts.error
    assert visible(help_text["text"]).startswith("Cara pakai")  # the bot carries on
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and "index exploded" in str(record.exc_info[1])


def test_a_pressed_button_whose_reply_asks_for_an_answer_sends_a_new_message(
    app: Application, recorder: Recorder, tg_settings: Settings
) -> None:
    """Telegram takes only an inline keyboard with an edit: the reply field needs a message of its own."""
    dialog = app.bot_data.dialog
    dialog.press = lambda data, user: dataclasses.replace(dialog.ask_prompt(), edit=True)
    process(app, callback("x"))
    assert recorder.sent("editMessageText") == []
    (sent,) = recorder.sent("sendMessage")
    assert visible(sent["text"]) == tg_settings.texts.ask_prompt
    assert sent["reply_markup"] == {"force_reply": True, "selective": True}


def test_network_errors_on_send_are_retried(tg_settings: Settings, kb: KnowledgeBase) -> None:
    recorder = Recorder(
        fail=lambda name, n: NetworkError("connection reset") if name == "sendMessage" and n == 1 else None
    )
    process(build_application(tg_settings, kb, request=recorder), message("/help"))
    sends = recorder.sent("sendMessage")
    assert len(sends) == 2 and sends[0] == sends[1]


def test_inline_query_returns_matching_articles(app: Application, recorder: Recorder) -> None:
    process(app, inline("gaji network engineer"))
    (answer,) = recorder.sent("answerInlineQuery")
    results = answer["results"]
    assert results[0]["title"] == "Network Engineer: Tugas dan Prospek"
    assert results[0]["description"].startswith("Berapa Gaji Network Engineer?:")
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and content["message_text"].startswith(
        "<b>Berapa Gaji Network Engineer?</b>"
    )
    assert len({r["id"] for r in results}) == len(results)


def test_unknown_command_in_private_chat(app: Application, recorder: Recorder, tg_settings: Settings) -> None:
    process(app, message("/gaji"))
    (sent,) = recorder.sent()
    assert visible(sent["text"]) == tg_settings.texts.unknown_command


def test_commands_are_announced_in_indonesian(app: Application, recorder: Recorder, tg_settings: Settings) -> None:
    with asyncio.Runner() as runner:
        runner.run(app.initialize())
        runner.run(app.post_init(app))
        runner.run(app.shutdown())
    (params,) = recorder.sent("setMyCommands")
    commands = tg_settings.texts.commands
    assert [(c["command"], c["description"]) for c in params["commands"]] == [
        (name, commands[name].menu) for name in ("tanya", "topik", "hapusdata", "help", "start")
    ]


def test_the_token_never_reaches_the_logs(app: Application, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        process(app, message("/start"), message("apa itu backend developer?"))
    assert TOKEN not in caplog.text


def test_the_bot_reloads_changed_articles_in_the_background_until_it_stops(
    tg_settings: Settings, write_corpus: WriteCorpus, log: SqliteStore
) -> None:
    from bot.source import ArticleFolder

    folder_path = write_corpus({"a.md": article("Docker", "#### Container\n\nContainer berbagi kernel.\n")})
    folder = ArticleFolder(tg_settings, folder_path)
    app = build_application(tg_settings, folder.load(), request=Recorder(), folder=folder, store=log)
    (folder_path / "b.md").write_text(
        article("Kubernetes", "#### Pod\n\nPod adalah unit terkecil di Kubernetes.\n"), encoding="utf-8"
    )

    async def scenario() -> str:
        async with app:
            await app.start()
            tasks = app.bot_data.tasks
            assert [t.get_name() for t in tasks if not t.done()] == ["reload-articles", "prune-daily"]
            assert app.bot_data.reloader is not None
            assert await app.bot_data.reloader.check()  # what the reload task does every reload_seconds
            await app.stop()  # cancels the background tasks and waits for them
            assert all(t.cancelled() for t in tasks)
            return app.bot_data.dialog.ask("apa itu pod kubernetes").kind

    assert asyncio.run(scenario()) == "answer"
