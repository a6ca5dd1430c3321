"""Mail that omtui sends and reads by itself: reminders, and (the mailbox) what comes back."""
