"""Small reusable widgets of the organiser's app."""
