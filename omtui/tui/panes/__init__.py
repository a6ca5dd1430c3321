"""One pane per tab of the organiser's app."""
