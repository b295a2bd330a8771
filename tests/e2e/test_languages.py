"""Russian first: commands register Russian names, and members are answered in their client's language."""

from __future__ import annotations

from discord_sandbox import DiscordEmulator
from discord_sandbox.state import Member
from trainer_bot.app import TrainerBot

from .conftest import BotFactory

FAULTY = ("support.faulty_commands",)


async def test_commands_register_russian_names_and_descriptions(
    emulator: DiscordEmulator, bot: TrainerBot
) -> None:
    train = emulator.command("train")
    assert train["name"] == "train"
    assert train["name_localizations"]["ru"] == "обучить"
    assert train["description_localizations"]["ru"].startswith("Обучить модель")
    options = {option["name"]: option["name_localizations"]["ru"] for option in train["options"]}
    assert options["data_dir"] == "папка_данных"
    assert emulator.command("Correct this reply")["name_localizations"]["ru"] == "Исправить этот ответ"
    files = {
        option["name"]: option["name_localizations"]["ru"] for option in emulator.command("files")["options"]
    }
    assert files == {"upload": "загрузить", "list": "список", "delete": "удалить"}


async def test_a_member_is_answered_in_their_clients_language(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    bob.locale = "ru"
    assert (await emulator.response(await emulator.slash(bob, "hi"))).content == "ПРИВЕТ!"
    bob.locale = "en-GB"
    assert (await emulator.response(await emulator.slash(bob, "hi"))).content == "HI!"
    bob.locale = "pt-BR"  # no catalogue: English
    assert (await emulator.response(await emulator.slash(bob, "hi"))).content == "HI!"

    alice.locale = "ru"
    kept = await emulator.response(await emulator.slash(alice, "settings retention", {"days": 21}))
    assert kept.content == "Разговоры здесь хранятся 21 день."
    kept = await emulator.response(await emulator.slash(alice, "settings retention", {"days": 3}))
    assert kept.content == "Разговоры здесь хранятся 3 дня."
    alice.locale = "en-US"
    kept = await emulator.response(await emulator.slash(alice, "settings retention", {"days": 1}))
    assert kept.content == "Conversations here are kept for 1 day."


async def test_refusals_and_failures_answer_in_the_callers_language(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member
) -> None:
    await start_bot(extra_extensions=FAULTY)
    bob.locale = "ru"
    assert (await emulator.response(await emulator.slash(bob, "once"))).content == "done"
    slow = await emulator.response(await emulator.slash(bob, "once"))
    assert slow.ephemeral and slow.content.startswith("Не так быстро: команду /once можно будет снова")

    denied = await emulator.response(await emulator.slash(bob, "moderate"))
    assert denied.content == "Чтобы использовать /moderate, нужно право «Управлять сервером»."

    crashed = await emulator.response(await emulator.slash(bob, "explode"))
    assert crashed.content.startswith("Что-то пошло не так на моей стороне (код ошибки `")

    # A service's refusal not yet written as a message stays English rather than failing.
    refused = await emulator.response(await emulator.slash(bob, "refuse"))
    assert refused.content == "That file is not in this server's workspace."
