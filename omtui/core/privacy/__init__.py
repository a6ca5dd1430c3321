"""Members' privacy and the club's safety net: backups and restore, erasure (with a log
that survives restores), a member's data export, retention, all without personal data in
the logs they keep."""
