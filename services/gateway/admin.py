"""Creating administrator accounts, used by the ``etalase admin create`` CLI.

Admins cannot register themselves through the API; only someone with shell access can
make one. The caller commits.
"""
from sqlalchemy.orm import Session

from services.gateway.accounts import create_account


def create_admin(session: Session, email: str, name: str, password: str) -> dict:
    return create_account(session, email, password, name, role="admin", allow_admin=True)
