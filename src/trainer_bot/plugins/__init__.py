"""Lightbulb extensions, one per area. Each stays thin: options -> one service call -> reply."""
