from shared.migrations import run_migrations
from services.search.models import Base

run_migrations(Base.metadata)
