"""A labelling campaign, whatever serves its forms: tasks, assignment, attention checks, the organiser's private file, rows, progress."""
