"""Each program's queue counter: the place an application takes in its program's queue.

The counter's row is locked by the upsert that takes the next number until the submission
commits, so only that program's submissions wait for each other, and their numbers are gap-free
and in the order they commit (a submission that rolls back gives its number back with the
row)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from subsidy.programs.models import ProgramQueue


def next_queue_number(session: Session, program_id: int) -> int:
    """The next number of the program's queue, in one round trip (the row made on first use)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ProgramQueue)
    statement = insert.values(program_id=program_id, last_number=1).on_conflict_do_update(
        index_elements=[ProgramQueue.program_id],
        set_={"last_number": ProgramQueue.last_number + 1},
    )
    return session.execute(statement.returning(ProgramQueue.last_number)).scalar_one()
