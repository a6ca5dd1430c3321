"""What omtui sends and what comes back: reminders, the club's mailbox, DSN reading, triage."""
