"""What the language model is given: persona, the guild's material, the hint, the history, bounded."""

from __future__ import annotations

from trainer_bot.chat.grounding import (
    Grounding,
    HistoryTurn,
    Material,
    answer_language,
    grounded_messages,
)

PERSONA = "You are the helper of the chess club."


def test_the_prompt_carries_persona_material_hint_history_and_the_question() -> None:
    grounding = Grounding(
        persona=PERSONA,
        material=[Material("correction", "who runs the club", "Ivan, on Thursdays.")],
        hint="positive (92% sure)",
        history=[HistoryTurn("user", "hi"), HistoryTurn("assistant", "Hello!")],
    )
    messages = grounded_messages(grounding, "Who runs the club now?", budget_chars=4000)
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    system = messages[0].content
    assert system.startswith(PERSONA)
    assert "(a member's correction) Q: who runs the club A: Ivan, on Thursdays." in system
    assert "positive (92% sure)" in system and "Answer in English" in system
    assert messages[-1].content == "Who runs the club now?"


def test_russian_questions_are_answered_in_russian() -> None:
    assert answer_language("Кто ведёт шахматный клуб?") == "Russian"
    assert answer_language("who runs the club? (клуб)") == "English"
    assert answer_language("🙂") == "English"
    messages = grounded_messages(Grounding(persona=PERSONA), "Кто ведёт клуб?", budget_chars=4000)
    assert "Answer in Russian" in messages[0].content


def test_a_long_history_and_much_material_are_cut_to_the_budget_oldest_history_first() -> None:
    material = [Material("taught", f"question {n}", "answer " * 100) for n in range(50)]
    history = [HistoryTurn("user", f"old message {n} " + "x" * 300) for n in range(30)]
    messages = grounded_messages(
        Grounding(persona=PERSONA, material=material, history=history), "the question", budget_chars=3000
    )
    assert sum(len(m.content) for m in messages) <= 3000 + len("the question")
    kept = [m.content for m in messages[1:-1]]
    assert kept and kept[-1].startswith("old message 29")  # the newest history survives
    assert "question 0" in messages[0].content  # the most relevant material first
    assert messages[-1].content == "the question"
