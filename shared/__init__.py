"""Code shared by the Etalase services: event contracts, outbox, consumers, database, config."""
