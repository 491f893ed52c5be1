"""The operators' workbench: the pages staff work in (their cases, a case, its moves as forms,
registration), served by the same application as the log-in and the codec endpoints. Read from the
registry; moves are sent as the `transition` Update, sealed on the server for the logged-in user."""
