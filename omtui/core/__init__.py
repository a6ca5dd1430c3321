"""The club's logic: members, events, rota, newsletter. Never imports Textual or Rich."""
