"""Reading X on a schedule: the competitions' searches and mentions with their re-scans
(`poller`), the replies of distinct-repliers competitions (`replies`), the metered client that
records every request and its cost (`metering`), and the organisers' own posts (`own_posts`)."""
