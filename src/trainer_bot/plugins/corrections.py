"""Teaching the bot: `/correct`, the "Correct this reply" message menu with its modal, and `/feedback`."""

from __future__ import annotations

import hikari
import lightbulb

from trainer_bot.chat.conversation import (
    MAX_CORRECTION_CHARS,
    AnsweredMessage,
    AnswerLookup,
    ConversationService,
    NotMyAnswer,
)
from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, Translations, Translator, command_text, t
from trainer_bot.plugins._language import for_interaction
from trainer_bot.plugins._shared import per_user_cooldown, require_guild
from trainer_bot.storage import Correction
from trainer_bot.text import escape_markdown, without_mention

loader = lightbulb.Loader()
MODAL_PREFIX = "correct:"
CORRECTION_INPUT = "correction"


def parse_message_id(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise UserError(
            t(
                "`{text}` is not a message id. Enable Developer Mode, then right-click my reply → Copy Message ID.",
                text=text[:40],
            )
        )
    return int(text)


def found_on_discord(rest: hikari.api.RESTClient, channel_id: int, message_id: int, me: int) -> AnswerLookup:
    """Where a correction finds the answer when no turn is stored: my message that replies to a member's."""

    async def lookup() -> AnsweredMessage:
        try:
            message = await rest.fetch_message(channel_id, message_id)
        except hikari.NotFoundError:
            raise UserError(
                t("I can't find message `{message_id}` in this channel.", message_id=message_id)
            ) from None
        except hikari.ForbiddenError:
            raise UserError(t("I'm not allowed to read this channel's history.")) from None
        return answered_by(message, me)

    return lookup


def answered_by(message: hikari.Message, me: int) -> AnsweredMessage:
    if message.author.id != me:
        raise NotMyAnswer(t("That message is not mine: I can only be corrected on my own answers."))
    question = message.referenced_message.content if message.referenced_message else None
    prompt = without_mention(question or "", me)  # the question as the chat flow saw it
    if not prompt:
        raise NotMyAnswer(t("That message of mine does not answer anyone, so there is nothing to correct."))
    return AnsweredMessage(prompt=prompt, answer=message.content or "")


def saved(correction: Correction) -> Message:
    return t(
        "Saved. Next time someone asks “{prompt}”, I'll answer “{answer}”.",
        prompt=escape_markdown(correction.prompt[:200]),
        answer=escape_markdown(correction.corrected_answer[:300]),
    )


def _my_id(bot: hikari.GatewayBot) -> int:
    me = bot.get_me()
    if me is None:
        raise UserError(t("I'm still connecting; try again in a moment."))
    return int(me.id)


@loader.command
class Correct(
    lightbulb.SlashCommand,
    name=command_text("correct"),
    description=command_text("Correct one of the bot's answers"),
    hooks=[per_user_cooldown(10, 5)],
    localize=True,
):
    message_id = lightbulb.string(
        command_text("message_id"),
        command_text("The id of my answer (right-click → Copy Message ID)"),
        localize=True,
    )
    correction = lightbulb.string(
        command_text("correction"),
        command_text("The answer I should have given"),
        max_length=MAX_CORRECTION_CHARS,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        conversation: ConversationService = lightbulb.di.INJECTED,
        bot: hikari.GatewayBot = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        message_id = parse_message_id(self.message_id)
        correction = await conversation.correct(
            guild_id=require_guild(ctx),
            channel_id=ctx.channel_id,
            user_id=ctx.user.id,
            message_id=message_id,
            correction=self.correction,
            lookup=found_on_discord(bot.rest, ctx.channel_id, message_id, _my_id(bot)),
        )
        await ctx.respond(translator.render(saved(correction)), ephemeral=True)


@loader.command
class CorrectThisReply(lightbulb.MessageCommand, name=command_text("Correct this reply"), localize=True):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        conversation: ConversationService = lightbulb.di.INJECTED,
        bot: hikari.GatewayBot = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        target: hikari.Message = self.target
        me = _my_id(bot)
        if target.author.id != me:
            raise NotMyAnswer(t("I can only be corrected on my own answers."))

        async def from_target() -> AnsweredMessage:
            return answered_by(target, me)

        _, answered = await conversation.answer_being_corrected(require_guild(ctx), target.id, from_target)
        row = bot.rest.build_modal_action_row().add_text_input(
            CORRECTION_INPUT,
            translator.render(t("The answer I should have given")),
            style=hikari.TextInputStyle.PARAGRAPH,
            value=answered.answer[:MAX_CORRECTION_CHARS],
            max_length=MAX_CORRECTION_CHARS,
        )
        # Submissions are handled by `submit_correction` from the custom id: nothing waits here, and a
        # modal still open when the bot restarts is saved all the same.
        title = translator.render(t("Correct my reply"))
        await ctx.respond_with_modal(title, f"{MODAL_PREFIX}{target.id}", component=row)


@loader.listener(hikari.InteractionCreateEvent)
async def submit_correction(
    event: hikari.InteractionCreateEvent,
    conversation: ConversationService = lightbulb.di.INJECTED,
    bot: hikari.GatewayBot = lightbulb.di.INJECTED,
    translations: Translations = lightbulb.di.INJECTED,
) -> None:
    interaction = event.interaction
    if not isinstance(interaction, hikari.ModalInteraction) or not interaction.custom_id.startswith(
        MODAL_PREFIX
    ):
        return
    translator = for_interaction(translations, interaction)
    answer: Message | str
    values = {c.custom_id: c.value for row in interaction.components for c in row.components}
    try:
        if interaction.guild_id is None:
            raise UserError(t("Corrections work in a server, not in direct messages."))
        message_id = parse_message_id(interaction.custom_id.removeprefix(MODAL_PREFIX))
        correction = await conversation.correct(
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            message_id=message_id,
            correction=values.get(CORRECTION_INPUT, ""),
            lookup=found_on_discord(bot.rest, interaction.channel_id, message_id, _my_id(bot)),
        )
        answer = saved(correction)
    except UserError as refusal:
        answer = refusal.message
    await interaction.create_initial_response(
        hikari.ResponseType.MESSAGE_CREATE, translator.render(answer), flags=hikari.MessageFlag.EPHEMERAL
    )


@loader.command
class GiveFeedback(
    lightbulb.SlashCommand,
    name=command_text("feedback"),
    description=command_text("Tell the bot's keepers what you think"),
    hooks=[per_user_cooldown(60, 3)],
    localize=True,
):
    text = lightbulb.string(
        command_text("text"), command_text("Your feedback"), max_length=2000, localize=True
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        conversation: ConversationService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await conversation.feedback(
            guild_id=ctx.guild_id, channel_id=ctx.channel_id, author_id=ctx.user.id, text=self.text
        )
        await ctx.respond(
            translator.render(t("Thank you for the feedback! It has been saved.")), ephemeral=True
        )
