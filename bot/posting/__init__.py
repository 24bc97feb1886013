"""What the bot posts and answers: the plan of due posts (`planner`), sending them once each
through the outbox (`poster`), answering mentions (`responder`), and the leaderboard chart
attached to an update (`chart`). Composing and timing are pure, in `bot.core`."""
