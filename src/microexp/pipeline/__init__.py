"""End-to-end jobs composed from the stages (evaluation runs, preprocessing, the demo)."""
