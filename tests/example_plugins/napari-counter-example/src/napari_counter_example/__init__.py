"""An example plugin: a command that segments, counted, and a model choice, counted by label."""

from ._telemetry import counters

__all__ = ["counters", "segment", "use_model"]


@counters.counts("segmentations")
def segment(model: str = "cyto") -> str:
    """The plugin's command: every call is counted, and so is the model it used."""
    use_model(model)
    return f"segmented with {model}"


def use_model(model: str) -> None:
    """A labelled count: which of the declared models was used."""
    counters.count("models", model)


def count_undeclared() -> None:
    """What a plugin must not do: count something its declaration does not list."""
    counters.count("clicks")


def use_old_viewer() -> None:
    """A declared counter whose end date has passed: counted nowhere any more."""
    counters.count("old_viewer")
